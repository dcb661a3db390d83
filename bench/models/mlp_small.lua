-- bench mlp_small: 784-128-10 perceptron, batch 32, plain SGD.
-- A benchmark model: its data is never loaded (bench/step.c feeds it
-- random batches); bench/torch_models.py holds the same network.
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.relu(nn.linear{128}(nn.flatten(x)))
local logits = nn.linear{10}(h)

return nn.train {
  name = "bench_mlp_small",
  loss = nn.softmax_cross_entropy(logits, y),
  predict = logits,
  batch = 32, epochs = 1, seed = 1,
  optimizer = nn.optim.sgd{lr = 0.01},
  data = { train = nn.data.csv{"unused.csv"} },
}
