-- op test: matmul at batch 64, where C is narrow (5 columns) and nn_gemm computes it transposed: forward, dX and the weight gradient
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.linear{5, name = "a"}(x)
local loss = nn.mse(out, t)
return nn.train {
  name = "op_linear_batch64", loss = loss, predict = out, batch = 64, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
