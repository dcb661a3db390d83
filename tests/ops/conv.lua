-- op test: conv2d 3x3 (im2col + GEMM): the forward, the weight gradient, and the input gradient through the second conv
local nn = require "nncc"
local x = nn.input{"x", 3, 6, 6}
local t = nn.target{"t", 3, 2, 2}
local h = nn.conv2d{4, 3, name = "a"}(x)
local out = nn.conv2d{3, 3, name = "b"}(h)
return nn.train {
  name = "op_conv", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
