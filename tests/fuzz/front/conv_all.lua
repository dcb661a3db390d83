-- a seed of the image layers: grouped, dilated and strided convolutions,
-- batch norm, pools, concat, a residual add, sequential
local nn = require "nncc"
local x = nn.input{"image", 3, 16, 16}
local y = nn.label{"digit", classes = 10}
local stem = nn.sequential{nn.conv2d{8, 3, pad = 1, bias = false}, nn.batchnorm{momentum = 0.2}, nn.relu}
local h = stem(x)
local a = nn.conv2d{8, 3, pad = 2, dilation = 2, groups = 8}(h)
local b = nn.conv2d{8, 1, init = nn.init.xavier{gain = 2}}(h)
h = nn.relu(nn.add(a, b))
h = nn.concat(h, nn.maxpool{3, stride = 1, pad = 1}(h))
h = nn.avgpool{2}(nn.conv2d{16, 3, stride = 2, pad = 1}(h))
h = nn.mul(nn.sigmoid(h), nn.tanh(h))
local logits = nn.linear{10}(nn.flatten(nn.global_avgpool(h)))
return nn.train {
  name = "seed_conv",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 5e-4},
  schedule = nn.schedule.cosine{min_lr = 1e-4},
  data = {
    train = nn.data.idx{"train-images", "train-labels", scale = 1/255},
    valid = nn.data.idx{"valid-images", "valid-labels", scale = 1/255},
  },
  augment = {nn.augment.hflip{}, nn.augment.random_crop{pad = 1}, nn.augment.cutout{size = 4},
             nn.augment.random_erasing{p = 0.3, scale = {0.1, 0.2}, ratio = {0.5, 2}, value = 0},
             nn.augment.mixup{alpha = 0.2}},
}
