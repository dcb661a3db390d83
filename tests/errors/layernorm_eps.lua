-- expect: :7: layernorm: 'eps' = -1e-05 must be positive
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.layernorm{eps = -1e-5}(nn.flatten(x))
local logits = nn.linear{10}(h)

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
