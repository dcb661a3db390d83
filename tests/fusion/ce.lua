-- fusion test softmax_ce: the loss with label smoothing and class weights,
-- fused (one op) against log_softmax then nll
local nn = require "nncc"
local x = nn.input{"x", 12}
local y = nn.label{"class", classes = 4}
local logits = nn.linear{4}(nn.tanh(nn.linear{10}(x)))
return nn.train {
  name = "fz_ce", predict = logits,
  loss = nn.softmax_cross_entropy(logits, y, {label_smoothing = 0.1,
                                  class_weights = {1, 2, 0.5, 1.5}}),
  batch = 16, epochs = 1, seed = 11,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
