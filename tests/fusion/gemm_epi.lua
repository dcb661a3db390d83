-- fusion test gemm_epi: bias and ReLU in the product's epilogue, on each
-- of nn_gemm's paths: 1100 inputs (K in two blocks, the bias added after
-- the second), 40 outputs of a batch of 32 (x·Wᵀ swapped, tiles stored
-- transposed), a layer without bias (ReLU alone), 16 columns (the narrow
-- tile) and 10 logits from 70 (the dot-product tile); momentum, so the
-- update stays a pass of its own (sgd_gemm is tested in sgd_gemm.lua)
local nn = require "nncc"
local x = nn.input{"x", 1100}
local y = nn.label{"class", classes = 10}
local h = nn.relu(nn.linear{40}(x))
h = nn.relu(nn.linear{70}(h))
local g = nn.relu(nn.linear{16, bias = false}(h))
local logits = nn.add(nn.linear{10}(h), nn.linear{10}(g))
return nn.train {
  name = "fz_gemm_epi", loss = nn.softmax_cross_entropy(logits, y), predict = logits,
  batch = 32, epochs = 1, seed = 11,
  optimizer = nn.optim.sgd{lr = 0.05, momentum = 0.9},
  data = {train = nn.data.csv{"unused.csv"}},
}
