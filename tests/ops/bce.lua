-- op test: sigmoid_bce (and logits of ±30, where a naive log σ overflows)
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 3}
local out = nn.linear{3, name = "a"}(x)
local loss = nn.sigmoid_bce(out, t)
return nn.train {
  name = "op_bce", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
