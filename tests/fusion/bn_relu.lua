-- fusion tests bn_relu and bn_relu_pool: conv, batch norm, ReLU, twice, on
-- 3x8x8 images, the second closed by 2x2 max pooling (bn_relu_pool), whose
-- gradient reaches the first's parameters through bn_relu_pool_dx
local nn = require "nncc"
local x = nn.input{"image", 3, 8, 8}
local y = nn.label{"class", classes = 4}
local function cbr(ch)
  return nn.sequential { nn.conv2d{ch, 3, pad = 1, bias = false}, nn.batchnorm{}, nn.relu }
end
local h = cbr(8)(cbr(6)(x))
local logits = nn.linear{4}(nn.flatten(nn.maxpool{2}(h)))
return nn.train {
  name = "fz_bn_relu", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 8, epochs = 1, seed = 3,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9},
  data = {train = nn.data.csv{"unused.csv"}},
}
