-- op test: concat{a, b, c} along the channels of [B,C,2,2] tensors
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 6, 2, 2}
local a = nn.reshape{2, 2, 2}(nn.linear{8, name = "a"}(x))
local b = nn.reshape{1, 2, 2}(nn.linear{4, name = "b"}(x))
local c = nn.reshape{3, -1, 2}(nn.linear{12, name = "c"}(x))
local out = nn.concat{a, b, c}
local loss = nn.mse(out, t)
return nn.train {
  name = "op_concat_channels", loss = loss, predict = out, batch = 2, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
