-- op test: residual add + ReLU, one loop when fused (fusion ew_act:
-- add, then relu); relu's gradient flows to both inputs of the add
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.relu(nn.add(nn.linear{5, name = "a"}(x), nn.linear{5, name = "b"}(x)))
local loss = nn.mse(out, t)
return nn.train {
  name = "op_add_relu", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
