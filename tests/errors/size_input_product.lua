-- expect: :5: input: the tensor [B,16777216,16777216,16777216] would hold 4.72e+21 values per sample
local nn = require "nncc"


local x = nn.input{"image", 16777216, 16777216, 16777216}
local y = nn.label{"digit", classes = 10}

local h = nn.flatten(x)
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
