-- nncc-flags: --no-fuse
-- op test: softmax_cross_entropy unfused (log_softmax, then nll and its
-- gradient nll_grad), no options
local nn = require "nncc"
local x = nn.input{"x", 6}
local y = nn.label{"y", classes = 5}
local out = nn.linear{5, name = "a"}(x)
return nn.train {
  name = "op_nll", loss = nn.softmax_cross_entropy(out, y), predict = out, batch = 4,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
