-- expect: :9: softmax: input is the scalar [1]; it runs over the last dimension of a [B,…,C] tensor
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local logits = nn.linear{10}(nn.flatten(x))
local loss = nn.softmax_cross_entropy(logits, y)
local p = nn.softmax(loss)

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
