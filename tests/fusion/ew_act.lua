-- fusion test ew_act: bias + ReLU, bias + sigmoid, bias + tanh, and a
-- residual add + ReLU, in a small MLP
local nn = require "nncc"
local x = nn.input{"x", 12}
local y = nn.label{"class", classes = 3}
local h = nn.relu(nn.linear{16}(x))
local r = nn.sigmoid(nn.linear{16}(h))
h = nn.relu(nn.add(h, nn.linear{16}(r)))
h = nn.tanh(nn.linear{8}(h))
local logits = nn.linear{3}(h)
return nn.train {
  name = "fz_ew_act", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 16, epochs = 1, seed = 5,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
