-- a seed with float targets: sigmoid_bce, mse, l1; rmsprop, adagrad,
-- adabound, step and exponential schedules (one per line, one used)
local nn = require "nncc"
local x = nn.input{"x", 2, 3}
local t = nn.target{"t", 4}
local h = nn.softmax(nn.reshape{6}(x))
h = nn.log_softmax(nn.linear{4, bias = false, init = nn.init.normal{std = 0.02}}(h))
local z = nn.linear{4, init = nn.init.kaiming{dist = "uniform", mode = "fan_out", nonlinearity = "leaky_relu", a = 0.1}}(h)
local o1 = nn.optim.rmsprop{lr = 0.01, alpha = 0.9, momentum = 0.5, centered = true}
local o2 = nn.optim.adagrad{lr = 0.1, lr_decay = 0.01, initial_accumulator_value = 0.1}
local o3 = nn.optim.adabound{lr = 1e-3, final_lr = 0.1, gamma = 1e-3}
local s1 = nn.schedule.step{every = 2, gamma = 0.5}
local s2 = nn.schedule.exponential{gamma = 0.9}
local l1 = nn.mse(z, t)
local l2 = nn.l1(z, t)
return nn.train {
  name = "seed_targets",
  loss = nn.sigmoid_bce(z, t, {pos_weight = {1, 2, 3, 4}}),
  batch = 2, epochs = 2,
  optimizer = o3, schedule = s2,
  data = {train = nn.data.idx{"x.idx", "t.idx"}},
  split = 0.5,
}
