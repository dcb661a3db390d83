-- op test: layernorm over the features of [B,F] (ln_stats, ln_apply,
-- ln_gamma_grad, sum_rows for β, ln_dx), as torch.nn.LayerNorm(F)
local nn = require "nncc"
local x = nn.input{"x", 6}
local t = nn.target{"t", 3}
local h = nn.layernorm{eps = 1e-3, name = "ln"}(nn.linear{5, name = "a"}(x))
local out = nn.linear{3, name = "b"}(nn.tanh(h))
return nn.train {
  name = "op_layernorm", loss = nn.mse(out, t), predict = out, batch = 4, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
