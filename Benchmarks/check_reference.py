#!/usr/bin/env python3
"""Checks the benchmark's reference pipeline against the exact float64 reference of the tests.

    python3 Benchmarks/check_reference.py RUN_DIR [--layers 0,5] [--json REF.json] [--query-check]

Runs Benchmarks/reference_pipeline.py on RUN_DIR (or reads its --json output), recomputes the same
layers with Tests/Fixtures/reference_views.compute (float64, exact PCA, tie-stable neighbours), and
prints per measure the largest |pipeline - exact| over layers and views. Trustworthiness is
compared with both of the exact reference's variants (scikit-learn's, and the tie-stable one
Forkscope follows): they differ where states are duplicated (real runs), not on synthetic ones.

--query-check also tests the query versions of trustworthiness and silhouette (used above 4,096 fit
tokens): at m = n against scikit-learn, and at m < n against a brute-force float64 implementation of
the same rule, on random and on run data.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "Fixtures"))
sys.path.insert(0, HERE)

DETERMINISTIC = ("variance_kept", "position_r2", "position_r2_heldout", "position_r2_chance", "position_probe",
                 "root_knn_purity", "root_knn_chance", "branch_knn_purity", "branch_knn_chance",
                 "pca_explained_variance", "trustworthiness", "silhouette_root")


def flat(v):
    return v if isinstance(v, list) else [v]


def brute_trust(X, E, Q, k=10):
    """The query rule of the README, in float64, by full argsorts."""
    X = X.astype(np.float64)
    E = E.astype(np.float64)
    n, m = len(X), len(Q)
    t = 0.0
    for i in Q:
        dx = np.sum((X - X[i]) ** 2, axis=1)
        dx[i] = -1
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort(dx, kind="stable")] = np.arange(n)
        de = np.sum((E - E[i]) ** 2, axis=1)
        de[i] = np.inf
        nb = np.argsort(de, kind="stable")[:k]
        t += np.maximum(rank[nb] - k, 0).sum()
    return 1.0 - 2.0 / (m * k * (2.0 * n - 3.0 * k - 1.0)) * t


def brute_silhouette(C, labels, Q):
    from sklearn.metrics import silhouette_samples
    return float(np.mean(silhouette_samples(C.astype(np.float64), labels)[Q]))


def query_check(run_dir):
    import reference_pipeline as rp
    from sklearn.manifold import trustworthiness
    from sklearn.metrics import silhouette_score
    rng = np.random.default_rng(1)
    cases = [("random 600 x 40", rng.standard_normal((600, 40)).astype(np.float32),
              rng.integers(0, 5, 600))]
    run = rp.Run(run_dir)
    X = run.layer(len(run.layers) // 2)
    fit = np.linalg.norm(X, axis=1) <= 10 * np.median(np.linalg.norm(X, axis=1))
    cases.append((f"{os.path.basename(os.path.normpath(run_dir))} middle layer", X[fit], run.group[fit]))
    worst = 0.0
    for name, Xf, lab in cases:
        from sklearn.decomposition import PCA
        C = PCA(2).fit_transform(Xf)
        n = len(Xf)
        for m in (n, n // 3, 100):
            Q = rp.query_rows(n, m)
            mine = rp.query_trustworthiness(Xf, [C], Q)[0]
            ref = trustworthiness(Xf.astype(np.float64), C, n_neighbors=10) if m == n else brute_trust(Xf, C, Q)
            s_mine = rp.query_silhouette(C, lab, Q)
            s_ref = silhouette_score(C, lab) if m == n else brute_silhouette(C, lab, Q)
            worst = max(worst, abs(mine - ref), abs(s_mine - s_ref))
            print(f"query check {name}, n {n}, m {len(Q)}: trustworthiness {mine:.8f} vs {ref:.8f} "
                  f"({'scikit-learn' if m == n else 'brute force'}), silhouette {s_mine:.8f} vs {s_ref:.8f}")
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--layers")
    ap.add_argument("--json", help="the pipeline's output (default: run it now, without UMAP)")
    ap.add_argument("--query-check", action="store_true")
    args = ap.parse_args()

    if args.json:
        with open(args.json) as f:
            mine = json.load(f)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "ref.json")
            cmd = [sys.executable, os.path.join(HERE, "reference_pipeline.py"), args.run_dir, "--json", out, "--no-umap"]
            if args.layers:
                cmd += ["--layers", args.layers]
            subprocess.run(cmd, check=True)
            with open(out) as f:
                mine = json.load(f)

    import reference
    import reference_views
    run = reference.load_run(args.run_dir)
    layers = [entry["layer"] for entry in mine["layers"]]
    exact = {}
    for stable in (False, True):
        opts = reference_views.Options(stable_trust=stable)
        res, _ = reference_views.compute(run, list(mine["views"]), opts, None, layers)
        exact[stable] = {entry["layer"]: entry["views"] for entry in res["layers"]}

    worst = {}
    counts_ok = True
    for entry in mine["layers"]:
        L = entry["layer"]
        for v, got in entry["views"].items():
            want = exact[False][L][v]
            for key in ("tokens", "fit_tokens"):
                if got[key] != want[key]:
                    counts_ok = False
                    print(f"layer {L} {v} {key}: {got[key]} != {want[key]}")
            for key in DETERMINISTIC:
                variants = [(key, exact[False][L][v][key])]
                if key == "trustworthiness":
                    variants.append(("trustworthiness (tie-stable)", exact[True][L][v][key]))
                for label, w in variants:
                    g = got[key]
                    if (g is None) != (w is None):
                        print(f"layer {L} {v} {key}: {g} vs exact {w}")
                        worst[label] = (float("inf"), L, v)
                        continue
                    if g is None:
                        continue
                    d = max(abs(a - b) for a, b in zip(flat(g), flat(w)))
                    if d >= worst.get(label, (-1.0,))[0]:
                        worst[label] = (d, L, v)
    print(f"{args.run_dir}: {len(mine['layers'])} layers x {len(mine['views'])} views; counts "
          f"{'equal' if counts_ok else 'DIFFER'}; largest |pipeline (float32) - exact (float64)|:")
    for label, (d, L, v) in sorted(worst.items()):
        print(f"  {label:32s} {d:.2e}   (layer {L}, {v})")
    if args.query_check:
        print(f"query versions: largest difference {query_check(args.run_dir):.2e}")


if __name__ == "__main__":
    main()
