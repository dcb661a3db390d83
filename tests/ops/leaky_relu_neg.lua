-- op test: leaky_relu with a negative slope: the gradient from the input
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.leaky_relu{slope = -0.5}(nn.linear{5, name = "a"}(x))
local loss = nn.mse(out, t)
return nn.train {
  name = "op_leaky_relu_neg", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
