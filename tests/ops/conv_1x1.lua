-- op test: 1x1 conv2d (GEMM on the input, no im2col), also with 2 groups
local nn = require "nncc"
local x = nn.input{"x", 3, 4, 4}
local t = nn.target{"t", 2, 4, 4}
local h = nn.conv2d{4, 1, name = "a"}(x)
local out = nn.conv2d{2, 1, groups = 2, name = "b"}(h)
return nn.train {
  name = "op_conv_1x1", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
