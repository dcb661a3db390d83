-- expect: :8: conv2d: kernel 5x5, more than the padded input 3x3 (3x3, pad 0): the output would be empty
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.maxpool{8}(nn.relu(nn.conv2d{8, 3, pad = 1}(x)))
h = nn.conv2d{16, 5}(h)
local logits = nn.linear{10}(nn.flatten(h))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
