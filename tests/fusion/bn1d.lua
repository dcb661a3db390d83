-- fusion test bn_relu on [B,F]: linear, batch norm, ReLU, twice (one value
-- a plane: the sums' scalar tails only)
local nn = require "nncc"
local x = nn.input{"x", 12}
local y = nn.label{"class", classes = 3}
local function lbr(n)
  return nn.sequential { nn.linear{n, bias = false}, nn.batchnorm{}, nn.relu }
end
local logits = nn.linear{3}(lbr(16)(lbr(20)(x)))
return nn.train {
  name = "fz_bn1d", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 16, epochs = 1, seed = 9,
  optimizer = nn.optim.sgd{lr = 0.1, momentum = 0.9},
  data = {train = nn.data.csv{"unused.csv"}},
}
