-- expect: :8: train: balance evens out classes; the model has a float target 'value', not class labels
local nn = require "nncc"

local x = nn.input{"features", 3}
local t = nn.target{"value", 1}
local pred = nn.linear{1}(x)

return nn.train {
  name = "broken",
  loss = nn.mse(pred, t),
  batch = 8, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"data/values.csv"}},
  balance = "undersample",
}
