-- op test: softmax_cross_entropy mixing two labels (mixup): the training
-- loss λ·CE(y) + (1−λ)·CE(y2) and its gradient
local nn = require "nncc"
local x = nn.input{"x", 6}
local y = nn.label{"y", classes = 5}
local out = nn.linear{5, name = "a"}(x)
return nn.train {
  name = "op_ce_mix", loss = nn.softmax_cross_entropy(out, y), predict = out,
  batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
  augment = {nn.augment.mixup{alpha = 0.4}},
}
