#!/usr/bin/python3
"""inits.py — every init = … of nncc against torch.nn.init.

    inits.py prepare OUTDIR   writes OUTDIR/inits.lua, one layer per case
    inits.py check OUTDIR     compares OUTDIR/inits.safetensors (the model
                              after _init, saved by tests/trainer/probe.c
                              `save`) with torch's draws

Each case is a layer with an init, written once in nncc's Lua and once as
the torch.nn.init call it must match.  nncc and torch draw from different
random streams, so the check is on the distributions: for each weight,
torch initializes a tensor of the same shape (the shape read from the
checkpoint, so the fans are torch's own), and

  std       |s_nncc − s_torch| ≤ 6·√2·SE·s_torch, SE the relative standard
            error of a sample std: 1/√(2n) for a normal, √(0.2/n) for a
            uniform (n values; √2: two samples)
  range     a uniform's largest |w| in both within 30/n of each other
            (each is within 30/n of the bound but with probability e^−30)
  shape     kurtosis within 6·√(24/n) (its standard error for a normal;
            a uniform's 1.8 against a normal's 3 is told apart)

Exit 0 if every case holds, 1 if not, 2 on a setup error.
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

SIDE, CIN = 12, 3
IN = CIN * SIDE * SIDE

# name, layer (the Lua between "h = " and "(h)"), torch's call on w, kind
LINEAR = [
    ("kn", 'nn.linear{512, init = "kaiming"', "kaiming_normal_(w)", "normal"),
    ("ku", 'nn.linear{384, init = nn.init.kaiming{dist = "uniform", '
     'mode = "fan_out", nonlinearity = "leaky_relu", a = 0.1}',
     "kaiming_uniform_(w, a=0.1, mode='fan_out', nonlinearity='leaky_relu')",
     "uniform"),
    ("kt", 'nn.linear{300, init = nn.init.kaiming{nonlinearity = "tanh"}',
     "kaiming_normal_(w, nonlinearity='tanh')", "normal"),
    ("xu", 'nn.linear{256, init = "xavier"', "xavier_uniform_(w)", "uniform"),
    ("xn", 'nn.linear{200, init = nn.init.xavier{dist = "normal", '
     'gain = 5/3}', "xavier_normal_(w, gain=5/3)", "normal"),
    ("no", "nn.linear{100, init = nn.init.normal{std = 0.02}",
     "normal_(w, 0, 0.02)", "normal"),
    ("un", "nn.linear{80, init = nn.init.uniform{bound = 0.3}",
     "uniform_(w, -0.3, 0.3)", "uniform"),
    # PyTorch's nn.Linear default: kaiming_uniform_ with a = sqrt(5), which
    # is U(±1/sqrt(fan_in)); its bias U(±1/sqrt(fan_in)) too
    ("tl", "nn.linear{1000", "kaiming_uniform_(w, a=math.sqrt(5))",
     "uniform"),
]
CONV = [
    ("cv", 'nn.conv2d{64, 5, init = "kaiming_uniform"',
     "kaiming_uniform_(w)", "uniform"),
    ("cg", 'nn.conv2d{64, 3, groups = 4, init = nn.init.xavier{dist = '
     '"normal"}', "xavier_normal_(w)", "normal"),
]


def lua_source():
    """The model: the linear cases in a chain from the flattened image,
    the conv cases in a chain from the image, each chain to 10 logits by
    a layer of its own, summed."""
    lines = [
        'local nn = require "nncc"',
        'local img = nn.input{"img", %d, %d, %d}' % (CIN, SIDE, SIDE),
        'local y = nn.label{"y", classes = 10}',
        "local h = nn.flatten(img)",
    ]
    for name, layer, _, _ in LINEAR:
        lines.append('h = %s, name = "%s"}(h)' % (layer, name))
    lines.append('h = nn.linear{10, name = "out"}(h)')
    lines.append("local c = img")
    for name, layer, _, _ in CONV:
        lines.append('c = %s, name = "%s"}(c)' % (layer, name))
    lines += [
        'local z = nn.add(h, nn.linear{10, name = "ct"}(nn.flatten(c)))',
        "return nn.train {",
        '  name = "inits", loss = nn.softmax_cross_entropy(z, y),',
        "  batch = 4, epochs = 1, optimizer = nn.optim.sgd{lr = 0.1},",
        '  data = {train = nn.data.csv{"unused.csv"}},',
        "}",
    ]
    return "\n".join(lines) + "\n"


def prepare(outdir):
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "inits.lua")
    with open(path, "w") as f:
        f.write(lua_source())
    print(path)


def stats(v):
    """n, std, largest |v|, kurtosis of a flat float64 array."""
    n = v.size
    m = v.mean()
    d = v - m
    var = (d * d).mean()
    return n, math.sqrt(var), float(abs(v).max()), float((d ** 4).mean() / var ** 2)


def compare(name, ours, theirs, kind):
    """Reasons the two samples differ in distribution, or []."""
    n, s1, m1, k1 = stats(ours)
    _, s2, m2, k2 = stats(theirs)
    se = 1 / math.sqrt(2 * n) if kind == "normal" else math.sqrt(0.2 / n)
    bad = []
    if abs(s1 - s2) > 6 * math.sqrt(2) * se * s2:
        bad.append("std %.6g, torch %.6g" % (s1, s2))
    if kind == "uniform" and abs(m1 - m2) > 30 / n * m2:
        bad.append("max |w| %.6g, torch %.6g" % (m1, m2))
    if abs(k1 - k2) > 6 * math.sqrt(24 / n):
        bad.append("kurtosis %.3f, torch %.3f" % (k1, k2))
    print("%s %-10s n %7d  std %.6g vs %.6g  max %.5g vs %.5g  kurtosis "
          "%.2f vs %.2f" % ("FAIL" if bad else "ok  ", name, n, s1, s2, m1,
                            m2, k1, k2))
    return bad


def check(outdir):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import numpy as np
    import torch

    torch.manual_seed(0)
    tensors, _ = st.read(os.path.join(outdir, "inits.safetensors"))
    failed = 0
    cases = [(n + ".weight", call, kind) for n, _, call, kind in LINEAR + CONV]
    cases.append(("tl.bias", None, "uniform"))
    for tname, call, kind in cases:
        ours = tensors[tname].astype(np.float64).ravel()
        if call is None:        # nn.Linear's bias: U(±1/sqrt(fan_in))
            fan_in = tensors["tl.weight"].shape[1]
            w = torch.empty(tensors[tname].shape)
            bound = 1 / math.sqrt(fan_in)
            torch.nn.init.uniform_(w, -bound, bound)
        else:
            w = torch.empty(tensors[tname].shape)
            eval("torch.nn.init." + call, {"torch": torch, "math": math,
                                           "w": w})
        theirs = w.numpy().astype(np.float64).ravel()
        failed += bool(compare(tname, ours, theirs, kind))
    print("inits: %d cases, %d failed" % (len(cases), failed))
    return 1 if failed else 0


def main(argv):
    if len(argv) != 3 or argv[1] not in ("prepare", "check"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if argv[1] == "prepare":
        prepare(argv[2])
        return 0
    return check(argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
