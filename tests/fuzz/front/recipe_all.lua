-- a seed with most recipe keys: adam, a plateau schedule with warmup,
-- EMA, early stopping, checkpoints, csv data, the prior bias
local nn = require "nncc"
local x = nn.input{"features", 8}
local y = nn.label{"class", classes = 3}
local h = nn.gelu(nn.layernorm{}(nn.linear{16, init = "kaiming"}(x)))
h = nn.dropout{0.1}(nn.leaky_relu{0.2}(h))
local logits = nn.linear{3, name = "head"}(h)
return nn.train {
  name = "seed_recipe",
  loss = nn.softmax_cross_entropy(logits, y, {label_smoothing = 0.05, class_weights = {1, 2, 1}}),
  predict = logits,
  batch = 8, epochs = 3, seed = 7, shuffle = true, lr_batch_ref = 16,
  optimizer = nn.optim.adam{lr = 1e-3, weight_decay = 1e-4, decoupled = true, clip_norm = 1, l1 = 1e-5},
  schedule = nn.schedule.plateau{factor = 0.5, patience = 2, warmup = 1, warmup_start = 0.01},
  data = {train = nn.data.csv{"train.csv", label = 0, header = true, normalize = {mean = {0}, std = {1}}}},
  split = 0.2,
  ema = {decay = 0.99},
  early_stopping = {patience = 2, min_delta = 0.001, monitor = "valid_acc"},
  checkpoint = {"seed.ckpt", every = 1, best = "seed.best.ckpt"},
  init_bias_from_prior = true,
  balance = "undersample", drop_last = true,
}
