-- a token classifier (tests/trainer/run.sh): the class is which third of
-- the vocabulary the tokens come from; data: tokens.csv, 600 rows
local nn = require "nncc"
local x = nn.input{"tokens", 4, type = "int32"}
local y = nn.label{"class", classes = 3}
local h = nn.flatten(nn.embedding{9, 4}(x))
local logits = nn.linear{3}(h)
return nn.train {
  name = "tokens", loss = nn.softmax_cross_entropy(logits, y),
  batch = 16, epochs = 3, seed = 1,
  optimizer = nn.optim.adam{lr = 0.05},
  data = {train = nn.data.csv{"tokens.csv"}}, split = 0.2,
}
