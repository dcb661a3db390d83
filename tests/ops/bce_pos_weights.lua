-- op test: sigmoid_bce with a pos_weight per output
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 3}
local out = nn.linear{3, name = "a"}(x)
local loss = nn.sigmoid_bce(out, t, {pos_weight = {0.5, 2, 4}})
return nn.train {
  name = "op_bce_pos_weights", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
