-- an augmented recipe (tests/trainer/run.sh, h.): every transform,
-- normalize, oversampling and a filled last batch (the oversampled epoch
-- is not a multiple of 48), a checkpoint each epoch.  The schedule does
-- not depend on the epoch count, so --epochs 1 stops where epoch 1 of
-- the whole run ends.
local nn = require "nncc"
local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}
local h = nn.relu(nn.linear{32}(nn.flatten(x)))
local logits = nn.linear{10}(h)
local norm = {mean = {0.13}, std = {0.31}}
return nn.train {
  name = "augment",
  loss = nn.softmax_cross_entropy(logits, y, {label_smoothing = 0.1}),
  predict = logits,
  batch = 48, epochs = 2, seed = 1,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9},
  schedule = nn.schedule.step{every = 1, gamma = 0.5},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte",
                        scale = 1/255, normalize = norm},
    valid = nn.data.idx{"data/t10k-images-idx3-ubyte", "data/t10k-labels-idx1-ubyte",
                        scale = 1/255, normalize = norm},
  },
  augment = {
    nn.augment.hflip{p = 0.5},
    nn.augment.random_crop{pad = 2},
    nn.augment.cutout{size = 6},
    nn.augment.random_erasing{p = 0.5},
    nn.augment.mixup{alpha = 0.4},
  },
  balance = "oversample",
  checkpoint = {path = "augment.ckpt"},
}
