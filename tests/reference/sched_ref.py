#!/usr/bin/python3
"""sched_ref.py — nncc's learning-rate schedules against
torch.optim.lr_scheduler.

Acceptance: for each schedule and option, the learning rates of 100 steps
equal torch's to 1e-6 (relative).

    /usr/bin/python3 tests/reference/sched_ref.py cases > CASES
    build/sched_harness < CASES > OUT
    /usr/bin/python3 tests/reference/sched_ref.py check OUT   # exit 0 pass, 1 fail

tests/reference/sched.sh runs the three steps.

What nncc defines (runtime/rt_sched.c): schedules step once per epoch, as
torch's scheduler.step() once per epoch, and the trainer asks for the lr
of every batch at the fractional epoch e = epoch + i/nbatch.  So there are
two kinds of case, 100 steps each:
  per epoch   100 epochs of one batch: the lr of epoch e must be what
              torch's scheduler gives after e steps;
  per batch   10 epochs of 10 batches: the stepwise schedules (step at a
              whole number of batches, exponential, plateau) hold torch's
              per-epoch value through the epoch; the cosine and the warmup
              are torch's schedulers stepped once per batch, with T_max and
              total_iters counted in batches.
The schedules: constant; step = StepLR(step_size = every, gamma);
exponential = ExponentialLR(gamma); cosine = CosineAnnealingLR(T_max =
epochs, eta_min = min_lr); plateau = ReduceLROnPlateau(mode 'min', factor,
patience, threshold (threshold_mode 'rel'), cooldown, min_lr) stepped with
each epoch's validation loss (a fixed sequence made here, losses(): plateaus
and improvements on both sides of the threshold).  warmup multiplies any of
them by LinearLR(start_factor = warmup_start, total_iters = warmup)'s
factor: the reference is the product of the two torch sequences, which is
what torch's ChainedScheduler([LinearLR, schedule]) computes for the
schedules that chain by multiplication (the check shows it for those).

The comparison: |lr_c − lr_t| <= 1e-6·|lr_t| at every step.  nncc keeps
lr and the keys in float32, so it lands within about 1e-7.

The test checks itself: for every case, plausible mistakes (each key a
little off, the lr 5e-6 high, T_max one epoch short, the warmup ignored or
run before the schedule instead of beside it, the cosine held per epoch,
the plateau's threshold read as absolute or its cooldown or min_lr
ignored) must *fail*; if one passed, the case could not tell, and the test
says so.  NNCC_SCHED_BUG=gamma makes the reference's gammas 1% smaller, to
see the test fail.
"""

import math
import os
import sys
import warnings

RTOL = 1e-6
SCHED = {"constant": 0, "step": 1, "exponential": 2, "cosine": 3,
         "plateau": 4}

# name: (schedule, unit, keys as nncc names them)
CASES = {
    "constant": ("constant", "epoch", {"lr": 0.1}),
    "step": ("step", "epoch", {"lr": 0.1, "every": 30, "gamma": 0.1}),
    "step_7": ("step", "epoch", {"lr": 0.05, "every": 7, "gamma": 0.5}),
    "exponential": ("exponential", "epoch", {"lr": 0.1, "gamma": 0.95}),
    "cosine": ("cosine", "epoch", {"lr": 0.1}),
    "cosine_min_lr": ("cosine", "epoch", {"lr": 0.1, "min_lr": 0.01}),
    "plateau": ("plateau", "epoch", {"lr": 0.1, "factor": 0.5,
                                     "patience": 3, "threshold": 0.01,
                                     "cooldown": 2, "min_lr": 1e-4}),
    "plateau_defaults": ("plateau", "epoch", {"lr": 0.1}),
    "constant_warmup": ("constant", "epoch", {"lr": 0.1, "warmup": 5,
                                              "warmup_start": 0.1}),
    "step_warmup": ("step", "epoch", {"lr": 0.1, "every": 30,
                                      "gamma": 0.1, "warmup": 5}),
    "exponential_warmup": ("exponential", "epoch", {
        "lr": 0.1, "gamma": 0.95, "warmup": 10, "warmup_start": 0.25}),
    "cosine_warmup": ("cosine", "epoch", {"lr": 0.1, "warmup": 5,
                                          "warmup_start": 0.01}),
    "cosine_min_lr_warmup": ("cosine", "epoch", {
        "lr": 0.1, "min_lr": 0.01, "warmup": 5, "warmup_start": 0.01}),
    "plateau_warmup": ("plateau", "epoch", {
        "lr": 0.1, "factor": 0.5, "patience": 3, "threshold": 0.01,
        "cooldown": 2, "min_lr": 1e-4, "warmup": 8, "warmup_start": 0.1}),
    "cosine_per_batch": ("cosine", "batch", {"lr": 0.1, "min_lr": 0.01}),
    "cosine_warmup_per_batch": ("cosine", "batch", {
        "lr": 0.1, "warmup": 2, "warmup_start": 0.1}),
    "step_per_batch": ("step", "batch", {"lr": 0.1, "every": 2.5,
                                         "gamma": 0.5}),
    "exponential_warmup_per_batch": ("exponential", "batch", {
        "lr": 0.1, "gamma": 0.8, "warmup": 1.5}),
    "plateau_warmup_per_batch": ("plateau", "batch", {
        "lr": 0.1, "factor": 0.5, "patience": 1, "threshold": 0.01,
        "warmup": 3, "warmup_start": 0.2}),
}

# torch's defaults for the keys a case leaves out
DEFAULTS = {"every": 0, "gamma": 0.1, "warmup": 0, "warmup_start": 1e-3,
            "min_lr": 0, "factor": 0.1, "patience": 10, "threshold": 1e-4,
            "cooldown": 0}


def shape(unit):
    return (100, 1) if unit == "epoch" else (10, 10)


def losses(case):
    """The validation loss of each epoch, around 5 (so that a relative
    threshold and an absolute one differ): a cycle of three phases, each
    after cooldown + 1 good epochs (which end any cooldown and reset the
    count of bad ones), each telling one rule apart:
      an improvement of 1.1·threshold, then `patience` flat epochs: no
        reduction, but one with a threshold 25% larger;
      an improvement of 0.5·threshold, then `patience` flat epochs: a
        reduction, but none with an absolute threshold;
      a plateau of 2·(patience + 1) + cooldown epochs: a reduction, the
        cooldown, a second reduction."""
    kind, unit, k = CASES[case]
    epochs = shape(unit)[0]
    k = dict(DEFAULTS, **k)
    thr, p, c = k["threshold"], int(k["patience"]), int(k["cooldown"])
    cycle = [(0.05, c + 1), (1.1 * thr, 1), (0.0, p),
             (0.05, c + 1), (0.5 * thr, 1), (0.0, p),
             (0.05, c + 1), (0.0, 2 * (p + 1) + c)]
    out, loss = [], 5.0
    while len(out) < epochs:
        for step, n in cycle:
            for _ in range(n):
                loss *= 1 - step
                out.append(loss)
    return out[:epochs]


def cases():
    """The harness's input: one line per case."""
    for case, (kind, unit, k) in CASES.items():
        epochs, nbatch = shape(unit)
        kv = dict(DEFAULTS, **k)
        line = [case, "sched=%d" % SCHED[kind], "epochs=%d" % epochs,
                "nbatch=%d" % nbatch]
        line += ["%s=%r" % (key, float(v)) for key, v in kv.items()]
        if kind == "plateau":
            line.append("losses=" + ",".join("%r" % v for v in losses(case)))
        print(" ".join(line))


# ---- the reference -------------------------------------------------------

def off(key, v, unit):
    """Key read a little wrong."""
    if key in ("every", "warmup", "patience", "cooldown"):
        return v + 1
    if key == "gamma":
        return 1 - (1 - v) * 1.25
    return v * 1.25


def variants(case):
    kind, unit, k = CASES[case]
    v = ["lr 5e-6 high"] + ["%s = %r" % (key, off(key, x, unit))
                            for key, x in k.items() if key != "lr"]
    if kind == "cosine":
        v.append("T_max one epoch short")
        if unit == "batch":
            v.append("cosine held per epoch")
    if k.get("warmup"):
        v.append("warmup ignored")
        if kind != "constant":
            v.append("warmup before the schedule")
        if unit == "batch" and k["warmup"] == int(k["warmup"]):
            v.append("warmup held per epoch")
    if kind == "plateau":
        v += ["threshold absolute", "min_lr ignored"] if k.get("min_lr") \
            else ["threshold absolute"]
        if k.get("cooldown"):
            v.append("cooldown ignored")
    return v


def apply_variant(k, variant):
    k = dict(DEFAULTS, **k)
    if variant and " = " in variant:
        key, val = variant.split(" = ")
        k[key] = float(val)
    if variant == "lr 5e-6 high":
        k["lr"] *= 1 + 5e-6
    if variant == "min_lr ignored":
        k["min_lr"] = 0
    if variant == "cooldown ignored":
        k["cooldown"] = 0
    if variant == "warmup ignored":
        k["warmup"] = 0
    if os.environ.get("NNCC_SCHED_BUG") == "gamma":
        k["gamma"] *= 0.99
    return k


def run(torch, sched, n, per_step, losses=None, lr=1.0):
    """The lr of n steps of one torch scheduler on its own optimizer of
    learning rate lr, stepped after every per_step-th step (1: every step,
    nbatch: every epoch); losses feed ReduceLROnPlateau."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    s = sched(opt)
    out = []
    for i in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()                        # no gradient: changes nothing
        if (i + 1) % per_step == 0:
            if losses is None:
                s.step()
            else:
                s.step(losses[(i + 1) // per_step - 1])
    return out


def schedule_lrs(torch, kind, unit, k, variant, loss):
    """The schedule's lr at each of the 100 steps, warmup left out."""
    L = torch.optim.lr_scheduler
    epochs, nbatch = shape(unit)
    n = epochs * nbatch
    lr = k["lr"]
    if kind == "constant":
        return [lr] * n
    if kind == "step":
        size = k["every"] * nbatch
        if size != int(size):
            raise ValueError("every·nbatch must be whole")
        f = run(torch, lambda o: L.StepLR(o, int(size), k["gamma"]), n, 1,
                lr=lr)
    elif kind == "exponential":
        f = run(torch, lambda o: L.ExponentialLR(o, k["gamma"]), n, nbatch,
                lr=lr)
    elif kind == "cosine":
        # T_max: the whole run, in the scheduler's steps
        per = nbatch if variant == "cosine held per epoch" else 1
        tmax = n // per
        if variant == "T_max one epoch short":
            tmax -= nbatch // per
        f = run(torch, lambda o: L.CosineAnnealingLR(
            o, tmax, eta_min=k["min_lr"]), n, per, lr=lr)
    elif kind == "plateau":
        mode = "abs" if variant == "threshold absolute" else "rel"
        f = run(torch, lambda o: L.ReduceLROnPlateau(
            o, mode="min", factor=k["factor"], patience=int(k["patience"]),
            threshold=k["threshold"], threshold_mode=mode,
            cooldown=int(k["cooldown"]), min_lr=k["min_lr"]),
            n, nbatch, loss, lr=lr)
    return f


def warmup_factors(torch, unit, k, variant):
    """LinearLR's factor at each step (1 without warmup)."""
    epochs, nbatch = shape(unit)
    n = epochs * nbatch
    if not k["warmup"]:
        return [1.0] * n
    per = nbatch if variant == "warmup held per epoch" else 1
    total = k["warmup"] * nbatch / per
    if total != int(total):
        raise ValueError("warmup·nbatch must be whole")
    return run(torch, lambda o: torch.optim.lr_scheduler.LinearLR(
        o, start_factor=k["warmup_start"], end_factor=1.0,
        total_iters=int(total)), n, per)


def reference(torch, case, variant=None):
    kind, unit, k = CASES[case]
    k = apply_variant(k, variant)
    epochs, nbatch = shape(unit)
    loss = losses(case) if kind == "plateau" else None
    sched = schedule_lrs(torch, kind, unit, k, variant, loss)
    warm = warmup_factors(torch, unit, k, variant)
    if variant == "warmup before the schedule":
        # SequentialLR's reading: the schedule starts when warmup ends
        w = int(k["warmup"] * nbatch)
        return [k["lr"] * warm[i] if i < w else sched[i - w]
                for i in range(len(sched))]
    return [s * w for s, w in zip(sched, warm)]


def chained(torch, case):
    """torch's ChainedScheduler([LinearLR, schedule]) per epoch, for the
    schedules that chain by multiplication; None for the others."""
    kind, unit, k = CASES[case]
    k = apply_variant(k, None)
    if unit != "epoch" or not k["warmup"] or kind == "plateau" or (
            kind == "cosine" and k["min_lr"]):
        return None
    L = torch.optim.lr_scheduler

    def make(o):
        s = [L.LinearLR(o, start_factor=k["warmup_start"], end_factor=1.0,
                        total_iters=int(k["warmup"]))]
        if kind == "step":
            s.append(L.StepLR(o, int(k["every"]), k["gamma"]))
        elif kind == "exponential":
            s.append(L.ExponentialLR(o, k["gamma"]))
        elif kind == "cosine":
            s.append(L.CosineAnnealingLR(o, 100))
        return L.ChainedScheduler(s)
    return [k["lr"] * v for v in run(torch, make, 100, 1)]


def within(c, t):
    return len(c) == len(t) and all(
        abs(a - b) <= RTOL * abs(b) and math.isfinite(a) for a, b in zip(c, t))


def worst(c, t):
    return max(abs(a - b) / abs(b) for a, b in zip(c, t))


def read_output(path):
    got = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts:
                got[parts[0]] = [float(v) for v in parts[1:]]
    return got


def check(path):
    import torch
    warnings.simplefilter("ignore")
    got = read_output(path)
    failures = 0
    print("%-30s %10s %10s  %s" % ("case", "nncc", "chained", "rejects"))
    for case in CASES:
        c = got.get(case)
        t = reference(torch, case)
        if c is None or len(c) != 100:
            print("%-30s FAIL: no 100 learning rates in %s" % (case, path))
            failures += 1
            continue
        ch = chained(torch, case)
        chain_err = worst(ch, t) if ch is not None else None
        passed = [v for v in variants(case)
                  if within(c, reference(torch, case, v))]
        print("%-30s %10.1e %10s  %d mistakes%s" % (
            case, worst(c, t), "-" if chain_err is None else
            "%.1e" % chain_err, len(variants(case)),
            "" if not passed else ", but NOT: " + "; ".join(passed)))
        if not within(c, t):
            i = max(range(100), key=lambda j: abs(c[j] - t[j]) / abs(t[j]))
            print("  FAIL %s: step %d: nncc %.9g, torch %.9g" % (
                case, i, c[i], t[i]))
            failures += 1
        if chain_err is not None and chain_err > 1e-12:
            print("  FAIL %s: ChainedScheduler is not the product" % case)
            failures += 1
        if passed:
            print("  FAIL %s: the case cannot tell the schedule from: %s"
                  % (case, "; ".join(passed)))
            failures += 1
    print("(nncc: worst relative lr error over the 100 steps, tolerance "
          "1e-6; chained: torch's ChainedScheduler against the product)")
    print("schedules: %d cases, %s" % (len(CASES), "%d FAILED" % failures
                                        if failures else "all match torch"))
    return 1 if failures else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "cases":
        cases()
        return 0
    if len(argv) == 3 and argv[1] == "check":
        return check(argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
