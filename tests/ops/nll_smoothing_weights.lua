-- nncc-flags: --no-fuse
-- op test: softmax_cross_entropy unfused (log_softmax, then nll and its
-- gradient nll_grad), with label_smoothing and class_weights
local nn = require "nncc"
local x = nn.input{"x", 6}
local y = nn.label{"y", classes = 5}
local out = nn.linear{5, name = "a"}(x)
local loss = nn.softmax_cross_entropy(out, y, {label_smoothing = 0.2,
                                      class_weights = {1, 2, 0.5, 0, 3}})
return nn.train {
  name = "op_nll_smoothing_weights", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
