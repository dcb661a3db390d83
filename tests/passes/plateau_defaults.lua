-- pass test: a schedule called without braces takes its defaults
local nn = require "nncc"
local x = nn.input{"x", 6}
local y = nn.label{"y", classes = 3}
local out = nn.linear{3}(x)
return nn.train {
  name = "plateau_defaults", loss = nn.softmax_cross_entropy(out, y),
  batch = 8, epochs = 3, optimizer = nn.optim.rmsprop{},
  schedule = nn.schedule.plateau(),
  data = {train = nn.data.csv{"unused.csv"}},
}
