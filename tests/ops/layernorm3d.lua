-- op test: layernorm over the last dimension of [B,T,F] (rows = B·T),
-- twice in a row so that ln1's parameters learn through ln2's input
-- gradient; ln1 on the input itself, with the default eps
local nn = require "nncc"
local x = nn.input{"x", 3, 4}
local t = nn.target{"t", 3}
local h = nn.tanh(nn.layernorm{name = "ln1"}(x))
h = nn.layernorm{eps = 1e-3, name = "ln2"}(h)
local out = nn.linear{3, name = "b"}(nn.flatten(h))
return nn.train {
  name = "op_layernorm3d", loss = nn.mse(out, t), predict = out, batch = 3, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
