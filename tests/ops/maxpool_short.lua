-- op test: maxpool 2x2 (stride 2) on rows of 6 windows (fewer than a vector's 8: masked loads and stores, the second half of each row part full) and an odd height (11 -> 5: the last row gets no gradient)
local nn = require "nncc"
local x = nn.input{"x", 2, 11, 12}
local t = nn.target{"t", 3, 5, 6}
local h = nn.conv2d{3, 3, pad = 1, name = "a"}(x)
local out = nn.maxpool{2}(h)
return nn.train {
  name = "op_maxpool_short", loss = nn.mse(out, t), predict = out, batch = 2,
  epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
