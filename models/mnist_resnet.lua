-- mnist_resnet: a small residual network of depthwise-separable blocks
-- (MobileNet style: depthwise 3x3, then pointwise 1x1, each with batch
-- norm), closed by global average pooling and a linear classifier.
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

-- x + pointwise(depthwise(x)), then ReLU; channels stay the same
local function block(h, channels)
  local r = nn.sequential {
    nn.conv2d{channels, 3, pad = 1, groups = channels, bias = false}, nn.batchnorm{}, nn.relu,
    nn.conv2d{channels, 1, bias = false}, nn.batchnorm{},
  }(h)
  return nn.relu(nn.add(h, r))
end

-- half the resolution (a strided depthwise 3x3), more channels (pointwise)
local function down(h, channels)
  local c = h.shape[1]
  return nn.sequential {
    nn.conv2d{c, 3, stride = 2, pad = 1, groups = c, bias = false}, nn.batchnorm{}, nn.relu,
    nn.conv2d{channels, 1, bias = false}, nn.batchnorm{}, nn.relu,
  }(h)
end

local h = nn.sequential { nn.conv2d{32, 3, pad = 1, bias = false}, nn.batchnorm{}, nn.relu }(x)
h = block(h, 32)                  -- [32,28,28]
h = down(h, 64)                   -- [64,14,14]
h = block(h, 64)
h = down(h, 128)                  -- [128,7,7]
h = block(h, 128)
local logits = nn.linear{10}(nn.global_avgpool(h))

return nn.train {
  name = "mnist_resnet",
  loss = nn.softmax_cross_entropy(logits, y),
  predict = logits,
  batch = 64, epochs = 5, seed = 1,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 5e-4},
  schedule = nn.schedule.cosine{},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
    valid = nn.data.idx{"data/t10k-images-idx3-ubyte", "data/t10k-labels-idx1-ubyte", scale = 1/255},
  },
  -- shift each digit by up to 2 pixels (pad with black, crop back): the
  -- global average pooling makes the net nearly shift-invariant, and this
  -- teaches it the rest
  augment = { nn.augment.random_crop{pad = 2} },
}
