-- op test: flatten (reshape view) of a [2,3] input
local nn = require "nncc"
local x = nn.input{"x", 2, 3}
local t = nn.target{"t", 5}
local out = nn.linear{5, name = "a"}(nn.flatten(x))
local loss = nn.mse(out, t)
return nn.train {
  name = "op_flatten", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
