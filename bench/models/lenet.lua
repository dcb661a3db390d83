-- bench lenet: LeNet-5 with ReLU and max pooling, batch 64, Adam.
-- A benchmark model: its data is never loaded (bench/step.c feeds it
-- random batches); bench/torch_models.py holds the same network.
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local net = nn.sequential {
  nn.conv2d{6, 5, pad = 2}, nn.relu, nn.maxpool{2},   -- [6,14,14]
  nn.conv2d{16, 5}, nn.relu, nn.maxpool{2},           -- [16,5,5]
  nn.flatten,
  nn.linear{120}, nn.relu,
  nn.linear{84}, nn.relu,
  nn.linear{10},
}
local logits = net(x)

return nn.train {
  name = "bench_lenet",
  loss = nn.softmax_cross_entropy(logits, y),
  predict = logits,
  batch = 64, epochs = 1, seed = 1,
  optimizer = nn.optim.adam{lr = 1e-3},
  data = { train = nn.data.csv{"unused.csv"} },
}
