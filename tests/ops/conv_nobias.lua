-- op test: conv2d without bias
local nn = require "nncc"
local x = nn.input{"x", 3, 6, 6}
local t = nn.target{"t", 3, 4, 4}
local h = nn.conv2d{4, 3, bias = false, name = "a"}(x)
local out = nn.conv2d{3, 3, pad = 1, bias = false, name = "b"}(h)
return nn.train {
  name = "op_conv_nobias", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
