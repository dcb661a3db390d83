-- mnist_logreg: multinomial logistic regression, the smallest model that
-- learns the digits: one linear layer and softmax cross-entropy.
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local logits = nn.linear{10}(nn.flatten(x))

return nn.train {
  name = "mnist_logreg",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 64, epochs = 5, seed = 1,
  optimizer = nn.optim.adam{lr = 1e-3},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
    valid = nn.data.idx{"data/t10k-images-idx3-ubyte", "data/t10k-labels-idx1-ubyte", scale = 1/255},
  },
}
