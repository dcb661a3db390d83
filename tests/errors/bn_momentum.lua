-- expect: :7: batchnorm: 'momentum' = 1.5 is out of range [0, 1]
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.batchnorm{momentum = 1.5}(x)
local logits = nn.linear{10}(nn.flatten(h))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
