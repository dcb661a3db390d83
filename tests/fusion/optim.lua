-- fusion test optim: Adam's update of every parameter in one loop, against
-- one update node per parameter; weight decay and a schedule-free lr
local nn = require "nncc"
local x = nn.input{"x", 10}
local y = nn.label{"class", classes = 3}
local logits = nn.linear{3}(nn.tanh(nn.linear{7}(x)))
return nn.train {
  name = "fz_optim", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 8, epochs = 1, seed = 7,
  optimizer = nn.optim.adam{lr = 0.01, weight_decay = 0.01},
  data = {train = nn.data.csv{"unused.csv"}},
}
