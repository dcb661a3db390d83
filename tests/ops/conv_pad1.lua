-- op test: conv2d with pad 1 (im2col + GEMM): taps over the padding read 0
local nn = require "nncc"
local x = nn.input{"x", 3, 5, 5}
local t = nn.target{"t", 3, 5, 5}
local h = nn.conv2d{4, 3, pad = 1, name = "a"}(x)
local out = nn.conv2d{3, 3, pad = 1, name = "b"}(h)
return nn.train {
  name = "op_conv_pad1", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
