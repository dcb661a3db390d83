-- op test: batchnorm + ReLU on [B,F], fused (bn_relu, bn_relu_sums,
-- bn_pick, bn_relu_dx): training uses the batch's statistics,
-- evaluation the running ones, which train_step moves as PyTorch does
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 3}
local h = nn.batchnorm{momentum = 0.2, eps = 1e-3, name = "bn"}(nn.linear{5, name = "a"}(x))
local out = nn.linear{3, name = "b"}(nn.relu(h))
return nn.train {
  name = "op_bn_relu", loss = nn.mse(out, t), predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
