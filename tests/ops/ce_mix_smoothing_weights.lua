-- op test: mixup with label_smoothing and class_weights (one of them 0):
-- each of the two losses keeps its own normalizer
local nn = require "nncc"
local x = nn.input{"x", 6}
local y = nn.label{"y", classes = 5}
local out = nn.linear{5, name = "a"}(x)
local loss = nn.softmax_cross_entropy(out, y, {label_smoothing = 0.2,
                                               class_weights = {1, 2, 0.5, 0, 3}})
return nn.train {
  name = "op_ce_mix_smoothing_weights", loss = loss, predict = out,
  batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
  augment = {nn.augment.mixup{alpha = 0.4}},
}
