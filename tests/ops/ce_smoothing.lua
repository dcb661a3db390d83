-- op test: softmax_cross_entropy with label_smoothing
local nn = require "nncc"
local x = nn.input{"x", 6}
local y = nn.label{"y", classes = 5}
local out = nn.linear{5, name = "a"}(x)
local loss = nn.softmax_cross_entropy(out, y, {label_smoothing = 0.1})
return nn.train {
  name = "op_ce_smoothing", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
