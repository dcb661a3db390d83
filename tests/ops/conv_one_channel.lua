-- op test: conv2d on a one-channel image, as on MNIST: im2col + GEMM with an inner dimension of k*k = 9 (stride 2, pad 1)
local nn = require "nncc"
local x = nn.input{"x", 1, 6, 6}
local t = nn.target{"t", 2, 1, 1}
local h = nn.conv2d{9, 3, stride = 2, pad = 1, name = "a"}(x)
local out = nn.conv2d{2, 3, name = "b"}(h)
return nn.train {
  name = "op_conv_one_channel", loss = nn.mse(out, t), predict = out, batch = 3,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
