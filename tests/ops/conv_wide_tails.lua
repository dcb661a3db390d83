-- op test: a stride-1 conv whose weight gradient packs dy transposed (20 output channels: 8x8 blocks and 4 channels left over, 11 columns: 8 and 3 left over)
local nn = require "nncc"
local x = nn.input{"x", 3, 9, 11}
local t = nn.target{"t", 2, 7, 9}
local h = nn.conv2d{20, 3, pad = 1, name = "a"}(x)
local out = nn.conv2d{2, 3, name = "b"}(h)
return nn.train {
  name = "op_conv_wide_tails", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
