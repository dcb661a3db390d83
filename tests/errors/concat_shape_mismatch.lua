-- expect: :8: concat: input 2 is [B,16,7,7], the first is [B,8,14,14]; all but the channel dimension must agree
local nn = require "nncc"

local x = nn.input{"image", 8, 14, 14}
local y = nn.label{"digit", classes = 10}

local h = nn.reshape{16, 7, 7}(nn.linear{784}(nn.flatten(x)))
local joined = nn.concat(x, h)
local logits = nn.linear{10}(nn.flatten(joined))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
