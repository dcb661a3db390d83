-- op test: convs whose output channels share one input plane with a kernel of 4x4 or more (the plane kernels' shared forward tile and weight-gradient rows): 1 -> 9 channels 5x5 (a tile of 8 and one of 1; dy planes 4, 4, 1 at a time), then 2 outputs a plane, 4x4 stride 2
local nn = require "nncc"
local x = nn.input{"x", 1, 11, 13}
local t = nn.target{"t", 18, 5, 6}
local h = nn.conv2d{9, 5, pad = 2, name = "a"}(x)
local out = nn.conv2d{18, 4, stride = 2, pad = 1, groups = 9, name = "b"}(h)
return nn.train {
  name = "op_conv_planes5", loss = nn.mse(out, t), predict = out, batch = 3,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
