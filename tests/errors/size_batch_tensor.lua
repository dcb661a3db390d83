-- expect: :5: input: image [B,32768] would hold 2147483648 values at batch 65536
local nn = require "nncc"


local x = nn.input{"image", 32768}
local y = nn.label{"digit", classes = 10}

local h = nn.linear{16}(x)
local logits = nn.linear{10}(h)

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 65536, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
