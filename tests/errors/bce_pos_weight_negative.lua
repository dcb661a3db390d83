-- expect: :12: sigmoid_bce: pos_weight[1] = -2; a weight must be in [0, 1000000]
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.target{"t", 3}

local h = nn.relu(nn.linear{256}(nn.flatten(x)))
local logits = nn.linear{3}(h)

return nn.train {
  name = "broken",
  loss = nn.sigmoid_bce(logits, y, {pos_weight = -2}),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
