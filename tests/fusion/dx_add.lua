-- fusion test dx_add: residual blocks whose branch starts with a conv of
-- each input-gradient kernel (stride-1 implicit GEMM, depthwise planes,
-- 1x1 GEMM, direct loops, dilated), then two strided blocks with a
-- projection, the 1x1 (im2col) and the 3x3 (by phases) making the sum
-- (the conv autodiff reaches second): each block's input gradient is the
-- skip's plus the conv's, summed as the conv stores it
local nn = require "nncc"
local x = nn.input{"image", 3, 9, 9}
local y = nn.label{"class", classes = 4}
local h = nn.relu(nn.conv2d{8, 3, pad = 1}(x))
local function res(h, conv) return nn.relu(nn.add(h, nn.tanh(conv(h)))) end
h = res(h, nn.conv2d{8, 3, pad = 1})
h = res(h, nn.conv2d{8, 3, pad = 1, groups = 8})
h = res(h, nn.conv2d{8, 1})
h = res(h, nn.conv2d{8, 3, pad = 1, groups = 4})
h = res(h, nn.conv2d{8, 3, pad = 2, dilation = 2})
h = nn.relu(nn.add(nn.conv2d{12, 1, stride = 2}(h),
                   nn.tanh(nn.conv2d{12, 3, stride = 2, pad = 1}(h))))
local b = nn.conv2d{12, 3, stride = 2, pad = 1}(h)
h = nn.relu(nn.add(nn.tanh(b), nn.conv2d{12, 1, stride = 2}(h)))
local logits = nn.linear{4}(nn.global_avgpool(h))
return nn.train {
  name = "fz_dx_add", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 8, epochs = 1, seed = 5,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9},
  data = {train = nn.data.csv{"unused.csv"}},
}
