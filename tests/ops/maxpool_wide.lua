-- op test: maxpool 2x2 (stride 2) on planes wide enough for the vector kernels (18x20 -> 9x10: a block of 8 windows and 2 more per row)
local nn = require "nncc"
local x = nn.input{"x", 2, 18, 20}
local t = nn.target{"t", 3, 9, 10}
local h = nn.conv2d{3, 3, pad = 1, name = "a"}(x)
local out = nn.maxpool{2}(h)
return nn.train {
  name = "op_maxpool_wide", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
