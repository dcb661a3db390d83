-- cifar_resnet8: a ResNet-8 for 3x32x32 images (He et al., 2016): a 3x3
-- stem, then one basic block per stage at 16, 32 and 64 channels (the
-- later two stride 2 with a 1x1 projection shortcut), global average
-- pooling, a linear classifier.
--
-- No real CIFAR-10 can be fetched here, so it trains on a generated
-- synthetic set of the same shape (scripts/make-synthetic-cifar.py:
-- ten classes of coloured shapes on textured backgrounds, with noise).
-- Accuracy on it says the network learns, not how it would do on CIFAR.
local nn = require "nncc"

local x = nn.input{"image", 3, 32, 32}
local y = nn.label{"class", classes = 10}

local function conv_bn(channels, k, stride)
  return nn.sequential {
    nn.conv2d{channels, k, stride = stride, pad = k // 2, bias = false}, nn.batchnorm{},
  }
end

-- relu(bn(conv(relu(bn(conv(h))))) + shortcut(h))
local function basic_block(h, channels, stride)
  local r = conv_bn(channels, 3, stride)(h)
  r = conv_bn(channels, 3, 1)(nn.relu(r))
  local s = h
  if stride ~= 1 then s = conv_bn(channels, 1, stride)(h) end
  return nn.relu(nn.add(r, s))
end

local h = nn.relu(conv_bn(16, 3, 1)(x))
h = basic_block(h, 16, 1)         -- [16,32,32]
h = basic_block(h, 32, 2)         -- [32,16,16]
h = basic_block(h, 64, 2)         -- [64,8,8]
local logits = nn.linear{10}(nn.global_avgpool(h))

return nn.train {
  name = "cifar_resnet8",
  loss = nn.softmax_cross_entropy(logits, y),
  predict = logits,
  batch = 64, epochs = 5, seed = 1,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 5e-4},
  schedule = nn.schedule.cosine{},
  data = {
    train = nn.data.idx{"data/synthetic-cifar-train-images", "data/synthetic-cifar-train-labels", scale = 1/255},
    valid = nn.data.idx{"data/synthetic-cifar-test-images", "data/synthetic-cifar-test-labels", scale = 1/255},
  },
}
