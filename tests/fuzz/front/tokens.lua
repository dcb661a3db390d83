-- a seed of int32 inputs: embedding, reshape with an inferred dimension
local nn = require "nncc"
local x = nn.input{"tokens", 6, type = "int32"}
local y = nn.label{"class", classes = 2}
local e = nn.embedding{100, 8, init = "zeros"}(x)
local h = nn.reshape{-1}(e)
local logits = nn.linear{2}(nn.relu(h))
return nn.train {
  name = "seed_tokens", loss = nn.softmax_cross_entropy(logits, y),
  batch = 3, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1, dampening = 0.1, momentum = 0.5},
  schedule = nn.schedule.constant{warmup = 2},
  data = {train = nn.data.csv{"tokens.csv"}},
}
