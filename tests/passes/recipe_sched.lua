-- pass test: the recipe's optimizer and schedule reach the trainer
local nn = require "nncc"
local x = nn.input{"x", 6}
local y = nn.label{"y", classes = 3}
local out = nn.linear{3}(nn.relu(nn.linear{8}(x)))
return nn.train {
  name = "recipe_sched", loss = nn.softmax_cross_entropy(out, y),
  batch = 64, epochs = 3, lr_batch_ref = 256,
  optimizer = nn.optim.adabound{lr = 0.1, final_lr = 0.2, clip_norm = 1.5, l1 = 1e-4},
  schedule = nn.schedule.plateau{factor = 0.25, patience = 2, threshold = 0.05,
                                 cooldown = 1, min_lr = 1e-3, warmup = 0.5,
                                 warmup_start = 0.2},
  data = {train = nn.data.csv{"unused.csv"}},
}
