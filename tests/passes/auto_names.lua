-- a layer named "linear1" by the script: the automatic name of the next one skips it
local nn = require "nncc"
local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}
local h = nn.relu(nn.linear{256, name = "linear1"}(nn.flatten(x)))
local logits = nn.linear{10}(h)
return nn.train{name = "n", loss = nn.softmax_cross_entropy(logits, y), batch = 4, epochs = 1, optimizer = nn.optim.sgd{lr=0.1}, data = {train = nn.data.csv{"x.csv"}}}
