-- op test: stride-2 convs through the input's phases (forward and weight gradient): 3x3 pad 1 and 1x1, 16 output channels, rows of 35 (16-wide vectors and a tail)
local nn = require "nncc"
local x = nn.input{"x", 3, 9, 35}
local t = nn.target{"t", 2, 3, 9}
local h = nn.conv2d{16, 3, stride = 2, pad = 1, name = "a"}(x)
h = nn.conv2d{16, 1, stride = 2, name = "b"}(h)
local out = nn.conv2d{2, 3, pad = 1, name = "c"}(h)
return nn.train {
  name = "op_conv_stride2_phases", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
