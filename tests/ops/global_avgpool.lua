-- op test: global_avgpool: [B,C,H,W] -> [B,C], each plane's mean (after a
-- direct 1 -> 2 channel conv)
local nn = require "nncc"
local x = nn.input{"x", 1, 5, 5}
local t = nn.target{"t", 2}
local h = nn.conv2d{2, 3, name = "a"}(x)
local out = nn.global_avgpool(h)
return nn.train {
  name = "op_global_avgpool", loss = nn.mse(out, t), predict = out, batch = 4,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
