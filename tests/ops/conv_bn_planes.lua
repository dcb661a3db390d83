-- op test: batch norm (statistics plane by plane, planes of 15 values: vector and tail) after a strided depthwise conv (plane kernels), then a 1x1 conv
local nn = require "nncc"
local x = nn.input{"x", 4, 6, 10}
local t = nn.target{"t", 2, 3, 5}
local h = nn.conv2d{4, 3, stride = 2, pad = 1, groups = 4, bias = false, name = "a"}(x)
h = nn.batchnorm{name = "b"}(h)
local out = nn.conv2d{2, 1, name = "c"}(h)
return nn.train {
  name = "op_conv_bn_planes", loss = nn.mse(out, t), predict = out, batch = 3,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
