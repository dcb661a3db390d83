-- op test: maxpool 2x2 (stride 2) on an odd plane (7x7): the last row and column are in no window and get no gradient
local nn = require "nncc"
local x = nn.input{"x", 2, 8, 8}
local t = nn.target{"t", 3, 3, 3}
local h = nn.conv2d{3, 2, name = "a"}(x)
local out = nn.maxpool{2}(h)
return nn.train {
  name = "op_maxpool_odd", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
