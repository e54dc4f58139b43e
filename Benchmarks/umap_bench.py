#!/usr/bin/env python3
"""Forkscope's UMAP against umap-learn, side by side on the same inputs.

    python3 Benchmarks/umap_bench.py [--forkscope .build/release/forkscope] [--runs ../shared/runs]
                                     [--synthetic out/bench/medium out/bench/large] [--repeats 3]

Inputs: one middle layer of each real run (raw states, and its position_mean view without the
massive activations), and one middle layer of each synthetic run given (scripts/synth_run.py --preset medium: 4,096 tokens x 1,024; large: 16,384 x 2,048).
For each input it runs --repeats seeds (42, 43, ...) of each implementation and prints
  - trustworthiness (k = 10, scikit-learn) of both layouts: mean and range over the seeds (a single
    seed's value moves by about 0.01 on the small real inputs, in umap-learn as in Forkscope),
  - kNN recall: the share of each point's 10 nearest neighbours in the 2-D layout that are among
    its 10 nearest in the input (exact, Euclidean), mean over the seeds,
  - wall time: Forkscope's (median of --repeats runs of `forkscope umap`, a new process each, on
    every core), umap-learn's first call in a new Python process (numba JIT included; import not
    included) and its warm calls (median of the following --repeats calls in that process), both
    seeded (random_state, which makes umap-learn single-threaded: its reproducible mode), and one
    unseeded warm call (umap-learn's parallel, non-reproducible mode),
  - the ratios umap-learn warm (seeded) / Forkscope and unseeded / Forkscope.
umap-learn must be installed (pip install umap-learn). Never a test: timings on a shared machine.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# The measurements below run single-threaded NumPy (the same numbers, and no OpenBLAS thread pool
# competing with the timed runs); umap-learn's process gets the environment as the user has it.
USER_ENV = dict(os.environ)
os.environ["OPENBLAS_NUM_THREADS"] = "1"
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "Fixtures"))
import reference  # noqa: E402
import reference_views  # noqa: E402

K = 10

UMAP_LEARN = r"""
import sys, time, json, numpy as np
X = np.load(sys.argv[1]); out = sys.argv[2]; seeds = [int(s) for s in sys.argv[3].split(",")]
import umap
t = time.perf_counter(); umap.UMAP(random_state=seeds[0]).fit_transform(X); first = time.perf_counter() - t
import warnings
warm, fell_back = [], []
for s in seeds:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = time.perf_counter(); Y = umap.UMAP(random_state=s).fit_transform(X); warm.append(time.perf_counter() - t)
    fell_back.append(any("Falling back to random" in str(w.message) for w in caught))
    np.save(f"{out}-{s}.npy", Y)
t = time.perf_counter(); umap.UMAP().fit_transform(X); unseeded = time.perf_counter() - t
print(json.dumps({"first": first, "warm": warm, "unseeded": unseeded, "fell_back": fell_back}))
"""


def exact_knn(X, k):
    X = X.astype(np.float64)
    X = X - X.mean(0)
    sq = (X * X).sum(1)
    out = np.empty((len(X), k), dtype=np.int64)
    for s in range(0, len(X), 1024):
        d = sq[s:s + 1024, None] + sq[None, :] - 2 * X[s:s + 1024] @ X.T
        d[np.arange(d.shape[0]), np.arange(s, s + d.shape[0])] = np.inf
        part = np.argpartition(d, k, axis=1)[:, :k]
        out[s:s + 1024] = part
    return out


def recall(input_nn, layout):
    layout_nn = exact_knn(layout, K)
    hits = sum(len(set(a) & set(b)) for a, b in zip(input_nn, layout_nn))
    return hits / (len(input_nn) * K)


def trustworthiness(X, Y):
    """Trustworthiness at k = K: scikit-learn's up to 5,000 points, the blocked one above."""
    if len(X) <= 5000:
        from sklearn.manifold import trustworthiness as tw
        return tw(X.astype(np.float64), Y, n_neighbors=K)
    return blocked_trustworthiness(X, Y)


def blocked_trustworthiness(X, Y):
    """Venna & Kaski's trustworthiness at k = K as sklearn.manifold.trustworthiness defines it,
    computed block by block (scikit-learn's needs n x n distances and ranks: 5.5 GB at 16,384
    points, and crashed here). Agrees with scikit-learn's to 1e-5 without ties and 3e-4 with many
    tied distances (copies of one state), which the two order differently (--check-trust)."""
    X = X.astype(np.float64)
    X = X - X.mean(0)
    n = len(X)
    sq = (X * X).sum(1)
    layout_nn = exact_knn(Y.astype(np.float64), K)
    total = 0.0
    for s in range(0, n, 512):
        rows = np.arange(s, min(s + 512, n))
        d = sq[rows, None] + sq[None, :] - 2 * X[rows] @ X.T
        d[np.arange(len(rows)), rows] = -np.inf  # self ranks 0
        order = np.argsort(d, axis=1, kind="stable")
        rank = np.empty_like(order)
        rank[np.arange(len(rows))[:, None], order] = np.arange(n)[None, :]
        r = rank[np.arange(len(rows))[:, None], layout_nn[rows]]  # rank 1 = nearest other point
        total += np.maximum(r - K, 0).sum()
    return 1.0 - total * (2.0 / (n * K * (2.0 * n - 3.0 * K - 1.0)))


def middle_layer(run_dir, debiased=False):
    """The raw states of the run's middle layer; with debiased, also its position_mean view over the
    tokens the build fits (massive activations left out), the view UMAP most often shows."""
    run = reference.load_run(run_dir)
    i = len(run.layers) // 2
    name = f"{os.path.basename(os.path.normpath(run_dir))} L{run.layers[i]}"
    X = run.states[i]
    out = [(name, np.ascontiguousarray(X, dtype=np.float32))]
    if debiased:
        mask, *_ = reference_views.detect_massive(X, None, 10.0)
        positions = np.array(run.token_position)
        cov, Y = reference_views.view_position_mean(X, positions, run.token_branch, ~mask)
        keep = ~mask[cov]
        out.append((name + " position_mean", np.ascontiguousarray(Y[keep], dtype=np.float32)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--forkscope", default=".build/release/forkscope")
    ap.add_argument("--runs", default=os.path.join(HERE, "..", "..", "shared", "runs"))
    ap.add_argument("--synthetic", nargs="*", default=["out/bench/medium", "out/bench/large"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--check-trust", action="store_true", help="also compare the blocked trustworthiness with scikit-learn's")
    args = ap.parse_args()

    inputs = []
    if os.path.isdir(args.runs):
        for name in sorted(os.listdir(args.runs)):
            if os.path.exists(os.path.join(args.runs, name, "run.json")):
                inputs += middle_layer(os.path.join(args.runs, name), debiased=True)
    for path in args.synthetic:
        if os.path.exists(os.path.join(path, "run.json")):
            inputs += middle_layer(path)
        else:
            print(f"(skipping {path}: make it with scripts/synth_run.py {path} --preset ...)", file=sys.stderr)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, X in inputs:
            src = os.path.join(tmp, "x.npy")
            np.save(src, X)
            seeds = [42 + r for r in range(args.repeats)]
            ours, stages = [], {}
            for seed in seeds:
                t = time.perf_counter()
                p = subprocess.run([args.forkscope, "umap", src, "--out", os.path.join(tmp, f"f-{seed}.npy"),
                                    "--umap-seed", str(seed)], capture_output=True, text=True, check=True)
                ours.append(time.perf_counter() - t)
                for line in p.stderr.splitlines():
                    if "\t" in line:
                        stage, sec = line.split("\t")
                        stages.setdefault(stage, []).append(float(sec))
            p = subprocess.run([sys.executable, "-c", UMAP_LEARN, src, os.path.join(tmp, "u"), ",".join(map(str, seeds))],
                               capture_output=True, text=True, check=True, env=USER_ENV)
            theirs = json.loads(p.stdout.strip().splitlines()[-1])
            nn = exact_knn(X, K)
            quality = {}
            for who, prefix in (("f", "f"), ("u", "u")):
                layouts = [np.load(os.path.join(tmp, f"{prefix}-{seed}.npy")) for seed in seeds]
                quality[who] = ([trustworthiness(X, L) for L in layouts], [recall(nn, L) for L in layouts])
            # Where umap-learn's eigensolver gave up and it started from random points, Forkscope's
            # converged: compare like with like too, Forkscope started at random (--umap-init random).
            random_f = None
            if any(theirs["fell_back"]):
                random_f = []
                for seed in seeds:
                    target = os.path.join(tmp, f"r-{seed}.npy")
                    subprocess.run([args.forkscope, "umap", src, "--out", target, "--umap-seed", str(seed),
                                    "--umap-init", "random"], capture_output=True, text=True, check=True)
                    random_f.append(trustworthiness(X, np.load(target)))
            if args.check_trust:
                from sklearn.manifold import trustworthiness as tw
                F = np.load(os.path.join(tmp, f"f-{seeds[0]}.npy"))
                mine, theirs_tw = blocked_trustworthiness(X, F), tw(X.astype(np.float64), F, n_neighbors=K)
                print(f"{label}: blocked trustworthiness {mine:.10f}, scikit-learn {theirs_tw:.10f}", file=sys.stderr)
            row = dict(input=label, n=X.shape[0], d=X.shape[1],
                       trust_f=statistics.mean(quality["f"][0]), trust_u=statistics.mean(quality["u"][0]),
                       trust_f_range=[min(quality["f"][0]), max(quality["f"][0])],
                       trust_u_range=[min(quality["u"][0]), max(quality["u"][0])],
                       recall_f=statistics.mean(quality["f"][1]), recall_u=statistics.mean(quality["u"][1]),
                       time_f=statistics.median(ours), first_u=theirs["first"],
                       warm_u=statistics.median(theirs["warm"]), unseeded_u=theirs["unseeded"],
                       stages={s: statistics.median(v) for s, v in stages.items()},
                       u_fell_back=sum(theirs["fell_back"]),
                       trust_f_random=statistics.mean(random_f) if random_f else None)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)

    head = ("input", "n x d", "trust F (range)", "trust U (range)", "diff", "recall F", "recall U", "F s", "U first s",
            "U warm s", "U unseeded s", "warm/F", "unseeded/F")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        tf, tu = r["trust_f_range"], r["trust_u_range"]
        print(f"| {r['input']} | {r['n']} x {r['d']} | {r['trust_f']:.4f} ({tf[0]:.4f}–{tf[1]:.4f}) | "
              f"{r['trust_u']:.4f} ({tu[0]:.4f}–{tu[1]:.4f}) | {r['trust_f'] - r['trust_u']:+.4f} | "
              f"{r['recall_f']:.3f} | {r['recall_u']:.3f} | {r['time_f']:.2f} | {r['first_u']:.2f} | {r['warm_u']:.2f} | "
              f"{r['unseeded_u']:.2f} | {r['warm_u'] / r['time_f']:.1f}x | {r['unseeded_u'] / r['time_f']:.1f}x |")
    print()
    print("Forkscope stages (median s): " + "; ".join(
        f"{r['input']}: " + ", ".join(f"{s} {v:.2f}" for s, v in r["stages"].items()) for r in rows))
    for r in rows:
        if r["u_fell_back"]:
            print(f"{r['input']}: umap-learn's spectral initialisation failed for {r['u_fell_back']} of {args.repeats} "
                  f"seeds (it fell back to random); Forkscope started at random too: trust {r['trust_f_random']:.4f} "
                  f"({r['trust_f_random'] - r['trust_u']:+.4f} against umap-learn)")

    def same_start(r):
        return r["trust_f_random"] if r["u_fell_back"] == args.repeats else r["trust_f"]
    quality = all(abs(same_start(r) - r["trust_u"]) <= 0.01 for r in rows)
    print(f"quality bar (|mean trust F - mean trust U| <= 0.01 on every input, from the same kind of start): "
          f"{'met' if quality else 'NOT met'}")
    big = [r for r in rows if r["n"] >= 4000]
    speed = bool(big) and all(r["warm_u"] / r["time_f"] >= 3 for r in big)
    print(f"speed bar (umap-learn seeded warm / Forkscope >= 3 at 4,000 points and more): {'met' if speed else 'NOT met'}")


if __name__ == "__main__":
    main()
