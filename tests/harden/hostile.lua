-- hostile: every string the script hands to the generated C is hostile
-- (tests/harden/run.sh): quotes, backslashes, comment ends and starts,
-- newlines, printf conversions, trigraphs, control bytes, UTF-8 with a
-- right-to-left override, 4095 bytes; names at their longest.  nncc must
-- emit C that compiles with -Werror and keeps every byte.
local nn = require "nncc"
local name64 = string.rep("n", 63) .. "1"
local x = nn.input{string.rep("x", 64), 4}
local y = nn.label{string.rep("Y", 64), classes = 3}
local h = nn.relu(nn.linear{8, name = "l_" .. string.rep("z", 62)}(x))
local logits = nn.linear{3, name = "L" .. string.rep("_", 63)}(h)
local evil = "d\"q\\b*/c/*o??=t??/n\nr\rt\t%s%n%%\1\127\195\169\226\152\131\226\128\174x"
return nn.train {
  name = name64,
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 2, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.csv{evil .. ".csv", label = 4},
    valid = nn.data.idx{string.rep("v", 4090) .. ".idx", "\");system(\"rm -rf /\");//"},
  },
  checkpoint = {"*/ #include </etc/passwd> /*\n#define x ??=", best = "b\\\"\\*/"},
}
