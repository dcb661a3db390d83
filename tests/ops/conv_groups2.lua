-- op test: conv2d with 2 groups (im2col + GEMM per group)
local nn = require "nncc"
local x = nn.input{"x", 6, 5, 5}
local t = nn.target{"t", 6, 2, 2}
local h = nn.conv2d{6, 3, groups = 2, name = "a"}(x)
local out = nn.conv2d{6, 2, groups = 2, name = "b"}(h)
return nn.train {
  name = "op_conv_groups2", loss = nn.mse(out, t), predict = out, batch = 3,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
