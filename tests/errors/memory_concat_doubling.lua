-- expect: :4: the script used more than 256 MiB of memory
local nn = require "nncc"

local s = ("x"):rep(2^20) for i = 1, 30 do s = s .. s end
local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.relu(nn.linear{256}(nn.flatten(x)))
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
