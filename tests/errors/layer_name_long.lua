-- expect: :8: linear: name must be an identifier ([A-Za-z_][A-Za-z0-9_]*) of at most 64 characters
local nn = require "nncc"


local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.linear{10, name = string.rep("b", 65)}(nn.flatten(x))
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
