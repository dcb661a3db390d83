-- op test: depthwise conv2d (the direct kernels): groups = channels, then with a channel multiplier of 2 and stride 2
local nn = require "nncc"
local x = nn.input{"x", 3, 6, 6}
local t = nn.target{"t", 6, 2, 2}
local h = nn.conv2d{3, 3, pad = 1, groups = 3, name = "a"}(x)
local out = nn.conv2d{6, 3, stride = 2, groups = 3, name = "b"}(h)
return nn.train {
  name = "op_conv_depthwise", loss = nn.mse(out, t), predict = out, batch = 3,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
