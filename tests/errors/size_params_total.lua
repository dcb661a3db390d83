-- expect: :11: train: the model has 3221651472 parameters (with padding); nncc trains at most 2147483647
local nn = require "nncc"

local l1, l2, l3 = nn.linear{32768}, nn.linear{32768}, nn.linear{32768}
local x = nn.input{"image", 32768}
local y = nn.label{"digit", classes = 10}

local h = l3(l2(l1(x)))
local logits = nn.linear{10}(h)

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
