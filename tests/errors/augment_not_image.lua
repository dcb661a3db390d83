-- expect: :14: augment.random_crop: transforms images [C,H,W]; the input 'pixels' is [B,784]
local nn = require "nncc"

local x = nn.input{"pixels", 784}
local y = nn.label{"digit", classes = 10}
local logits = nn.linear{10}(x)

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"data/pixels.csv"}},
  augment = {nn.augment.random_crop{pad = 2}},
}
