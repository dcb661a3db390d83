-- expect: :6: embedding: 'dim' is required
local nn = require "nncc"

local x = nn.input{"tokens", 16, type = "int32"}
local y = nn.label{"digit", classes = 10}
local emb = nn.embedding{1000}
local logits = nn.linear{10}(nn.flatten(emb(x)))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
