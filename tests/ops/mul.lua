-- op test: mul, whose gradient flows to both inputs
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.mul(nn.linear{5, name = "a"}(x), nn.linear{5, name = "b"}(x))
local loss = nn.mse(out, t)
return nn.train {
  name = "op_mul", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
