-- fusion test conv_stats: batch norm after a conv of every kernel the
-- forward has, each taking its output planes' moments in its epilogue:
-- implicit GEMM (stride 1), planes (depthwise), direct (groups of 2 in,
-- 2 out), 1x1 GEMM, grouped implicit GEMM, phases (stride 2), im2col
-- (stride 2, dilation 2)
local nn = require "nncc"
local x = nn.input{"image", 3, 9, 9}
local y = nn.label{"class", classes = 4}
local function cb(spec)
  return nn.sequential { nn.conv2d(spec), nn.batchnorm{}, nn.relu }
end
local h = cb{8, 3, pad = 1, bias = false}(x)                           -- implicit GEMM
h = cb{8, 3, pad = 1, groups = 8, bias = false}(h)                     -- planes
h = cb{8, 3, pad = 1, groups = 4, bias = false}(h)                     -- direct
h = cb{12, 1, bias = false}(h)                                         -- 1x1 GEMM
h = cb{12, 3, pad = 1, groups = 2, bias = false}(h)                    -- grouped
local a = cb{8, 3, stride = 2, pad = 1, bias = false}(h)               -- phases
local b = cb{8, 3, stride = 2, pad = 2, dilation = 2, bias = false}(h) -- im2col
local logits = nn.linear{4}(nn.flatten(nn.add(a, b)))
return nn.train {
  name = "fz_conv_stats", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 6, epochs = 1, seed = 4,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9},
  data = {train = nn.data.csv{"unused.csv"}},
}
