-- expect: :8: linear1: the output [B,4194304] would hold 2147483648 values at batch 512
local nn = require "nncc"


local x = nn.input{"image", 64}
local y = nn.label{"digit", classes = 10}

local h = nn.linear{4194304, bias = false}(x)
local logits = nn.linear{10}(h)

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 512, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
