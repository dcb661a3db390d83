-- a seed of plain Lua around the model: loops, closures, string and table
-- functions, metatables, pcall of a mistake, a layer built in a function
local nn = require "nncc"
local function block(w) return nn.sequential{nn.linear{w}, nn.relu} end
local widths = {}
for i = 1, 3 do widths[#widths + 1] = 8 * i end
table.sort(widths, function(a, b) return a > b end)
local x = nn.input{"x", 5}
local y = nn.label{"y", classes = 4}
local h = x
for _, w in ipairs(widths) do h = block(w)(h) end
local ok, err = pcall(function() return nn.linear{0} end)
local name = string.format("%s_%d", ("seed"):upper():lower(), #widths)
local t = setmetatable({}, {__index = function(_, k) return k end})
assert(t.z == "z" and not ok and utf8.len("é") == 1 and math.floor(2.5) == 2)
print(tostring(h), select("#", 1, 2))
return nn.train {
  name = name, loss = nn.softmax_cross_entropy(nn.linear{4}(h), y),
  batch = 2, epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"d.csv"}},
}
