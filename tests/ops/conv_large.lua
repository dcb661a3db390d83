-- op test: conv2d (im2col + GEMM) past one panel everywhere: 225 output pixels (7 full panels and 1 pixel), a weight-gradient pixel block of 113 + 112, 45 and 144 taps (a partial panel of taps, two K blocks)
local nn = require "nncc"
local x = nn.input{"x", 5, 15, 15}
local t = nn.target{"t", 3, 8, 8}
local h = nn.conv2d{16, 3, pad = 1, name = "a"}(x)
local out = nn.conv2d{3, 3, stride = 2, pad = 1, name = "b"}(h)
return nn.train {
  name = "op_conv_large", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
