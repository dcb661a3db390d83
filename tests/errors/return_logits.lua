-- expect: :10: the script must end with return nn.train{…}
local nn = require "nncc"

local x = nn.input{"image", 1, 28, 28}
local y = nn.label{"digit", classes = 10}

local h = nn.relu(nn.linear{256}(nn.flatten(x)))
local logits = nn.linear{10}(h)

return logits
