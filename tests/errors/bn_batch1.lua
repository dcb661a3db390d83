-- expect: :7: batchnorm: one value per channel (batch 1 of [B,32]); training needs more than one
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.relu(nn.batchnorm{}(nn.linear{32}(nn.flatten(x))))
local logits = nn.linear{10}(h)

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 1, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
