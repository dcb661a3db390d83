-- op test: embedding (int32 tokens [B,5], vocab 7, dim 3) and its
-- scatter-add gradient; out-of-range tokens give NaN rows, never a read
-- outside the weight
local nn = require "nncc"
local tok = nn.input{"tok", 5, type = "int32"}
local t = nn.target{"t", 5, 3}
local out = nn.embedding{7, 3, name = "emb"}(tok)
local loss = nn.mse(out, t)
return nn.train {
  name = "op_embedding", loss = loss, predict = out, batch = 3, epochs = 1,
  optimizer = nn.optim.sgd{lr = 0.1},
  data = {train = nn.data.csv{"unused.csv"}},
}
