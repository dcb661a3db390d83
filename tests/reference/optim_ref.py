#!/usr/bin/python3
"""optim_ref.py — nncc's optimizers and their options against torch.optim.

Acceptance: for each optimizer and option, 10 steps on a fixed small
problem leave nncc's parameters within 1e-5 (relative) of torch.optim's
(PyTorch 1.13); AdaBound, which torch lacks, within 1e-5 of a float64
implementation of its formula written here (adabound_step).

    /usr/bin/python3 tests/reference/optim_ref.py prepare OUTDIR   # prints the cases
    (for each case: nncc CASE.lua, build optim_harness.c, run it > CASE.out)
    /usr/bin/python3 tests/reference/optim_ref.py check OUTDIR     # exit 0 pass, 1 fail

tests/reference/optim.sh runs the three steps.

The problem, the same in every case: x [8,6] -> linear "a" (6->5) -> tanh
-> linear "b" (5->3) -> mse against a float target [8,3], 10 steps on 10
different batches, with the learning rate changing at every step (lr·(1 −
0.05k) at step k, set through MODEL_set_lr: the runtime's lr must reach
every rule, and AdaBound's final_lr must follow it).  Halfway the harness
saves the model, frees it and loads it back, so the optimizer state and
the step count must survive a checkpoint (optim_harness.c).  The case
"untrained" adds a layer "c" that only `predict` reads: it gets no
gradient and must not move, though weight decay would move it.

`prepare` writes for each case CASE.lua (the optimizer's keys come from
CASES below and nowhere else), CASE.init.safetensors (the weights, float32,
drawn from a fixed seed), CASE.x.f32, CASE.y.f32 (the 10 batches) and
CASE.lr.f32 (the 10 learning rates).  `check` runs the same steps with
torch.optim in float64 on the same float32 inputs and compares the final
parameters: every entry must satisfy
    |p_c − p_t| <= 1e-5·|p_t| + 1e-6·max|p_t|
(the floor, a millionth of the tensor's largest entry, for entries near
0), and what the 10 steps changed, Δp = p_final − p_init, must agree to
max|Δp_c − Δp_t| <= 1e-5·max|Δp_t| (so a small update is not hidden
behind a large weight).  For scale, the table also shows torch.optim's own
float32 run against the float64 one; both come to a few hundredths of the
tolerance.

Before each step the reference does what nncc defines (optim.c): the
gradient is clipped as torch.nn.utils.clip_grad_norm_(params, clip_norm)
does, then l1·sign(p) is added to it, then torch's optimizer steps (which
adds weight_decay·p itself, or decays p for AdamW).

The test checks itself: for every case, plausible mistakes — each option
the case sets a little off (momentum 0.9 read as 0.875, a flipped flag),
the learning rate 1% high, the schedule ignored, the optimizer state or
the step count lost at the checkpoint, clipping or l1 left out or in the
wrong order, small gradients scaled up to clip_norm, an untrained layer decayed, AdaBound's bounds not following
the lr — computed the same way must *fail* against nncc's output; if one
passed, the case could not tell the right rule from it, and the test says
so.  NNCC_OPTIM_BUG=lr makes the reference's lr 1% high, to see the test
fail.
"""

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import st  # noqa: E402

BATCH, IN, HID, OUT, STEPS = 8, 6, 5, 3, 10
RTOL, FLOOR = 1e-5, 1e-6

# name: (optimizer, its keys as nncc names them; l1 and clip_norm too)
CASES = {
    "sgd": ("sgd", {"lr": 0.2}),
    "sgd_momentum": ("sgd", {"lr": 0.1, "momentum": 0.9}),
    "sgd_dampening": ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    "sgd_nesterov": ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "sgd_weight_decay": ("sgd", {"lr": 0.1, "momentum": 0.8,
                                 "weight_decay": 0.05}),
    "adam": ("adam", {"lr": 0.02}),
    "adam_betas_eps": ("adam", {"lr": 0.02, "beta1": 0.8, "beta2": 0.95,
                                "eps": 1e-2}),
    "adam_weight_decay": ("adam", {"lr": 0.02, "weight_decay": 0.5}),
    "adamw": ("adam", {"lr": 0.02, "weight_decay": 0.5, "decoupled": True}),
    "adagrad": ("adagrad", {"lr": 0.1}),
    "adagrad_options": ("adagrad", {"lr": 0.1, "lr_decay": 0.1,
                                    "initial_accumulator_value": 0.2,
                                    "eps": 1e-2, "weight_decay": 0.1}),
    "rmsprop": ("rmsprop", {"lr": 0.01}),
    "rmsprop_alpha_eps": ("rmsprop", {"lr": 0.01, "alpha": 0.9,
                                      "eps": 1e-2, "weight_decay": 0.1}),
    "rmsprop_momentum": ("rmsprop", {"lr": 0.01, "momentum": 0.8}),
    "rmsprop_centered": ("rmsprop", {"lr": 0.01, "alpha": 0.9,
                                     "centered": True}),
    "rmsprop_centered_momentum": ("rmsprop", {"lr": 0.01, "alpha": 0.9,
                                              "centered": True,
                                              "momentum": 0.8}),
    "adabound": ("adabound", {"lr": 0.01, "final_lr": 0.2, "gamma": 0.1}),
    "adabound_options": ("adabound", {"lr": 0.01, "final_lr": 0.1,
                                      "gamma": 0.2, "beta1": 0.8,
                                      "beta2": 0.95, "eps": 1e-2,
                                      "weight_decay": 0.1}),
    "sgd_l1": ("sgd", {"lr": 0.1, "momentum": 0.9, "l1": 0.05}),
    "adam_l1": ("adam", {"lr": 0.02, "l1": 0.2}),
    # clip_norm amid the gradients' norms (0.7 to 2): some steps clip,
    # some do not
    "sgd_clip": ("sgd", {"lr": 0.1, "momentum": 0.9, "clip_norm": 1.2}),
    "adam_clip_l1": ("adam", {"lr": 0.02, "clip_norm": 1.2, "l1": 0.2,
                              "weight_decay": 0.1}),
    "rmsprop_clip": ("rmsprop", {"lr": 0.01, "clip_norm": 1.0}),
    "adagrad_clip_l1": ("adagrad", {"lr": 0.1, "clip_norm": 1.0, "l1": 0.1}),
    "adabound_clip_l1": ("adabound", {"lr": 0.01, "final_lr": 0.2,
                                      "gamma": 0.1, "clip_norm": 1.5,
                                      "l1": 0.1}),
    "untrained": ("sgd", {"lr": 0.1, "momentum": 0.9,
                          "weight_decay": 0.1}),
}

TRAINED = ["a.weight", "a.bias", "b.weight", "b.bias"]
UNTRAINED = ["c.weight", "c.bias"]
# options that are decay rates: read "off" as 1 − (1 − v)·1.25
DECAYS = {"momentum", "alpha", "beta1", "beta2"}
STATEFUL = {"adam", "adagrad", "adabound"}      # besides momentum buffers


def names(case):
    return TRAINED + (UNTRAINED if case == "untrained" else [])


def lua_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(float(v))


def lua_source(case):
    kind, opts = CASES[case]
    keys = ", ".join("%s = %s" % (k, lua_value(v)) for k, v in opts.items())
    predict = ('nn.linear{%d, name = "c"}(x)' % OUT if case == "untrained"
               else "out")
    return """-- generated by tests/reference/optim_ref.py: the %s case
local nn = require "nncc"
local x = nn.input{"x", %d}
local y = nn.target{"y", %d}
local h = nn.tanh(nn.linear{%d, name = "a"}(x))
local out = nn.linear{%d, name = "b"}(h)
return nn.train {
  name = "optim_%s", loss = nn.mse(out, y), predict = %s,
  batch = %d, epochs = 1, optimizer = nn.optim.%s{%s},
  data = {train = nn.data.csv{"unused.csv"}},
}
""" % (case, IN, OUT, HID, OUT, case, predict, BATCH, kind, keys)


def case_data(case):
    """The weights, batches and learning rates (float32), the same problem
    for every case; only the lr sequence follows the case's lr."""
    rng = np.random.RandomState(6)
    init = {
        "a.weight": rng.standard_normal((HID, IN)) * 0.5,
        "a.bias": rng.standard_normal(HID) * 0.3,
        "b.weight": rng.standard_normal((OUT, HID)) * 0.5,
        "b.bias": rng.standard_normal(OUT) * 0.3,
        "c.weight": rng.standard_normal((OUT, IN)) * 0.5,
        "c.bias": rng.standard_normal(OUT) * 0.3,
    }
    init = {k: v.astype(np.float32) for k, v in init.items()
            if k in names(case)}
    x = rng.standard_normal((STEPS, BATCH, IN)).astype(np.float32)
    y = rng.standard_normal((STEPS, BATCH, OUT)).astype(np.float32)
    lr = CASES[case][1]["lr"]
    lrs = np.array([lr * (1 - 0.05 * k) for k in range(STEPS)], np.float32)
    return init, x, y, lrs


def prepare(outdir):
    os.makedirs(outdir, exist_ok=True)
    for case in CASES:
        init, x, y, lrs = case_data(case)
        with open(os.path.join(outdir, case + ".lua"), "w") as f:
            f.write(lua_source(case))
        st.write(os.path.join(outdir, case + ".init.safetensors"), init,
                 {"format": "pt"})
        x.astype("<f4").tofile(os.path.join(outdir, case + ".x.f32"))
        y.astype("<f4").tofile(os.path.join(outdir, case + ".y.f32"))
        lrs.astype("<f4").tofile(os.path.join(outdir, case + ".lr.f32"))
        print(case, " ".join(names(case)))


# ---- the references --------------------------------------------------------

def adabound_step(p, g, s, lr, lr0, o, variant=None):
    """One AdaBound step of weights p (float64 numpy, in place) with
    gradient g, written from the paper (Luo et al., ICLR 2019, Algorithm
    2 with the bias correction and eps of the authors' release):
        m = β1·m + (1 − β1)·g,  v = β2·v + (1 − β2)·g²
        α_t = lr·√(1 − β2ᵗ)/(1 − β1ᵗ)
        η = clip(α_t/(√v + eps), η_l(t), η_u(t)),
        η_l(t) = f·(1 − 1/(γt + 1)),  η_u(t) = f·(1 + 1/(γt)),
        f = final_lr·lr/lr0 (the final lr follows the schedule)
        p = p − η·m
    s holds m, v and t; weight_decay adds wd·p to g first."""
    b1, b2 = o.get("beta1", 0.9), o.get("beta2", 0.999)
    eps, gamma = o.get("eps", 1e-8), o.get("gamma", 1e-3)
    final = o.get("final_lr", 0.1)
    if "m" not in s:
        s.update(m=np.zeros_like(p), v=np.zeros_like(p), t=0)
    s["t"] += 1
    t = s["t"]
    g = g + o.get("weight_decay", 0.0) * p
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    if variant == "final_lr fixed (not lr/lr0)":
        f = final
    else:
        f = final * lr / lr0
    lower, upper = f * (1 - 1 / (gamma * t + 1)), f * (1 + 1 / (gamma * t))
    if variant == "Adam's eps (√v/√(1 − β2ᵗ) + eps)":
        eta = lr / (1 - b1 ** t) / (np.sqrt(s["v"]) / np.sqrt(1 - b2 ** t)
                                    + eps)
    else:
        eta = alpha / (np.sqrt(s["v"]) + eps)
    if variant == "no bounds (Adam)":
        pass
    elif variant == "lower bound only":
        eta = np.maximum(eta, lower)
    elif variant == "upper bound only":
        eta = np.minimum(eta, upper)
    else:
        eta = np.clip(eta, lower, upper)
    p -= eta * s["m"]


def torch_optimizer(torch, kind, o, params):
    """torch.optim's optimizer for nncc's keys o."""
    wd = o.get("weight_decay", 0.0)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o.get(
            "momentum", 0.0), dampening=o.get("dampening", 0.0),
            weight_decay=wd, nesterov=o.get("nesterov", False))
    if kind == "adam":
        cls = torch.optim.AdamW if o.get("decoupled") else torch.optim.Adam
        return cls(params, lr=o["lr"], betas=(o.get("beta1", 0.9),
                   o.get("beta2", 0.999)), eps=o.get("eps", 1e-8),
                   weight_decay=wd)
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr=o["lr"], lr_decay=o.get(
            "lr_decay", 0.0), weight_decay=wd,
            initial_accumulator_value=o.get("initial_accumulator_value", 0.0),
            eps=o.get("eps", 1e-10))
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=o["lr"], alpha=o.get(
            "alpha", 0.99), eps=o.get("eps", 1e-8), weight_decay=wd,
            momentum=o.get("momentum", 0.0), centered=o.get("centered", False))
    raise ValueError(kind)


def off(k, v):
    """Option k read a little wrong."""
    if isinstance(v, bool):
        return not v
    if k in DECAYS:
        return 1 - (1 - v) * 1.25
    return v * 1.25


def variants(case):
    kind, o = CASES[case]
    v = ["lr 1% high", "lr schedule ignored"]
    v += ["%s = %s" % (k, off(k, x)) for k, x in o.items()
          if k not in ("lr", "l1", "clip_norm")]
    if kind in STATEFUL or o.get("momentum") or kind == "rmsprop":
        v.append("state lost at the checkpoint")
    if kind in ("adam", "adabound") or o.get("lr_decay"):
        v.append("step count restarts at the checkpoint")
    if kind == "adabound":
        v += ["no bounds (Adam)", "lower bound only", "upper bound only",
              "final_lr fixed (not lr/lr0)"]
        if "eps" in o:
            v.append("Adam's eps (√v/√(1 − β2ᵗ) + eps)")
    if o.get("l1"):
        v += ["no l1", "l1 = %s" % off("l1", o["l1"])]
    if o.get("clip_norm"):
        v += ["no clipping", "clip_norm = %s" % off("clip", o["clip_norm"]),
              "small gradients scaled up to clip_norm"]
    if o.get("l1") and o.get("clip_norm"):
        v.append("l1 before clipping")
    if case == "untrained":
        v.append("untrained layer updated")
    return v


def apply_variant(o, variant):
    """The keys o as the variant reads them."""
    o = dict(o)
    if variant and " = " in variant:
        k, val = variant.split(" = ")
        o[k] = (val == "True") if val in ("True", "False") else float(val)
    return o


def reference(torch, case, dtype, variant=None):
    """{name: final array} of case by torch.optim (AdaBound: adabound_step)
    in dtype, or, with variant, by a plausible mistake."""
    kind, o = CASES[case]
    o = apply_variant(o, variant)
    init, x, y, lrs = case_data(case)
    P = {k: torch.tensor(v, dtype=dtype, requires_grad=True)
         for k, v in init.items()}
    trained = [P[k] for k in TRAINED]
    every = [P[k] for k in names(case)]
    lr0 = o["lr"]
    opt = torch_optimizer(torch, kind, o, every) if kind != "adabound" else None
    ab = {k: {} for k in TRAINED}
    scale = 1.01 if (variant == "lr 1% high" or
                     os.environ.get("NNCC_OPTIM_BUG") == "lr") else 1.0
    l1, clip = o.get("l1", 0.0), o.get("clip_norm", 0.0)
    if variant == "no l1":
        l1 = 0.0
    if variant == "no clipping":
        clip = 0.0
    for k in range(STEPS):
        if k == STEPS // 2 and variant == "state lost at the checkpoint":
            opt = (torch_optimizer(torch, kind, o, every)
                   if opt is not None else None)
            ab = {n: {} for n in TRAINED}
        if k == STEPS // 2 and variant == "step count restarts at the " \
                                          "checkpoint":
            for s in (opt.state.values() if opt is not None else []):
                s["step"] = torch.zeros_like(torch.as_tensor(s["step"]))
            for s in ab.values():
                s["t"] = 0
        lr = float(lrs[0 if variant == "lr schedule ignored" else k]) * scale
        for p in every:
            p.grad = None
        xb = torch.tensor(x[k], dtype=dtype)
        yb = torch.tensor(y[k], dtype=dtype)
        h = torch.tanh(xb @ P["a.weight"].T + P["a.bias"])
        out = h @ P["b.weight"].T + P["b.bias"]
        torch.nn.functional.mse_loss(out, yb).backward()
        if variant == "untrained layer updated":
            for n in UNTRAINED:
                P[n].grad = torch.zeros_like(P[n])
        with torch.no_grad():
            if l1 and variant == "l1 before clipping":
                for p in trained:
                    p.grad += l1 * torch.sign(p)
            if clip and variant == "small gradients scaled up to clip_norm":
                norm = torch.sqrt(sum((p.grad ** 2).sum() for p in trained))
                for p in trained:
                    p.grad *= clip / (norm + 1e-6)
            elif clip:
                torch.nn.utils.clip_grad_norm_(trained, clip)
            if l1 and variant != "l1 before clipping":
                for p in trained:
                    p.grad += l1 * torch.sign(p)
        if opt is not None:
            for g in opt.param_groups:
                g["lr"] = lr
            opt.step()
            continue
        with torch.no_grad():
            for n in TRAINED:
                w = P[n].detach().numpy().astype(np.float64)
                adabound_step(w, P[n].grad.numpy().astype(np.float64), ab[n],
                              lr, lr0 * scale if variant == "lr 1% high"
                              else lr0, o, variant)
                P[n].copy_(torch.tensor(w, dtype=dtype))
    return {k: P[k].detach().double().numpy().ravel() for k in P}


def read_output(path, want):
    """The harness's output: {name: array} for the names in want."""
    got = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] in want:
                n = int(parts[1])
                vals = np.array([float(v) for v in parts[2:]])
                if len(vals) != n:
                    raise ValueError("%s: %s has %d of %d values"
                                     % (path, parts[0], len(vals), n))
                got[parts[0]] = vals
    if set(got) != set(want):
        raise ValueError("%s: missing %s" % (path, sorted(set(want) -
                                                        set(got))))
    return got


def compare(c, t):
    """(ok, worst error in units of the tolerance) of c against t."""
    ok, worst = True, 0.0
    for k, ref in t.items():
        if c[k].shape != ref.shape:
            return False, float("inf")
        tol = RTOL * np.abs(ref) + FLOOR * np.abs(ref).max()
        err = np.abs(c[k] - ref)
        ok = ok and bool(np.all(err <= tol))
        worst = max(worst, float(np.max(err / tol)))
    return ok, worst


def update_error(c, t, init):
    """max |Δc − Δt| / max |Δt| over the trained tensors, Δ = final − init."""
    worst = 0.0
    for k in TRAINED:
        dc, dt = c[k] - init[k].ravel(), t[k] - init[k].ravel()
        worst = max(worst, float(np.abs(dc - dt).max() / np.abs(dt).max()))
    return worst


def check(outdir):
    import torch
    torch.set_num_threads(1)
    failures = 0
    print("%-26s %9s %9s %9s  %s" % ("case", "nncc:p", "nncc:dp",
                                      "torch32:p", "rejects"))
    for case in CASES:
        init = {k: v.astype(np.float64) for k, v in case_data(case)[0].items()}
        try:
            c = read_output(os.path.join(outdir, case + ".out"), names(case))
        except (OSError, ValueError) as e:
            print("%-26s FAIL: %s" % (case, e))
            failures += 1
            continue
        t = reference(torch, case, torch.float64)
        ok, err = compare(c, t)
        derr = update_error(c, t, init)
        ok = ok and derr <= RTOL
        _, err32 = compare(reference(torch, case, torch.float32), t)
        if case == "untrained":
            for k in UNTRAINED:   # bit for bit: %.9g round-trips float32
                ok = ok and np.array_equal(c[k].astype(np.float32),
                                           init[k].ravel().astype(np.float32))
        passed = [v for v in variants(case)
                  if compare(c, reference(torch, case, torch.float64, v))[0]]
        print("%-26s %8.2ft %9.1e %8.2ft  %d mistakes%s" % (
            case, err, derr, err32, len(variants(case)),
            "" if not passed else ", but NOT: " + "; ".join(passed)))
        if not ok:
            print("  FAIL %s: nncc's parameters differ from the reference"
                  % case)
            for k in sorted(t):
                print("    %s nncc      %s\n    %s reference %s" % (
                    k, np.array2string(c[k], precision=7),
                    k, np.array2string(t[k], precision=7)))
            failures += 1
        if passed:
            print("  FAIL %s: the case cannot tell the rule from: %s"
                  % (case, "; ".join(passed)))
            failures += 1
    print("(nncc:p, torch32:p worst parameter error in units of the tolerance "
          "1e-5·|p| + 1e-6·max|p|, t; nncc:dp max|Δp error|/max|Δp| of the "
          "10 steps' update; torch32: torch.optim in float32)")
    print("optimizers: %d cases, %s" % (len(CASES), "%d FAILED" % failures
                                         if failures else
                                         "all match the references"))
    return 1 if failures else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "prepare":
        prepare(argv[2])
        return 0
    if len(argv) == 3 and argv[1] == "check":
        return check(argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
