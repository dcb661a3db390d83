-- tiny: the model of the corrupted-file corpus (tests/corrupt/run.sh):
-- 4x4 one-channel images of 3 classes from IDX files, a checkpoint.
local nn = require "nncc"
local x = nn.input{"image", 1, 4, 4}
local y = nn.label{"class", classes = 3}
local logits = nn.linear{3}(nn.relu(nn.linear{8}(nn.flatten(x))))
return nn.train {
  name = "tiny",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 4, epochs = 1, seed = 1,
  optimizer = nn.optim.adam{lr = 0.01},
  data = {train = nn.data.idx{"images", "labels", scale = 1/255}},
  split = 0.25,
  checkpoint = {"tiny.ckpt"},
}
