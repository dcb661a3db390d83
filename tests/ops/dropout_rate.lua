-- op test: dropout's statistics over 2×1024 elements: the share dropped,
-- the 1/(1 - p) scale, masks that change with the step and the seed
-- (dropout.ref.c reads the mask off grad.a.weight: the inputs are one-hot)
local nn = require "nncc"
local x = nn.input{"x", 2}
local t = nn.target{"t", 1024}
local out = nn.dropout{0.3, name = "drop"}(nn.linear{1024, name = "a"}(x))
return nn.train {
  name = "op_dropout_rate", loss = nn.mse(out, t), predict = out, batch = 2, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
