-- op test: batchnorm per channel on [B,C,H,W], twice in a row so that
-- bn1's parameters learn through bn2's input gradient; bn1 on the input
-- itself, with the default momentum and eps
local nn = require "nncc"
local x = nn.input{"x", 2, 3, 3}
local t = nn.target{"t", 3}
local h = nn.tanh(nn.batchnorm{name = "bn1"}(x))
h = nn.batchnorm{momentum = 0.3, eps = 1e-4, name = "bn2"}(h)
local out = nn.linear{3, name = "b"}(nn.flatten(h))
return nn.train {
  name = "op_bn4d", loss = nn.mse(out, t), predict = out, batch = 2, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
