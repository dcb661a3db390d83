-- bench resnet8: ResNet-8 on 3x32x32 (stem 16, basic blocks at 16, 32/2,
-- 64/2 with 1x1 projection shortcuts, global average pool, linear 10);
-- batch 64, SGD with Nesterov momentum and weight decay.
-- A benchmark model: its data is never loaded (bench/step.c feeds it
-- random batches); bench/torch_models.py holds the same network.
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
  name = "bench_resnet8",
  loss = nn.softmax_cross_entropy(logits, y),
  predict = logits,
  batch = 64, epochs = 1, seed = 1,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 5e-4},
  data = { train = nn.data.csv{"unused.csv"} },
}
