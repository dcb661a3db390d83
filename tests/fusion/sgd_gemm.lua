-- fusion test sgd_gemm: plain SGD steps each weight in the product that
-- makes its gradient; the first layer's (nothing reads its input's
-- gradient) and the others' (their dX runs before), and a weight
-- shared by two layers, whose gradient is a sum and keeps the update loop
local nn = require "nncc"
local x = nn.input{"x", 30}
local y = nn.label{"class", classes = 4}
local h = nn.relu(nn.linear{24}(x))
local shared = nn.linear{24, name = "shared"}
h = shared(nn.tanh(shared(h)))
local logits = nn.linear{4}(h)
return nn.train {
  name = "fz_sgd_gemm", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 16, epochs = 1, seed = 13,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
