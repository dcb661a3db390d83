-- expect: :13: data.csv: normalize: the input 'tokens' is int32 tokens, which are not normalized
local nn = require "nncc"

local x = nn.input{"tokens", 4, type = "int32"}
local y = nn.label{"class", classes = 3}
local logits = nn.linear{3}(nn.flatten(nn.embedding{9, 4}(x)))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 16, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"tokens.csv", normalize = {mean = {4}, std = {2}}}},
}
