-- mnist_mlp: a 784-256-10 perceptron on the MNIST digits in data/.
-- The PyTorch reference test (make test-reference) trains the same model.
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.relu(nn.linear{256}(nn.flatten(x)))
local logits = nn.linear{10}(h)

return nn.train {
  name = "mnist_mlp",
  loss = nn.softmax_cross_entropy(logits, y),
  predict = logits,
  batch = 32, epochs = 5, seed = 1,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9},
  schedule = nn.schedule.cosine{},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
    valid = nn.data.idx{"data/t10k-images-idx3-ubyte", "data/t10k-labels-idx1-ubyte", scale = 1/255},
  },
}
