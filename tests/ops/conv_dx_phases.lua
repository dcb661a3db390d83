-- op test: strided convs' input gradients by phases: 3x3 stride 2 pad 1 in
-- 2 groups on 9x11 (phases of 5 and 6 rows and columns), 5x5 stride 3 pad 2
-- (sub-kernels of 2, 2 and 1 taps a side, dy padded by 1)
local nn = require "nncc"
local x = nn.input{"x", 4, 9, 11}
local t = nn.target{"t", 4, 2, 2}
local h = nn.conv2d{6, 3, pad = 1, name = "a"}(x)
h = nn.conv2d{8, 3, stride = 2, pad = 1, groups = 2, name = "b"}(h)
local out = nn.conv2d{4, 5, stride = 3, pad = 2, name = "c"}(h)
return nn.train {
  name = "op_conv_dx_phases", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
