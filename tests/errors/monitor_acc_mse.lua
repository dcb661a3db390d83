-- expect: :9: train: early_stopping: monitor = "valid_acc" needs a loss that counts correct predictions (softmax_cross_entropy, sigmoid_bce); mse has no accuracy
local nn = require "nncc"

local x = nn.input{"x", 4}
local t = nn.target{"t", 2}

local out = nn.linear{2}(x)

return nn.train {
  name = "broken",
  loss = nn.mse(out, t),
  batch = 8, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  early_stopping = {patience = 2, monitor = "valid_acc"},
  data = {train = nn.data.csv{"train.csv"}},
}
