-- expect: :7: batchnorm: input has 2 dims [B,20,8]; batchnorm takes [B,features] or [B,channels,H,W]
local nn = require "nncc"

local x = nn.input{"sequence", 20, 8}
local y = nn.label{"digit", classes = 10}

local h = nn.batchnorm{}(x)
local logits = nn.linear{10}(nn.flatten(h))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
