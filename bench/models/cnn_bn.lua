-- bench cnn_bn: conv3x3-BN-ReLU x2 (32 ch), maxpool, x2 (64 ch), maxpool,
-- linear 10; batch 64, SGD with Nesterov momentum.
-- A benchmark model: its data is never loaded (bench/step.c feeds it
-- random batches); bench/torch_models.py holds the same network.
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

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
  name = "bench_cnn_bn",
  loss = nn.softmax_cross_entropy(logits, y),
  predict = logits,
  batch = 64, epochs = 1, seed = 1,
  optimizer = nn.optim.sgd{lr = 0.01, momentum = 0.9, nesterov = true},
  data = { train = nn.data.csv{"unused.csv"} },
}
