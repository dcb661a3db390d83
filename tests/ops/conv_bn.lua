-- op test: batch norm (statistics plane by plane) after a conv (implicit GEMM), then a grouped conv
local nn = require "nncc"
local x = nn.input{"x", 3, 7, 9}
local t = nn.target{"t", 2, 7, 9}
local h = nn.conv2d{6, 3, pad = 1, bias = false, name = "a"}(x)
h = nn.batchnorm{name = "b"}(h)
local out = nn.conv2d{2, 3, pad = 1, groups = 2, name = "c"}(h)
return nn.train {
  name = "op_conv_bn", loss = nn.mse(out, t), predict = out, batch = 3,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
