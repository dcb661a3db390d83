-- op test: conv2d with stride 2 (im2col + GEMM)
local nn = require "nncc"
local x = nn.input{"x", 3, 9, 9}
local t = nn.target{"t", 3, 2, 2}
local h = nn.conv2d{4, 3, stride = 2, name = "a"}(x)
local out = nn.conv2d{3, 2, stride = 2, name = "b"}(h)
return nn.train {
  name = "op_conv_stride2", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
