#!/usr/bin/python3
"""np_harness.py — the mnist_mlp trainer harness written in numpy.

It speaks the protocol of model_harness.c (the C harness around the generated
trainer), so mlp_reference.py can be checked without the compiler:

    np_harness.py INIT.safetensors DATA_DIR STEPS OUT.safetensors

loads the weights, trains STEPS steps of SGD with momentum (lr 0.05,
momentum 0.9, PyTorch semantics) on consecutive batches of 32 of
DATA_DIR/train-*-idx?-ubyte in file order, prints `step k loss L` after each
step (L: the batch's mean cross-entropy before the update, as
train_step returns it) and writes the weights and momentum buffers.

NNCC_REF_BUG=<name> plants a bug, to show that the reference test fails on
a wrong update: see BUGS.  Float32 throughout, forward and backward written
out by hand (no autograd), so it is also an independent check of the torch
side.
"""

import os
import struct
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import st  # noqa: E402

BATCH = 32
LR = np.float32(0.05)
MOMENTUM = np.float32(0.9)
PARAMS = ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
BUGS = {
    "no-momentum": "plain SGD, no momentum",
    "nesterov": "Nesterov momentum instead of heavy ball",
    "dampening": "buf = m*buf + (1-m)*grad",
    "lr": "learning rate 1% too high",
    "last-step-lr": "learning rate 1% too high on the last step only",
    "bias1": "linear1.bias never updated",
    "grad-sum": "loss gradient summed over the batch, not averaged",
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


def main():
    if len(sys.argv) != 5:
        raise SystemExit("usage: np_harness.py INIT DATA_DIR STEPS OUT")
    init, data_dir, steps, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    bug = os.environ.get("NNCC_REF_BUG", "")
    if bug and bug not in BUGS:
        raise SystemExit("unknown NNCC_REF_BUG %r; known: %s" % (bug, ", ".join(BUGS)))

    images = load_idx(os.path.join(data_dir, "train-images-idx3-ubyte"))
    labels = load_idx(os.path.join(data_dir, "train-labels-idx1-ubyte"))
    x_all = images.reshape(len(images), -1).astype(np.float32) * np.float32(1.0 / 255)
    y_all = labels.astype(np.int64)
    if steps * BATCH > len(x_all):
        raise SystemExit("%d steps need %d samples, have %d" % (steps, steps * BATCH, len(x_all)))

    w, _ = st.read(init)
    p = {k: w[k].astype(np.float32) for k in PARAMS}
    buf = {k: np.zeros_like(v) for k, v in p.items()}

    for k in range(steps):
        x = x_all[k * BATCH:(k + 1) * BATCH]
        y = y_all[k * BATCH:(k + 1) * BATCH]
        # forward
        h_pre = x @ p["linear1.weight"].T + p["linear1.bias"]
        h = np.maximum(h_pre, np.float32(0))
        z = h @ p["linear2.weight"].T + p["linear2.bias"]
        zmax = z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)) + zmax
        logp = z - lse
        loss = -logp[np.arange(BATCH), y].mean(dtype=np.float32)
        # backward
        dz = np.exp(logp)
        dz[np.arange(BATCH), y] -= np.float32(1)
        if bug != "grad-sum":
            dz /= np.float32(BATCH)
        g = {"linear2.weight": dz.T @ h, "linear2.bias": dz.sum(axis=0)}
        dh = (dz @ p["linear2.weight"]) * (h_pre > 0)
        g["linear1.weight"] = dh.T @ x
        g["linear1.bias"] = dh.sum(axis=0)
        # SGD with momentum (PyTorch: buf = m*buf + g; p -= lr*buf)
        lr = LR
        if bug == "lr" or (bug == "last-step-lr" and k == steps - 1):
            lr = LR * np.float32(1.01)
        for n in PARAMS:
            gn = g[n].astype(np.float32)
            if bug == "bias1" and n == "linear1.bias":
                continue
            if bug == "no-momentum":
                step = gn
            elif bug == "dampening":
                buf[n] = MOMENTUM * buf[n] + (np.float32(1) - MOMENTUM) * gn
                step = buf[n]
            else:
                buf[n] = MOMENTUM * buf[n] + gn
                step = gn + MOMENTUM * buf[n] if bug == "nesterov" else buf[n]
            p[n] = (p[n] - lr * step).astype(np.float32)
        print("step %d loss %.9g" % (k + 1, loss), flush=True)

    tensors = dict(p)
    tensors.update({"optim.%s.momentum" % n: b for n, b in buf.items()})
    st.write(out, tensors, {"source": "np_harness.py", "step": str(steps)})


if __name__ == "__main__":
    main()
