-- op test: batchnorm + ReLU + 2x2 maxpool, fused (bn_relu_pool and its
-- sums and dx): planes of 4x18, so the pool's 8-wide windows run (the last
-- eight overlapping) beside the scalar tails; bn1 + ReLU before it
-- (bn_relu) gets its gradient through bn_relu_pool_dx
local nn = require "nncc"
local x = nn.input{"x", 2, 4, 18}
local t = nn.target{"t", 3}
local h = nn.relu(nn.batchnorm{name = "bn1"}(x))
h = nn.relu(nn.batchnorm{momentum = 0.3, eps = 1e-4, name = "bn2"}(h))
local out = nn.linear{3, name = "b"}(nn.flatten(nn.maxpool{2}(h)))
return nn.train {
  name = "op_bn_relu_pool", loss = nn.mse(out, t), predict = out, batch = 2, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.01},
  data = {train = nn.data.csv{"unused.csv"}},
}
