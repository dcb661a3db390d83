-- op test: ema_update, and evaluation through the EMA weights
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.linear{5, name = "a"}(x)
local loss = nn.mse(out, t)
return nn.train {
  name = "op_ema", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1, momentum = 0.9},
  ema = {decay = 0.75},
  data = {train = nn.data.csv{"unused.csv"}},
}
