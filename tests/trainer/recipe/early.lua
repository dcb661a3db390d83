-- early: a recipe test of tests/trainer/driver.sh.  EMA weights, dropout,
-- early stopping on valid_loss and the best checkpoint: the test predicts
-- the stop epoch from the metrics, checks that what was reported is the
-- EMA model's, and kills a run mid-epoch to resume it.
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.dropout{0.2}(nn.relu(nn.linear{64}(nn.flatten(x))))
local logits = nn.linear{10}(h)

return nn.train {
  name = "early",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 30, seed = 3,
  optimizer = nn.optim.sgd{lr = 0.1, momentum = 0.9},
  ema = {decay = 0.99},
  early_stopping = {patience = 2, min_delta = 0.005},
  checkpoint = {"early.ckpt", best = "early.best.ckpt"},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
    valid = nn.data.idx{"data/t10k-images-idx3-ubyte", "data/t10k-labels-idx1-ubyte", scale = 1/255},
  },
}
