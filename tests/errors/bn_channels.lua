-- expect: :10: batchnorm: shared was first applied to 1 channels, now to 16
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local bn = nn.batchnorm{name = "shared"}
local h = bn(x)
h = nn.linear{16}(nn.flatten(h))
local logits = nn.linear{10}(bn(h))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
