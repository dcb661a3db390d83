-- op test: adam_update with L2 weight decay
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.linear{5, name = "a"}(x)
local loss = nn.mse(out, t)
return nn.train {
  name = "op_adam", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.adam{lr = 0.01, weight_decay = 0.01},
  data = {train = nn.data.csv{"unused.csv"}},
}
