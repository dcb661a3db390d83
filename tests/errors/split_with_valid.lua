-- expect: :8: train: split = 0.1 takes validation data from train, but data.valid is given too; keep one
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}
local logits = nn.linear{10}(nn.flatten(x))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1, split = 0.1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
    valid = nn.data.idx{"data/t10k-images-idx3-ubyte", "data/t10k-labels-idx1-ubyte", scale = 1/255},
  },
}
