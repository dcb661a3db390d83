-- op test: reshape{2, -1, 3}: a view [B,12] -> [B,2,2,3], and its gradient
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 2, 2, 3}
local out = nn.reshape{2, -1, 3}(nn.linear{12, name = "a"}(x))
local loss = nn.mse(out, t)
return nn.train {
  name = "op_reshape", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
