-- fusion test by_sample: batch norm + ReLU (and batch norm + add + ReLU)
-- run sample by sample inside the conv reading their output, for each
-- forward kernel with a sample loop: the stride-1 implicit GEMM, the
-- strided one on phases, the 1x1 GEMM, the im2col GEMM (dilated, strided);
-- a depthwise conv (plane kernels) after batch norm + ReLU keeps them apart
local nn = require "nncc"
local x = nn.input{"image", 3, 10, 10}
local y = nn.label{"class", classes = 4}
local function bnr(h) return nn.relu(nn.batchnorm{}(h)) end
local h = bnr(nn.conv2d{8, 3, pad = 1, bias = false}(x))
h = bnr(nn.conv2d{8, 3, pad = 1, groups = 8, bias = false}(h))  -- planes: apart
h = bnr(nn.conv2d{8, 3, pad = 1, bias = false}(h))          -- stride 1
local r = nn.batchnorm{}(nn.conv2d{8, 1, bias = false}(h))   -- 1x1
h = nn.relu(nn.add(h, r))                                    -- bn_add_relu
h = bnr(nn.conv2d{12, 3, stride = 2, pad = 1, bias = false}(h))  -- phases
h = bnr(nn.conv2d{12, 3, stride = 2, pad = 2, dilation = 2, bias = false}(h))
local logits = nn.linear{4}(nn.global_avgpool(h))
return nn.train {
  name = "fz_by_sample", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 8, epochs = 1, seed = 7,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9},
  data = {train = nn.data.csv{"unused.csv"}},
}
