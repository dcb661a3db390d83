-- op test: log_softmax over the features and log_softmax_grad
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.log_softmax(nn.linear{5, name = "a"}(x))
local loss = nn.mse(out, t)
return nn.train {
  name = "op_log_softmax", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
