-- op test: adam_update, decoupled weight decay (AdamW)
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 5}
local out = nn.linear{5, name = "a"}(x)
local loss = nn.mse(out, t)
return nn.train {
  name = "op_adamw", loss = loss, predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.adam{lr = 0.01, beta1 = 0.8, weight_decay = 0.1, decoupled = true},
  data = {train = nn.data.csv{"unused.csv"}},
}
