-- op test: depthwise convs on planes wide enough for the padded-plane
-- kernels' vectors (19 columns: two vectors and a scalar tail): stride 1,
-- then dilation 2 with pad 2 (both with the stride-1 input gradient on
-- dy), then stride 2 (the scalar paths, and the general direct dx)
local nn = require "nncc"
local x = nn.input{"x", 4, 9, 19}
local t = nn.target{"t", 4, 5, 10}
local h = nn.conv2d{4, 3, pad = 1, groups = 4, name = "a"}(x)
h = nn.conv2d{4, 3, pad = 2, dilation = 2, groups = 4, name = "b"}(h)
local out = nn.conv2d{4, 3, stride = 2, pad = 1, groups = 4, name = "c"}(h)
return nn.train {
  name = "op_conv_depthwise_wide", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
