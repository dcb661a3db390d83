-- fusion test bn_sums: batch norm with no ReLU after it, on a conv's
-- planes and on a linear layer's [B,F], each of whose backward passes
-- takes dβ and dγ from one pass over dy and x
local nn = require "nncc"
local x = nn.input{"image", 3, 8, 8}
local y = nn.label{"class", classes = 4}
local h = nn.tanh(nn.batchnorm{}(nn.conv2d{6, 3, pad = 1, bias = false}(x)))
h = nn.sigmoid(nn.batchnorm{}(nn.linear{12}(nn.flatten(h))))
local logits = nn.linear{4}(h)
return nn.train {
  name = "fz_bn_sums", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 8, epochs = 1, seed = 3,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9},
  data = {train = nn.data.csv{"unused.csv"}},
}
