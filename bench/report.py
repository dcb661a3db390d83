"""Turns bench/run.sh's raw results into the table (and JSON, and a comparison).

    report.py RESULTS.txt [--json OUT.json] [--compare EARLIER.json]

RESULTS.txt holds one record per line: a kind, then key=value pairs
(meta, peak, gemm, plan, flops, nncc, torch, nncc_fail, torch_fail).
Standard library only, so any python3 runs it.
"""
import argparse
import json
import sys

SCHEMA = 1
MODEL_ORDER = ["mlp_small", "mlp", "lenet", "cnn_bn", "resnet8"]


def num(v):
    try:
        f = float(v)
    except ValueError:
        return v
    return int(f) if f.is_integer() and "." not in v else f


def parse(path):
    recs = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            kv = {}
            for p in parts[1:]:
                k, sep, v = p.partition("=")
                if sep:   # meta values stay text: a git hash "89e1610" is a float
                    kv[k] = v if parts[0] == "meta" else num(v)
            recs.append((parts[0], kv))
    return recs


def build(recs):
    """All numbers as one JSON-ready dict."""
    meta, peak, gemm = {}, {}, []
    isa = None
    plans, flops, fails = {}, {}, {}
    runs = {}
    for kind, kv in recs:
        if kind == "meta":
            v = kv.get("value", "")
            meta[kv["key"]] = v.replace("_", " ") if isinstance(v, str) else v
        elif kind == "peak":
            isa = kv["isa"]
            t = str(kv["threads"])   # measured at the start and the end: the best
            peak[t] = max(peak.get(t, 0), kv["gflops"])
        elif kind == "gemm":
            gemm.append(kv)
        elif kind == "plan":
            plans[kv["model"]] = kv
        elif kind == "flops":
            flops[kv["model"]] = kv["total_mflops"] * 1e6
        elif kind == "nncc_fail":
            fails[kv["model"]] = "%s: %s" % (kv.get("stage"),
                                             str(kv.get("reason", "")).replace("_", " ").replace("~", "="))
        elif kind in ("nncc", "torch"):
            # one line a round (bench/run.sh --rounds): the faster median
            key = (kind, kv["model"], kv["threads"])
            if key not in runs or kv["median_ms"] < runs[key]["median_ms"]:
                runs[key] = kv
    for g in gemm:
        p = peak.get(str(g["threads"]))
        g["pct_peak"] = round(100 * g["gflops"] / p, 1) if p else None
        if "blas_gflops" in g:
            g["vs_blas"] = round(g["gflops"] / g["blas_gflops"], 3)
    names = [m for m in MODEL_ORDER if m in plans] + \
        sorted(m for m in plans if m not in MODEL_ORDER)
    threads = sorted({k[2] for k in runs} | {int(t) for t in peak})
    rows = []
    for m in names:
        for t in threads:
            n, tr = runs.get(("nncc", m, t)), runs.get(("torch", m, t))
            if not n and not tr:
                continue
            row = {"model": m, "threads": t, "flops_per_step": flops.get(m),
                   "plan": {k: v for k, v in plans[m].items() if k != "model"}}
            for side, r in (("nncc", n), ("torch", tr)):
                row[side] = None if not r else {
                    k: r[k] for k in ("batch", "steps", "warmup", "median_ms",
                                      "samples_per_s", "min_ms", "p90_ms", "loss")
                    if k in r}
            if tr and "blas" in tr:
                row["torch_blas"] = tr["blas"]
            if not n:
                row["nncc_error"] = fails.get(m, "not run")
            row["ratio"] = (round(n["samples_per_s"] / tr["samples_per_s"], 3)
                            if n and tr else None)
            fl, p = flops.get(m), peak.get(str(t))
            for side, r in (("nncc", n), ("torch", tr)):
                gf = fl / (r["median_ms"] * 1e-3) * 1e-9 if (r and fl) else None
                row[side + "_gflops"] = round(gf, 2) if gf else None
                row[side + "_pct_peak"] = round(100 * gf / p, 1) if (gf and p) else None
            rows.append(row)
    return {"schema": SCHEMA, "machine": meta,
            "peak": {"isa": isa, "gflops": peak}, "models": rows, "gemm": gemm}


def f(v, fmt, na="n/a"):
    return na if v is None else format(v, fmt)


def steps(side, row):
    """Timed steps; '*' when fewer than the plan's minimum (a stalled run)."""
    if not side:
        return "-"
    short = side["steps"] < row["plan"].get("min_steps", 0)
    return "%d%s" % (side["steps"], "*" if short else "")


def table(d):
    out = []
    m = d["machine"]
    out.append("nncc vs PyTorch: full training steps (forward + backward + update)")
    out.append("machine: %s, %s cores; %s; torch %s; git %s; %s" % (
        m.get("cpu", "?"), m.get("cores", "?"), m.get("cc", "?"),
        m.get("torch", "?"), m.get("git", "?"), m.get("date", "?")))
    out.append("load average at start %s, at end %s (above ~0.3 the numbers are noisy)" % (
        m.get("load_start", "?"), m.get("load_end", "?")))
    if str(m.get("quick")) == "1":
        out.append("QUICK RUN (--quick): short budgets; not a measurement")
    pk = d["peak"]
    out.append("peak fp32 FMA (%s, bench/peak.c, best at start/end): %s" % (pk["isa"], ", ".join(
        "%s thread%s %.1f GFLOP/s" % (t, "" if t == "1" else "s", g)
        for t, g in sorted(pk["gflops"].items(), key=lambda x: int(x[0])))))
    blas = {r.get("torch_blas") for r in d["models"] if r.get("torch_blas")}
    if blas:
        out.append("PyTorch BLAS: " + ", ".join(sorted(blas)))
    out.append("")
    hdr = ("model", "thr", "nncc ms", "torch ms", "nncc smp/s", "torch smp/s",
           "nncc/torch", "nncc GF/s", "%peak", "torch GF/s", "steps n/t")
    w = (10, 3, 9, 9, 11, 11, 10, 9, 6, 10, 10)
    line = lambda cells: "  ".join(str(c).rjust(x) if i else str(c).ljust(x)
                                   for i, (c, x) in enumerate(zip(cells, w)))
    out.append(line(hdr))
    out.append("-" * (sum(w) + 2 * (len(w) - 1)))
    notes = []
    for r in d["models"]:
        n, t = r["nncc"], r["torch"]
        out.append(line((
            r["model"], r["threads"],
            f(n and n["median_ms"], ".2f"), f(t and t["median_ms"], ".2f"),
            f(n and n["samples_per_s"], ".0f"), f(t and t["samples_per_s"], ".0f"),
            f(r["ratio"], ".2f") + ("x" if r["ratio"] is not None else ""),
            f(r["nncc_gflops"], ".1f"), f(r["nncc_pct_peak"], ".1f"),
            f(r["torch_gflops"], ".1f"),
            "%s/%s" % (steps(n, r), steps(t, r)))))
        if r.get("nncc_error") and (r["model"], r["nncc_error"]) not in notes:
            notes.append((r["model"], r["nncc_error"]))
    out.append("")
    out.append("ms: median step time, the faster of %s rounds of nncc then torch;" % d["machine"].get("rounds", "1"))
    out.append("smp/s: samples per second (batch / median);")
    out.append("nncc/torch: ratio of samples/s (>1: nncc faster); GF/s: FLOPs per step")
    out.append("(nncc --report) / median; %peak: of the measured peak at that thread count.")
    out.append("steps n/t: timed steps, nncc/torch, each after warm-up steps; '*': fewer")
    out.append("than the plan's minimum (the run hit its time cap on a stalled machine).")
    plans = {}
    for r in d["models"]:
        plans.setdefault(r["model"], r["plan"])
    out.append("plan (budget s, min steps, warm-up): " + "; ".join(
        "%s %s/%s/%s" % (m_, p.get("budget_s"), p.get("min_steps"), p.get("warmup"))
        for m_, p in plans.items()))
    for m_, why in notes:
        out.append("n/a %s: nncc cannot build it yet (%s)" % (m_, why))
    if d["gemm"]:
        out.append("")
        out.append("GEMM nn_gemm (compiler/kernels/prelude.c), median of repeated calls")
        hdr = ("product", "M", "N", "K", "ta", "tb", "thr", "ms", "GFLOP/s",
               "%peak", "best", "OpenBLAS", "nncc/BLAS")
        w2 = (18, 5, 5, 5, 2, 2, 3, 9, 8, 6, 6, 8, 9)
        line2 = lambda cells: "  ".join(str(c).rjust(x) if i else str(c).ljust(x)
                                        for i, (c, x) in enumerate(zip(cells, w2)))
        out.append(line2(hdr))
        out.append("-" * (sum(w2) + 2 * (len(w2) - 1)))
        for g in d["gemm"]:
            out.append(line2((
                g["name"], g["M"], g["N"], g["K"], g["ta"], g["tb"], g["threads"],
                f(g["ms"], ".3f"), f(g["gflops"], ".1f"), f(g.get("pct_peak"), ".1f"),
                f(g.get("best_gflops"), ".1f", "-"),
                f(g.get("blas_gflops"), ".1f", "-"), f(g.get("vs_blas"), ".2f", "-"))))
        out.append("linear layers: fwd Y=X·Wᵀ, dX=dY·W, dW=dYᵀ·X; conv layers (im2col, one call")
        out.append("per sample): fwd y=w·col, dx col=wᵀ·dy, dw dy·colᵀ.  ms, GFLOP/s: median;")
        out.append("best: the fastest sample's GFLOP/s; OpenBLAS: cblas_sgemm's median on the same")
        out.append("shape and transposes (Debian's OpenMP build), as a yardstick.")
    return "\n".join(out)


def pct(new, old):
    if new is None or old in (None, 0):
        return None
    return 100.0 * (new - old) / old


def compare(d, old, threshold=10.0):
    out = ["", "change against %s (git %s, %s); flagged beyond ±%.0f%%:" % (
        old.get("_path", "?"), old["machine"].get("git", "?"),
        old["machine"].get("date", "?"), threshold)]
    loads = [x["machine"].get("load_start") for x in (d, old)]
    if any(isinstance(v, (int, float)) and v > 0.3 for v in loads):
        out.append("  note: load average at start %s now, %s then: a busy machine; changes "
                   "of tens of %% can be noise" % tuple(loads))
    if old["machine"].get("cpu") != d["machine"].get("cpu"):
        out.append("  note: a different CPU (%s)" % old["machine"].get("cpu"))

    def mark(p, higher_is_better=True):
        if p is None:
            return ""
        bad = p < -threshold if higher_is_better else p > threshold
        good = p > threshold if higher_is_better else p < -threshold
        return "  << REGRESSION" if bad else ("  (better)" if good else "")

    def cell(new, old_, fmt):
        p = pct(new, old_)
        return "%s -> %s (%s)" % (f(old_, fmt), f(new, fmt),
                                  "n/a" if p is None else "%+.1f%%" % p), p

    for t, g in sorted(d["peak"]["gflops"].items()):
        s, p = cell(g, old["peak"]["gflops"].get(t), ".1f")
        out.append("  peak %s thr GFLOP/s  %s" % (t, s))
    om = {(r["model"], r["threads"]): r for r in old.get("models", [])}
    for r in d["models"]:
        o = om.get((r["model"], r["threads"]))
        if not o:
            continue
        for side in ("nncc", "torch"):
            new_s = r[side] and r[side]["samples_per_s"]
            old_s = o.get(side) and o[side]["samples_per_s"]
            if new_s is None and old_s is None:
                continue
            s, p = cell(new_s, old_s, ".0f")
            out.append("  %-10s %d thr %-5s samples/s  %s%s" % (
                r["model"], r["threads"], side, s, mark(p)))
    og = {(g["name"], g["threads"]): g for g in old.get("gemm", [])}
    for g in d["gemm"]:
        o = og.get((g["name"], g["threads"]))
        if o:
            s, p = cell(g["gflops"], o["gflops"], ".1f")
            out.append("  gemm %-18s %d thr GFLOP/s  %s%s" % (g["name"], g["threads"], s, mark(p)))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--json")
    ap.add_argument("--compare")
    a = ap.parse_args()
    d = build(parse(a.results))
    print(table(d))
    if a.compare:
        with open(a.compare) as fh:
            old = json.load(fh)
        old["_path"] = a.compare
        print(compare(d, old))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(d, fh, indent=1)
            fh.write("\n")
        print("\nwrote " + a.json)


if __name__ == "__main__":
    sys.exit(main())
