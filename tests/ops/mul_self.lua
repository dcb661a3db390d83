-- op test: mul(h, h): both gradients reach h and add up
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local h = nn.linear{5, name = "a"}(x)
local out = nn.mul(h, h)
local loss = nn.mse(out, t)
return nn.train {
  name = "op_mul_self", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
