-- mnist_cnn_bn: two stages of conv3x3-BN-ReLU pairs (32 then 64 channels),
-- each closed by 2x2 max pooling, then one linear classifier.
-- The PyTorch reference test (make test-reference) trains the same model.
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

-- conv3x3 (no bias: batch norm's shift replaces it), batch norm, ReLU
local function conv_bn_relu(channels)
  return nn.sequential {
    nn.conv2d{channels, 3, pad = 1, bias = false}, nn.batchnorm{}, nn.relu,
  }
end

local h = conv_bn_relu(32)(x)
h = nn.maxpool{2}(conv_bn_relu(32)(h))          -- [32,14,14]
h = conv_bn_relu(64)(h)
h = nn.maxpool{2}(conv_bn_relu(64)(h))          -- [64,7,7]
local logits = nn.linear{10}(nn.flatten(h))

return nn.train {
  name = "mnist_cnn_bn",
  loss = nn.softmax_cross_entropy(logits, y),
  predict = logits,
  batch = 64, epochs = 5, seed = 1,
  optimizer = nn.optim.sgd{lr = 0.01, momentum = 0.9, nesterov = true},
  schedule = nn.schedule.cosine{},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
    valid = nn.data.idx{"data/t10k-images-idx3-ubyte", "data/t10k-labels-idx1-ubyte", scale = 1/255},
  },
}
