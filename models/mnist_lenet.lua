-- mnist_lenet: LeNet-5 (LeCun et al., 1998) on the MNIST digits in data/,
-- with ReLU and max pooling as it is usually trained today.
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local net = nn.sequential {
  nn.conv2d{6, 5, pad = 2}, nn.relu, nn.maxpool{2},   -- [6,14,14]
  nn.conv2d{16, 5}, nn.relu, nn.maxpool{2},           -- [16,5,5]
  nn.flatten,
  nn.linear{120}, nn.relu,
  nn.linear{84}, nn.relu,
  nn.linear{10},
}
local logits = net(x)

return nn.train {
  name = "mnist_lenet",
  loss = nn.softmax_cross_entropy(logits, y),
  predict = logits,
  batch = 64, epochs = 5, seed = 1,
  optimizer = nn.optim.adam{lr = 2e-3},
  schedule = nn.schedule.cosine{},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
    valid = nn.data.idx{"data/t10k-images-idx3-ubyte", "data/t10k-labels-idx1-ubyte", scale = 1/255},
  },
}
