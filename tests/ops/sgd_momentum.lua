-- op test: sgd_update with momentum, dampening and weight decay
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.linear{5, name = "a"}(x)
local loss = nn.mse(out, t)
return nn.train {
  name = "op_sgd_momentum", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1, momentum = 0.9, dampening = 0.1, weight_decay = 0.01},
  data = {train = nn.data.csv{"unused.csv"}},
}
