-- op test: dropout on the input itself and on a hidden layer; in training
-- the masks are the counter-based hash's (reproduced by dropout.ref.c),
-- the gradient goes through the same masks, evaluation is the identity
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 3}
local h = nn.linear{5, name = "a"}(nn.dropout{0.5, name = "d1"}(x))
h = nn.dropout{p = 0.25, name = "d2"}(nn.tanh(h))
local out = nn.linear{3, name = "b"}(h)
return nn.train {
  name = "op_dropout", loss = nn.mse(out, t), predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
