-- op test: two layers: the input gradient of a matmul (dX = dY·W)
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 4}
local out = nn.linear{4, name = "b"}(nn.tanh(nn.linear{5, name = "a"}(x)))
local loss = nn.mse(out, t)
return nn.train {
  name = "op_mlp", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
