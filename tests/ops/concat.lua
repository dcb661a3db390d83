-- op test: concat(a, b, …) of five feature tensors and its slices (more than four inputs)
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 9}
local function lin(n, name) return nn.linear{n, name = name}(x) end
local out = nn.concat(lin(1, "a"), lin(2, "b"), lin(3, "c"), lin(1, "d"), lin(2, "e"))
local loss = nn.mse(out, t)
return nn.train {
  name = "op_concat", loss = loss, predict = out, batch = 3, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
