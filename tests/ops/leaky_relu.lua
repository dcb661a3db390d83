-- op test: leaky_relu{} (slope 0.01) and its gradient, from the output
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.leaky_relu{}(nn.linear{5, name = "a"}(x))
local loss = nn.mse(out, t)
return nn.train {
  name = "op_leaky_relu", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
