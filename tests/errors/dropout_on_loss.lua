-- expect: :8: dropout: input [1] has no batch dimension
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local logits = nn.linear{10}(nn.flatten(x))
local l = nn.dropout{0.1}(nn.softmax_cross_entropy(logits, y))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
