-- op test: conv, batch norm + ReLU, conv: the fused trainer runs the
-- batch norm + ReLU sample by sample inside the second conv's sample
-- loop (fusion by_sample)
local nn = require "nncc"
local x = nn.input{"x", 3, 6, 7}
local t = nn.target{"t", 5, 6, 7}
local h = nn.conv2d{6, 3, pad = 1, bias = false, name = "a"}(x)
h = nn.relu(nn.batchnorm{name = "b"}(h))
local out = nn.conv2d{5, 3, pad = 1, name = "c"}(h)
return nn.train {
  name = "op_conv_bn_relu_conv", loss = nn.mse(out, t), predict = out, batch = 3,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
