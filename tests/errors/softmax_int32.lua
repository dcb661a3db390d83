-- expect: :6: log_softmax: input is int32; this op takes float tensors
local nn = require "nncc"

local x = nn.input{"tokens", 16, type = "int32"}
local y = nn.label{"digit", classes = 10}
local p = nn.log_softmax(x)
local logits = nn.linear{10}(nn.embedding{100, 8}(x))

return nn.train {
  name = "broken",
  loss = nn.softmax_cross_entropy(logits, y),
  batch = 32, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {
    train = nn.data.idx{"data/train-images-idx3-ubyte", "data/train-labels-idx1-ubyte", scale = 1/255},
  },
}
