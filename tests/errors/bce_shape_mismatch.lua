-- expect: :12: sigmoid_bce: prediction [B,5] and target [B,3] differ in shape
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.target{"t", 3}

local h = nn.relu(nn.linear{256}(nn.flatten(x)))
local logits = nn.linear{5}(h)

return nn.train {
  name = "broken",
  loss = nn.sigmoid_bce(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
