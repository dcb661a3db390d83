-- op test: a residual block, relu(h + bn(depthwise conv(h))): the
-- fused trainer's batch norm + add + ReLU (bn_add_relu) and the input
-- gradient of h, the skip's plus the conv's, summed by the conv as it
-- stores it (conv2d_dx_add)
local nn = require "nncc"
local x = nn.input{"x", 4, 7, 7}
local t = nn.target{"t", 4, 7, 7}
local h = nn.conv2d{4, 3, pad = 1, name = "a"}(x)
local r = nn.batchnorm{name = "b"}(nn.conv2d{4, 3, pad = 1, groups = 4, name = "c"}(h))
local out = nn.relu(nn.add(h, r))
return nn.train {
  name = "op_conv_residual", loss = nn.mse(out, t), predict = out, batch = 3,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
