-- op test: conv2d with dilation 2, unpadded and padded (im2col + GEMM)
local nn = require "nncc"
local x = nn.input{"x", 3, 8, 8}
local t = nn.target{"t", 3, 4, 4}
local h = nn.conv2d{4, 3, dilation = 2, name = "a"}(x)
local out = nn.conv2d{3, 3, dilation = 2, pad = 2, name = "b"}(h)
return nn.train {
  name = "op_conv_dilation2", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
