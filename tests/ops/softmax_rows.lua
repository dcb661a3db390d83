-- op test: softmax and log_softmax over the last dim of [B,3,4] (reshape{3, -1})
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 3, 4}
local r = nn.reshape{3, -1}(nn.linear{12, name = "a"}(x))
local out = nn.add(nn.softmax(r), nn.log_softmax(r))
local loss = nn.mse(out, t)
return nn.train {
  name = "op_softmax_rows", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
