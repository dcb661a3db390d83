-- op test: batchnorm + ReLU per channel on [B,C,H,W], fused (bn_relu),
-- twice, so bn_relu_dx of the second reaches the first's parameters: 9
-- values a plane, so the kernels run one 8-wide vector and a scalar tail
local nn = require "nncc"
local x = nn.input{"x", 2, 3, 3}
local t = nn.target{"t", 3}
local h = nn.relu(nn.batchnorm{name = "bn1"}(x))
h = nn.relu(nn.batchnorm{momentum = 0.3, eps = 1e-4, name = "bn2"}(h))
local out = nn.linear{3, name = "b"}(nn.flatten(h))
return nn.train {
  name = "op_bn_relu4d", loss = nn.mse(out, t), predict = out, batch = 2, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
