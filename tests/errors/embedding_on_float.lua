-- expect: :7: embedding: input must be int32 token indices (nn.input{…, type = "int32"}); got float
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local e = nn.embedding{1000, 16}(nn.flatten(x))
local logits = nn.linear{10}(nn.flatten(e))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
