-- op test: the direct conv2d kernels (groups of at most 2 outputs): groups
-- of 1 -> 2 channels (stride 2, pad 1, dilation 2); of 2 -> 2 with a 2x2
-- kernel; 4 -> 2 channels in one group
local nn = require "nncc"
local x = nn.input{"x", 2, 7, 7}
local t = nn.target{"t", 2, 4, 4}
local h = nn.conv2d{4, 3, stride = 2, pad = 1, dilation = 2, groups = 2,
  name = "a"}(x)
h = nn.conv2d{4, 2, pad = 1, groups = 2, name = "b"}(h)
local out = nn.conv2d{2, 3, pad = 1, name = "c"}(h)
return nn.train {
  name = "op_conv_direct", loss = nn.mse(out, t), predict = out, batch = 4,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
