#!/usr/bin/python3
"""mlp_reference.py — nncc's mnist_mlp trainer against PyTorch.

Acceptance test: the same initial weights (passed through a safetensors
file), the same batches, 20 steps of SGD with momentum on mnist_mlp, and the
losses and final weights of the generated C trainer must agree with
PyTorch's.

    /usr/bin/python3 tests/reference/mlp_reference.py --trainer-harness PATH
        [--data-dir data] [--outdir build/reference] [--steps 20] [--seed 1]
    /usr/bin/python3 tests/reference/mlp_reference.py --self-test

The model (models/mnist_mlp.lua must describe the same one):
    input [1,28,28] -> flatten (784) -> linear1 784->256 -> relu
    -> linear2 256->10 -> softmax cross-entropy, mean over the batch;
    batch 32; SGD lr 0.05, momentum 0.9 (PyTorch semantics:
    buf = 0.9*buf + grad, p -= 0.05*buf; buf starts at zero; no dampening,
    no Nesterov, no weight decay).
The data: batch k (k = 0..steps-1) is samples 32k..32k+31 of
data/train-images-idx3-ubyte / train-labels-idx1-ubyte, in file order, no
shuffle, no augmentation; pixels are float32(byte) * float32(1/255), as the
runtime's rt_load_idx(..., scale = 1.0f/255) computes them.

What happens:
 1. torch.manual_seed(seed) and PyTorch's default Linear init give the
    initial weights; they go to OUTDIR/init.safetensors as F32 tensors
    linear1.weight [256,784], linear1.bias [256], linear2.weight [10,256],
    linear2.bias [10] (PyTorch layouts), no optimizer state, __metadata__
    {"format": "pt", "source": ..., "seed": ...}.
 2. The harness runs as  PATH init.safetensors DATA_DIR STEPS out.safetensors
    (cwd OUTDIR, OMP_NUM_THREADS=1).  It must print `step k loss L` for
    k = 1..STEPS (L: the loss train_step returned: the batch's loss before
    that step's update) and write the final weights to out.safetensors.
    A line `model NAME batch B` (model_harness.c prints one) must say batch
    32; other output lines are ignored; extra tensors (optim.*) are ignored.
 3. PyTorch trains its copy on the same batches, single-threaded, float32.
 4. Comparison (every check must hold; exit 0 if so, 1 if not, 2 on a setup
    error such as a missing harness or data):
      loss, each step   |L_c - L_t| / |L_t|                  <= 1e-4
      each tensor W     max|W_c - W_t| / max|W_t|            <= 1e-4
      its update dW     max|dW_c - dW_t| / max|dW_t|         <= 1e-4
    where dW = W_final - W_init.  The first two are the acceptance criteria;
    the third compares only what training changed, so it does not get
    looser when W is dominated by its initial value (few steps, small lr).
    Float32 rounding differences (summation order) come to about 3e-7 on
    both W and dW, and 1e-7 on the losses; a 1% error in the learning rate
    of the last step alone, which no loss can see, gives 5e-4 on W and
    7e-4 on dW, and fails.  --self-test shows which planted bugs are caught.

Determinism: torch.set_num_threads(1), and OMP_NUM_THREADS=1 is set before
torch is imported and for the harness, so neither OpenBLAS nor OpenMP
changes the summation order from run to run.

--self-test checks the test itself, without the compiler: the numpy harness
np_harness.py (forward and backward written by hand) must pass, and each of
its planted bugs (NNCC_REF_BUG=...) must fail.
"""

import argparse
import os
import re
import subprocess
import sys

os.environ["OMP_NUM_THREADS"] = "1"

try:
    import numpy as np  # noqa: E402
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402
except ImportError as e:
    sys.stderr.write(
        "mlp_reference.py: %s (python: %s).\n"
        "  Install Debian's python3-torch (scripts/deps.sh --reference) and run\n"
        "  this with /usr/bin/python3 (not a pyenv/virtualenv python).\n"
        % (e, sys.executable))
    sys.exit(2)

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import st  # noqa: E402

BATCH = 32
LR = 0.05
MOMENTUM = 0.9
PARAMS = [
    ("linear1.weight", (256, 784)),
    ("linear1.bias", (256,)),
    ("linear2.weight", (10, 256)),
    ("linear2.bias", (10,)),
]
LOSS_RTOL = 1e-4
WEIGHT_RTOL = 1e-4
UPDATE_RTOL = 1e-4


class SetupError(Exception):
    pass


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = torch.nn.Linear(784, 256)
        self.linear2 = torch.nn.Linear(256, 10)

    def forward(self, x):
        return self.linear2(F.relu(self.linear1(torch.flatten(x, 1))))


def load_idx(path):
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except OSError as e:
        raise SetupError("%s (run scripts/fetch-mnist.sh)" % e)
    if len(buf) < 4 or buf[0] != 0 or buf[1] != 0 or buf[2] != 0x08:
        raise SetupError("%s: not a ubyte IDX file" % path)
    nd = buf[3]
    dims = tuple(int.from_bytes(buf[4 + 4 * i:8 + 4 * i], "big") for i in range(nd))
    a = np.frombuffer(buf, np.uint8, offset=4 + 4 * nd)
    if a.size != int(np.prod(dims)):
        raise SetupError("%s: %d bytes of data for dims %s" % (path, a.size, dims))
    return a.reshape(dims)


def load_batches(data_dir, steps):
    images = load_idx(os.path.join(data_dir, "train-images-idx3-ubyte"))
    labels = load_idx(os.path.join(data_dir, "train-labels-idx1-ubyte"))
    n = steps * BATCH
    if images.shape[1:] != (28, 28) or len(labels) != len(images):
        raise SetupError("%s: expected [N,28,28] images and N labels, got %s and %s"
                         % (data_dir, images.shape, labels.shape))
    if len(images) < n:
        raise SetupError("%s: %d steps need %d samples, the file has %d"
                         % (data_dir, steps, n, len(images)))
    x = images[:n].astype(np.float32) * np.float32(1.0 / 255)
    x = x.reshape(steps, BATCH, 1, 28, 28)
    y = labels[:n].astype(np.int64).reshape(steps, BATCH)
    return x, y


def make_init(seed):
    torch.manual_seed(seed)
    model = MLP()
    return {k: v.detach().numpy().astype(np.float32).copy()
            for k, v in model.state_dict().items()}


def torch_train(init, x, y):
    """Returns (losses, final weights) of PyTorch's SGD from init."""
    model = MLP()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in init.items()})
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM,
                          dampening=0, nesterov=False, weight_decay=0)
    losses = []
    for xb, yb in zip(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(yb))
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    final = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return losses, final


STEP_RE = re.compile(r"^step\s+(\d+)\s+loss\s+(\S+)\s*$")


MODEL_RE = re.compile(r"^model\s+(\S+)\s+batch\s+(\d+)\b")


def run_harness(cmd, outdir, init_path, data_dir, steps, env_extra=None,
                params=PARAMS, batch=BATCH):
    """Runs the harness; returns (losses, final tensors, extra tensor names).
    params: the (name, shape) of the tensors to return; batch: the batch
    size the test assumes, checked against the harness's `model NAME batch
    B` line when it prints one."""
    out_path = os.path.join(outdir, "out.safetensors")
    if os.path.exists(out_path):
        os.remove(out_path)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.update(env_extra or {})
    argv = cmd + [init_path, data_dir, str(steps), out_path]
    try:
        r = subprocess.run(argv, cwd=outdir, env=env, capture_output=True,
                           text=True, timeout=900)
    except OSError as e:
        raise SetupError("cannot run %s: %s" % (cmd[0], e))
    except subprocess.TimeoutExpired:
        raise SetupError("%s timed out" % " ".join(argv))
    if r.returncode != 0:
        raise SetupError("%s exited with status %d\n--- stdout\n%s--- stderr\n%s"
                         % (" ".join(argv), r.returncode, r.stdout, r.stderr))
    losses = {}
    for line in r.stdout.splitlines():
        m = MODEL_RE.match(line)
        if m and int(m.group(2)) != batch:
            raise SetupError("%s has batch %s; this test needs batch %d (the "
                             "model script and the test disagree)"
                             % (m.group(1), m.group(2), batch))
        m = STEP_RE.match(line)
        if m:
            k = int(m.group(1))
            if k in losses:
                raise SetupError("harness printed step %d twice" % k)
            try:
                losses[k] = float(m.group(2))
            except ValueError:
                raise SetupError("harness printed a bad loss: %r" % line)
    if sorted(losses) != list(range(1, steps + 1)):
        raise SetupError("harness printed losses for steps %s, expected 1..%d\n"
                         "--- stdout\n%s" % (sorted(losses), steps, r.stdout))
    try:
        tensors, _ = st.read(out_path)
    except (OSError, st.FormatError) as e:
        raise SetupError("reading the harness output: %s" % e)
    final = {}
    for name, shape in params:
        if name not in tensors:
            raise SetupError("%s: no tensor %s (has: %s)"
                             % (out_path, name, ", ".join(sorted(tensors))))
        t = tensors[name]
        if t.dtype != np.float32 or t.shape != shape:
            raise SetupError("%s: %s is %s %s, expected float32 %s"
                             % (out_path, name, t.dtype, list(t.shape), list(shape)))
        final[name] = t
    extra = sorted(set(tensors) - set(final))
    return [losses[k] for k in range(1, steps + 1)], final, extra


def rel(diff, scale):
    return diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))


def ok(err, tol):
    return bool(err <= tol)  # False for NaN


def compare(init, t_losses, t_final, c_losses, c_final, quiet=False):
    """Prints the tables; returns the number of failed checks."""
    out = (lambda *a: None) if quiet else print
    failed = 0
    out("%4s  %14s  %14s  %10s" % ("step", "torch loss", "nncc loss", "rel err"))
    for k, (lt, lc) in enumerate(zip(t_losses, c_losses), 1):
        e = rel(abs(lc - lt), abs(lt))
        good = ok(e, LOSS_RTOL)
        failed += not good
        out("%4d  %14.9g  %14.9g  %10.3g  %s" % (k, lt, lc, e, "ok" if good else "FAIL"))
    out("")
    out("%-15s %-10s %9s %9s %9s  %9s" % (
        "tensor", "shape", "max|W|", "max|dW|", "W err", "dW err"))
    for name, shape in PARAMS:
        wt, wc, w0 = t_final[name], c_final[name].astype(np.float32), init[name]
        with np.errstate(invalid="ignore", over="ignore"):
            werr = rel(float(np.max(np.abs(wc - wt))), float(np.max(np.abs(wt))))
            dt, dc = wt - w0, wc - w0
            derr = rel(float(np.max(np.abs(dc - dt))), float(np.max(np.abs(dt))))
        if not np.all(np.isfinite(wc)):
            werr = derr = float("nan")
        good_w, good_d = ok(werr, WEIGHT_RTOL), ok(derr, UPDATE_RTOL)
        failed += (not good_w) + (not good_d)
        out("%-15s %-10s %9.3g %9.3g %9.3g  %9.3g  %s" % (
            name, "x".join(map(str, shape)), float(np.max(np.abs(wt))),
            float(np.max(np.abs(dt))), werr, derr,
            "ok" if good_w and good_d else "FAIL"))
    out("")
    out("tolerances: loss rel %g; W: max|Wc-Wt|/max|Wt| %g; dW = W - W_init: "
        "max|dWc-dWt|/max|dWt| %g" % (LOSS_RTOL, WEIGHT_RTOL, UPDATE_RTOL))
    return failed


def prepare(args):
    os.makedirs(args.outdir, exist_ok=True)
    torch.set_num_threads(1)
    x, y = load_batches(args.data_dir, args.steps)
    init = make_init(args.seed)
    init_path = os.path.join(args.outdir, "init.safetensors")
    st.write(init_path, init, {
        "format": "pt",
        "source": "tests/reference/mlp_reference.py",
        "seed": str(args.seed),
    })
    # What the harness reads must be what torch starts from.
    back, _ = st.read(init_path)
    assert all(np.array_equal(back[k], init[k]) for k in init)
    t_losses, t_final = torch_train(init, x, y)
    return init, init_path, t_losses, t_final


def check(args):
    cmd = [os.path.abspath(args.trainer_harness)]
    if not os.access(cmd[0], os.X_OK):
        raise SetupError("%s: no such executable (build the harness first)" % cmd[0])
    init, init_path, t_losses, t_final = prepare(args)
    c_losses, c_final, extra = run_harness(cmd, args.outdir, init_path,
                                           os.path.abspath(args.data_dir), args.steps)
    print("mnist_mlp: %d steps of SGD (lr %g, momentum %g), batch %d, seed %d"
          % (args.steps, LR, MOMENTUM, BATCH, args.seed))
    print("harness: %s" % cmd[0])
    if extra:
        print("harness output also holds (not compared): %s" % ", ".join(extra))
    print("")
    failed = compare(init, t_losses, t_final, c_losses, c_final)
    print("")
    if failed:
        print("reference test FAILED: %d check(s) out of tolerance" % failed)
        return 1
    print("reference test passed")
    return 0


def self_test(args):
    from np_harness import BUGS
    init, init_path, t_losses, t_final = prepare(args)
    cmd = [sys.executable, os.path.join(HERE, "np_harness.py")]
    data_dir = os.path.abspath(args.data_dir)
    bad = 0
    for bug in [""] + list(BUGS):
        c_losses, c_final, _ = run_harness(cmd, args.outdir, init_path, data_dir,
                                           args.steps, {"NNCC_REF_BUG": bug})
        if bug == "":
            print("numpy harness, no bug:\n")
            failed = compare(init, t_losses, t_final, c_losses, c_final)
            print("")
            verdict = "passes, as it must" if not failed else "FAILS: the test is broken"
            bad += failed > 0
        else:
            failed = compare(init, t_losses, t_final, c_losses, c_final, quiet=True)
            verdict = ("caught (%d checks fail)" % failed if failed
                       else "NOT caught: the test is too weak")
            bad += failed == 0
        print("%-14s %-48s %s" % (bug or "(none)", BUGS.get(bug, "correct update"), verdict))
    print("")
    print("self-test %s" % ("FAILED" if bad else "passed"))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trainer-harness", metavar="PATH",
                    help="the C harness (tests/reference/model_harness.c built "
                         "for mnist_mlp)")
    ap.add_argument("--self-test", action="store_true",
                    help="check the test with the numpy harness and planted bugs")
    ap.add_argument("--data-dir", default=os.path.join(ROOT, "data"))
    ap.add_argument("--outdir", default=os.path.join(ROOT, "build", "reference"))
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.steps < 1:
        ap.error("--steps must be at least 1")
    if bool(args.trainer_harness) == args.self_test:
        ap.error("give exactly one of --trainer-harness PATH and --self-test")
    try:
        return self_test(args) if args.self_test else check(args)
    except SetupError as e:
        sys.stderr.write("mlp_reference.py: %s\n" % e)
        return 2


if __name__ == "__main__":
    sys.exit(main())
