-- fusion test bn_add_relu: residual blocks relu(bn(conv(h)) + h), the
-- batch norm in either slot of the add: one pass, bn's output never stored
local nn = require "nncc"
local x = nn.input{"image", 3, 8, 8}
local y = nn.label{"class", classes = 4}
local h0 = nn.conv2d{6, 3, pad = 1, bias = false}(x)
local h = nn.relu(nn.add(nn.batchnorm{}(nn.conv2d{6, 3, pad = 1, bias = false}(h0)), h0))
h = nn.relu(nn.add(h, nn.batchnorm{}(nn.conv2d{6, 3, pad = 1, bias = false}(h))))
local logits = nn.linear{4}(nn.flatten(h))
return nn.train {
  name = "fz_bn_add_relu", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 8, epochs = 1, seed = 3,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9},
  data = {train = nn.data.csv{"unused.csv"}},
}
