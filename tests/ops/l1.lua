-- op test: l1 (mean absolute error) and its gradient sign(p - t)
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.linear{5, name = "a"}(x)
local loss = nn.l1(out, t)
return nn.train {
  name = "op_l1", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
