"""Times full PyTorch training steps of one bench/ reference model.

    torch_bench.py MODEL THREADS [--budget S] [--min-steps N] [--max-steps N] [--warmup N]

A step is zero_grad(set_to_none=True), forward, cross-entropy, backward,
optimizer.step() — what an nncc trainer's _train_step does.  Inputs are
uniform [0,1) and labels uniform, four batches drawn once and cycled.  After
the warm-up, steps are timed one by one (time.perf_counter) until the budget
is spent, at least --min-steps and at most --max-steps of them, as in
bench/step.c (a stalled machine ends the run at five times the budget).

Run it as bench/run.sh does, with Debian's OpenMP OpenBLAS and the thread
count in the environment too:
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=N
(Debian's default pthread OpenBLAS ignores torch.set_num_threads: "one
thread" would silently use all cores and two would fight PyTorch's pool.)
The BLAS library actually loaded is printed, so a wrong setup shows.

Output, one line:
    torch model=mlp threads=1 batch=128 steps=… median_ms=… samples_per_s=… min_ms=… p90_ms=… loss=… blas=…
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import MODELS  # noqa: E402


def loaded_blas():
    """The OpenBLAS (or other BLAS) shared object mapped into this process."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower()}
    except OSError:
        return "unknown"
    libs = sorted({os.path.realpath(p) for p in libs if p.startswith("/")})
    main = [p for p in libs if "openblas" in os.path.basename(p)] or libs
    return ",".join(main) or "none"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("threads", type=int)
    ap.add_argument("--budget", type=float, default=10.0)
    ap.add_argument("--min-steps", type=int, default=50)
    ap.add_argument("--max-steps", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()

    env = os.environ.get("OMP_NUM_THREADS")
    if env is not None and env != str(a.threads):
        print(f"torch_bench: warning: OMP_NUM_THREADS={env} but threads={a.threads}",
              file=sys.stderr)
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)

    model, opt, shape, batch, classes = MODELS[a.model]()
    model.train()
    g = torch.Generator().manual_seed(42)
    xs = [torch.rand((batch,) + shape, generator=g) for _ in range(4)]
    ys = [torch.randint(0, classes, (batch,), generator=g) for _ in range(4)]

    step = 0
    loss = None

    def one():
        nonlocal step, loss
        x, y = xs[step % 4], ys[step % 4]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        step += 1

    for _ in range(a.warmup):
        one()
    # timed steps until the budget is spent, within [min_steps, max_steps];
    # a stalled machine ends the run at five times the budget (steps= shows it)
    t = []
    start = time.perf_counter()
    el = 0.0
    while len(t) < a.max_steps and (len(t) < a.min_steps or el < a.budget) \
            and not (len(t) >= 3 and el > 5 * a.budget):
        t0 = time.perf_counter()
        one()
        t1 = time.perf_counter()
        t.append(t1 - t0)
        el = t1 - start
    n = len(t)
    med = statistics.median(t)
    t.sort()
    print(f"torch model={a.model} threads={a.threads} batch={batch} steps={n} warmup={a.warmup} "
          f"median_ms={med * 1e3:.4f} samples_per_s={batch / med:.1f} "
          f"min_ms={t[0] * 1e3:.4f} p90_ms={t[min(n - 1, n * 9 // 10)] * 1e3:.4f} "
          f"loss={loss.item():.4f} torch_threads={torch.get_num_threads()} "
          f"blas={loaded_blas()}")


if __name__ == "__main__":
    main()
