-- tiny_csv: the CSV model of the corrupted-file corpus
-- (tests/corrupt/run.sh): 4 features and a class of 3, header line; its
-- checkpoint is another model's for tiny.
local nn = require "nncc"
local x = nn.input{"features", 4}
local y = nn.label{"class", classes = 3}
local logits = nn.linear{3}(x)
return nn.train {
  name = "tiny_csv",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 4, epochs = 1, seed = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"train.csv", header = true}},
  split = 0.25,
  checkpoint = {"tiny_csv.ckpt"},
}
