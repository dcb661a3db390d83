-- expect: :17: data.idx: the training data is normalized but this validation data is not; give it the same normalize
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}
local logits = nn.linear{10}(nn.flatten(x))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte",
                        scale = 1/255, normalize = {mean = {0.1307}, std = {0.3081}}},
    -- the validation images need the same normalize
    valid = nn.data.idx{"data/t10k-images-idx3-ubyte", "data/t10k-labels-idx1-ubyte", scale = 1/255},
  },
}
