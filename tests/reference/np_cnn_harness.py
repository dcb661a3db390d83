#!/usr/bin/python3
"""np_cnn_harness.py — the mnist_cnn_bn trainer harness written in numpy.

It speaks the protocol of model_harness.c (the C harness around a
generated trainer), so cnn_bn_reference.py can be checked without the
compiler:

    np_cnn_harness.py INIT.safetensors DATA_DIR STEPS OUT.safetensors

loads the tensors, trains STEPS steps of mnist_cnn_bn (see
cnn_bn_reference.py: four conv3x3-BN-ReLU blocks, two 2x2 max pools, one
linear layer; batch norm in training mode; SGD lr 0.01, momentum 0.9,
Nesterov, PyTorch semantics) on consecutive batches of 64 of
DATA_DIR/train-*-idx?-ubyte in file order, prints `step k loss L` after each
step (L: the batch's mean cross-entropy before the update) and writes the
parameters, the running statistics and the momentum buffers.

NNCC_REF_BUG=<name> plants a bug, to show that the reference test fails on
a wrong trainer: see BUGS.  Float32 throughout, forward and backward written
out by hand (im2col convolutions, no autograd), so it is also an independent
check of the torch side.
"""

import os
import struct
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import st  # noqa: E402

f32 = np.float32
BATCH = 64
LR = f32(0.01)
MOMENTUM = f32(0.9)
BN_MOMENTUM = f32(0.1)
BN_EPS = f32(1e-5)
CONVS = ["conv2d1", "conv2d2", "conv2d3", "conv2d4"]
BNS = ["batchnorm1", "batchnorm2", "batchnorm3", "batchnorm4"]
PARAMS = ([c + ".weight" for c in CONVS]
          + [b + s for b in BNS for s in (".weight", ".bias")]
          + ["linear1.weight", "linear1.bias"])
BUGS = {
    "eval-bn": "batch norm in eval mode (running statistics)",
    "bn-momentum": "running stats: new = 0.1*old + 0.9*batch",
    "biased-var": "running_var updated with the biased batch variance",
    "bn-eps": "batch norm eps 1e-3 instead of 1e-5",
    "stale-stats": "running statistics not updated on the last step",
    "no-nesterov": "heavy-ball momentum instead of Nesterov",
    "lr": "learning rate 1% too high",
    "last-step-lr": "learning rate 1% too high on the last step only",
    "frozen-gamma": "batchnorm2.weight never updated",
    "bn-const-stats": "batch norm backward: batch mean and variance as constants",
    "conv-flip": "conv2d3.weight gradient with the kernel flipped",
}


def load_idx(path):
    with open(path, "rb") as f:
        buf = f.read()
    (magic,) = struct.unpack(">I", buf[:4])
    if magic >> 8 != 0x08:
        raise SystemExit("%s: not a ubyte IDX file" % path)
    nd = magic & 0xFF
    dims = struct.unpack(">%dI" % nd, buf[4:4 + 4 * nd])
    return np.frombuffer(buf, np.uint8, offset=4 + 4 * nd).reshape(dims)


def conv_forward(x, w):
    """3x3, stride 1, pad 1, no bias.  x [N,C,H,W], w [O,C,3,3].
    Returns y [N,O,H,W] and the im2col matrix [N*H*W, C*9]."""
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = sliding_window_view(xp, (3, 3), axis=(2, 3))  # [N,C,H,W,3,3]
    cols = np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)).reshape(n * h * wd, c * 9)
    y = cols @ w.reshape(w.shape[0], -1).T  # [N*H*W, O]
    return np.ascontiguousarray(y.reshape(n, h, wd, -1).transpose(0, 3, 1, 2)), cols


def conv_backward(dy, cols, w, xshape):
    n, c, h, wd = xshape
    o = w.shape[0]
    dyf = dy.transpose(0, 2, 3, 1).reshape(n * h * wd, o)
    dw = (dyf.T @ cols).reshape(w.shape)
    dcols = (dyf @ w.reshape(o, -1)).reshape(n, h, wd, c, 3, 3)
    dxp = np.zeros((n, c, h + 2, wd + 2), f32)
    for i in range(3):
        for j in range(3):
            dxp[:, :, i:i + h, j:j + wd] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, 1:-1, 1:-1], dw


def bn_forward(x, g, b, rm, rv, train, eps):
    if not train:
        inv = f32(1) / np.sqrt(rv + eps)
        xhat = (x - rm[None, :, None, None]) * inv[None, :, None, None]
        return g[None, :, None, None] * xhat + b[None, :, None, None], (None, xhat, inv, None, None)
    n = x.shape[0] * x.shape[2] * x.shape[3]
    mean = x.mean(axis=(0, 2, 3), dtype=f32)
    d = x - mean[None, :, None, None]
    var = (d * d).mean(axis=(0, 2, 3), dtype=f32)  # biased, for normalizing
    inv = f32(1) / np.sqrt(var + eps)
    xhat = d * inv[None, :, None, None]
    y = g[None, :, None, None] * xhat + b[None, :, None, None]
    return y, (mean, xhat, inv, var, n)


def bn_backward(dy, g, cache, train, const_stats=False):
    _, xhat, inv, _, n = cache
    dg = (dy * xhat).sum(axis=(0, 2, 3), dtype=f32)
    db = dy.sum(axis=(0, 2, 3), dtype=f32)
    if not train or const_stats:
        return dy * (g * inv)[None, :, None, None], dg, db
    # dx = g*inv/n * (n*dy - sum(dy) - xhat*sum(dy*xhat))
    dx = (g * inv / f32(n))[None, :, None, None] * (
        f32(n) * dy - db[None, :, None, None] - xhat * dg[None, :, None, None])
    return dx, dg, db


def pool_forward(x):
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    win = win.reshape(n, c, h // 2, w // 2, 4)
    idx = win.argmax(axis=-1)[..., None]  # the first maximum, as PyTorch
    return np.take_along_axis(win, idx, -1)[..., 0], idx


def pool_backward(dy, idx, xshape):
    n, c, h, w = xshape
    d = np.zeros((n, c, h // 2, w // 2, 4), f32)
    np.put_along_axis(d, idx, dy[..., None], -1)
    d = d.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return d.reshape(xshape)


def main():
    if len(sys.argv) != 5:
        raise SystemExit("usage: np_cnn_harness.py INIT DATA_DIR STEPS OUT")
    init, data_dir, steps, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    bug = os.environ.get("NNCC_REF_BUG", "")
    if bug and bug not in BUGS:
        raise SystemExit("unknown NNCC_REF_BUG %r; known: %s" % (bug, ", ".join(BUGS)))

    images = load_idx(os.path.join(data_dir, "train-images-idx3-ubyte"))
    labels = load_idx(os.path.join(data_dir, "train-labels-idx1-ubyte"))
    if steps * BATCH > len(images):
        raise SystemExit("%d steps need %d samples, have %d"
                         % (steps, steps * BATCH, len(images)))
    x_all = images[:steps * BATCH].astype(f32) * f32(1.0 / 255)
    x_all = x_all.reshape(steps * BATCH, 1, 28, 28)
    y_all = labels.astype(np.int64)

    w, _ = st.read(init)
    p = {k: w[k].astype(f32) for k in PARAMS}
    stats = {b + s: w[b + s].astype(f32) for b in BNS for s in (".running_mean", ".running_var")}
    buf = {k: np.zeros_like(v) for k, v in p.items()}
    train = bug != "eval-bn"
    eps = f32(1e-3) if bug == "bn-eps" else BN_EPS

    print("model mnist_cnn_bn batch %d in_size 784" % BATCH, flush=True)
    for k in range(steps):
        h = x_all[k * BATCH:(k + 1) * BATCH]
        y = y_all[k * BATCH:(k + 1) * BATCH]
        tape = []
        # forward: (conv, bn, relu) x2, pool, (conv, bn, relu) x2, pool
        for i, (c, b) in enumerate(zip(CONVS, BNS)):
            z, cols = conv_forward(h, p[c + ".weight"])
            a, cache = bn_forward(z, p[b + ".weight"], p[b + ".bias"],
                                  stats[b + ".running_mean"], stats[b + ".running_var"],
                                  train, eps)
            if train and not (bug == "stale-stats" and k == steps - 1):
                mean, var, n = cache[0], cache[3], cache[4]
                uvar = var if bug == "biased-var" else var * f32(n / (n - 1))
                m = f32(0.9) if bug == "bn-momentum" else BN_MOMENTUM
                for s, v in ((".running_mean", mean), (".running_var", uvar)):
                    stats[b + s] = (f32(1) - m) * stats[b + s] + m * v
            r = np.maximum(a, f32(0))
            tape.append((h.shape, cols, cache, a))
            h = r
            if i % 2 == 1:
                pshape = h.shape
                h, idx = pool_forward(h)
                tape.append((pshape, idx))
        flat = h.reshape(BATCH, -1)
        zl = flat @ p["linear1.weight"].T + p["linear1.bias"]
        zmax = zl.max(axis=1, keepdims=True)
        lse = np.log(np.exp(zl - zmax).sum(axis=1, keepdims=True)) + zmax
        logp = zl - lse
        loss = -logp[np.arange(BATCH), y].mean(dtype=f32)
        # backward
        dz = np.exp(logp)
        dz[np.arange(BATCH), y] -= f32(1)
        dz /= f32(BATCH)
        g = {"linear1.weight": dz.T @ flat, "linear1.bias": dz.sum(axis=0)}
        dh = (dz @ p["linear1.weight"]).reshape(h.shape)
        for i in reversed(range(4)):
            c, b = CONVS[i], BNS[i]
            if i % 2 == 1:
                pshape, idx = tape.pop()
                dh = pool_backward(dh, idx, pshape)
            xshape, cols, cache, a = tape.pop()
            da = dh * (a > 0)
            dzc, g[b + ".weight"], g[b + ".bias"] = bn_backward(
                da, p[b + ".weight"], cache, train, bug == "bn-const-stats")
            dh, g[c + ".weight"] = conv_backward(dzc, cols, p[c + ".weight"], xshape)
            if bug == "conv-flip" and c == "conv2d3":
                g[c + ".weight"] = g[c + ".weight"][:, :, ::-1, ::-1]
        # SGD, Nesterov (PyTorch: buf = m*buf + g; p -= lr*(g + m*buf))
        lr = LR
        if bug == "lr" or (bug == "last-step-lr" and k == steps - 1):
            lr = LR * f32(1.01)
        for n in PARAMS:
            if bug == "frozen-gamma" and n == "batchnorm2.weight":
                continue
            gn = g[n].astype(f32)
            buf[n] = MOMENTUM * buf[n] + gn
            step = buf[n] if bug == "no-nesterov" else gn + MOMENTUM * buf[n]
            p[n] = (p[n] - lr * step).astype(f32)
        print("step %d loss %.9g" % (k + 1, loss), flush=True)

    tensors = dict(p)
    tensors.update(stats)
    tensors.update({"optim.%s.momentum" % n: v for n, v in buf.items()})
    st.write(out, tensors, {"source": "np_cnn_harness.py", "step": str(steps)})


if __name__ == "__main__":
    main()
