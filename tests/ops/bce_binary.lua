-- op test: sigmoid_bce on one output: a binary classifier, with its accuracy
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 1}
local out = nn.linear{1, name = "a"}(x)
local loss = nn.sigmoid_bce(out, t)
return nn.train {
  name = "op_bce_binary", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
