-- op test: depthwise convs whose taps do not fill the weight gradient's
-- groups of taps (nine with AVX-512, three with AVX2): 5x5 (25 taps, a
-- last group of 7 or 1), then 2x2 (4 taps), then 7x7 (49 taps)
local nn = require "nncc"
local x = nn.input{"x", 3, 12, 11}
local t = nn.target{"t", 3, 4, 3}
local h = nn.conv2d{3, 5, pad = 2, groups = 3, name = "a"}(x)
h = nn.conv2d{3, 2, stride = 2, groups = 3, name = "b"}(h)
local out = nn.conv2d{3, 7, pad = 2, groups = 3, name = "c"}(h)
return nn.train {
  name = "op_conv_depthwise_k", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
