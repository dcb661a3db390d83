-- expect: :17: augment.mixup: mixes two class labels in softmax_cross_entropy; the loss is mse, which cannot mix
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local t = nn.target{"value", 1}
local pred = nn.linear{1}(nn.flatten(x))

return nn.train {
  name = "broken",
  loss = nn.mse(pred, t),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.csv{"data/values.csv"},
  },
  augment = {
    nn.augment.mixup{alpha = 0.2},
  },
}
