-- op test: maxpool 2x2 (stride 2) after a conv: the gradient goes to each window's maximum
local nn = require "nncc"
local x = nn.input{"x", 2, 7, 7}
local t = nn.target{"t", 3, 3, 3}
local h = nn.conv2d{3, 2, name = "a"}(x)
local out = nn.maxpool{2}(h)
return nn.train {
  name = "op_maxpool", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
