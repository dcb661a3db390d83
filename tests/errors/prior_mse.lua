-- expect: :9: train: init_bias_from_prior needs softmax_cross_entropy or sigmoid_bce (the prior of class labels); the loss is mse
local nn = require "nncc"

local x = nn.input{"x", 4}
local t = nn.target{"t", 2}

local out = nn.linear{2}(x)

return nn.train {
  name = "broken",
  loss = nn.mse(out, t),
  batch = 8, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  init_bias_from_prior = true,
  data = {train = nn.data.csv{"train.csv"}},
}
