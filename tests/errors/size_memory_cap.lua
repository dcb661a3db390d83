-- expect: :11: train: the trainer would need 17.37 GiB (parameters 2.96, gradients 2.96, optimizer state 0.00, activations 11.44 at batch 1024
local nn = require "nncc"


local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.linear{1000000}(nn.flatten(x))
local logits = nn.linear{10}(h)

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 1024, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
