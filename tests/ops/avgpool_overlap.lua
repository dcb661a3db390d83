-- op test: avgpool 3x3 with stride 2 and pad 1 (count_include_pad: always / 9)
local nn = require "nncc"
local x = nn.input{"x", 2, 7, 7}
local t = nn.target{"t", 3, 3, 3}
local h = nn.conv2d{3, 2, name = "a"}(x)
local out = nn.avgpool{3, stride = 2, pad = 1}(h)
return nn.train {
  name = "op_avgpool_overlap", loss = nn.mse(out, t), predict = out, batch = 3,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
