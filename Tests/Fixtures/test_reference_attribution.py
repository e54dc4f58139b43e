#!/usr/bin/env python3
"""Self-test of reference_views.py's issue-18 numbers on small synthetic data (no pytest).

    python3 Tests/Fixtures/test_reference_issue18.py

(a) mean_cosine = the brute-force mean of cos over ordered pairs i != j (a zero row included),
    and the per-dimension contributions sum to it;
(b) rogue dimensions (Timkey & van Schijndel 2021): two planted offset dimensions are named,
    isotropic states give [];
(c) kNN position R^2 on a helix of position with a random sign per token (two groups): high, and
    still high after removing the per-position mean, where a linear ridge probe finds ~nothing;
    the control (positions permuted within groups; Hewitt & Liang 2019) stays near or below 0;
(d) the SplitMix64 stream for seed 2019 (first three next() values printed, for the Swift side),
    the permutation and the recommendation rule.
Exits 1 on any failure.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import reference_views as rv  # noqa: E402

FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


def brute_mean_cosine(X):
    n = len(X)
    norms = np.linalg.norm(X, axis=1)
    total = 0.0
    for i in range(n):
        for j in range(n):
            if i != j and norms[i] > 0 and norms[j] > 0:
                total += float(X[i] @ X[j]) / (norms[i] * norms[j])
    return total / (n * (n - 1))


def test_mean_cosine(rng):
    X = rng.standard_normal((40, 12)) + np.linspace(0, 2, 12)
    X[7] = 0.0   # a zero row: cos 0 with everything
    mc, c = rv.cosine_contributions(X)
    bf = brute_mean_cosine(X)
    check(abs(mc - bf) < 1e-12, f"(a) mean_cosine {mc:.15f} = brute force {bf:.15f}")
    check(abs(float(np.sum(c)) - mc) < 1e-12, f"(a) sum of contributions {np.sum(c):.15f} = mean_cosine")
    check(rv.anisotropy(X[:1]) == (None, []), "(a) one row: mean_cosine null, no rogue dimensions")


def test_rogue(rng):
    X = rng.standard_normal((300, 64))
    X[:, [11, 42]] += 20.0
    mc, rogue = rv.anisotropy(X)
    dims = [r["dimension"] for r in rogue]
    share = sum(r["share"] for r in rogue)
    check(1 <= len(dims) and set(dims) <= {11, 42} and share > 0.5,
          f"(b) offset 20 in dims 11, 42: rogue {dims} (shares sum {share:.3f}, mean_cosine {mc:.3f})")
    # the two planted dims tie, so one may hold half alone; with a small background offset in 8
    # other dims neither does, and both must be named, the larger contribution first
    Xb = X.copy()
    Xb[:, 50:58] += 3.0
    mcb, cb = rv.cosine_contributions(Xb)
    rogue_b = rv.anisotropy(Xb)[1]
    want = sorted([11, 42], key=lambda a: -cb[a])
    check([r["dimension"] for r in rogue_b] == want and sum(r["share"] for r in rogue_b) > 0.5,
          f"(b) with background: rogue {[(r['dimension'], round(r['share'], 3)) for r in rogue_b]} == {want}")
    check(all(abs(r["share"] - cb[r["dimension"]] / mcb) < 1e-15 for r in rogue_b), "(b) share = c_a / mean_cosine")
    # isotropic: an offset spread over every dimension (mean_cosine ~0.5, no dimension stands out)
    iso = rng.standard_normal((300, 64)) + 1.0
    mci, ri = rv.anisotropy(iso)
    check(ri == [], f"(b) isotropic + common offset: mean_cosine {mci:.3f}, rogue {ri}")
    # zero-mean isotropic noise: mean_cosine ~ +-1e-3, below ROGUE_MIN_MEAN_COSINE whatever its sign,
    # so no dimension is named (without the floor, a couple of noise dims "hold half" of a tiny total)
    for seed in range(6):
        z = np.random.default_rng(seed).standard_normal((200, 64))
        mcz, rz = rv.anisotropy(z)
        check(abs(mcz) < 0.01 and rz == [], f"(b) zero-mean isotropic noise (seed {seed}): mean_cosine {mcz:.2e}, rogue {rz}")


def helix(p, sign, rng, noise=0.05):
    f = [1 / 30, 1 / 8, 1 / 3]
    base = np.concatenate([[np.cos(p * w), np.sin(p * w)] for w in f]) * 5.0
    x = np.zeros(16)
    x[:6] = sign * base
    return x + noise * rng.standard_normal(16)


def test_position_knn(rng):
    P, samples = 40, 4
    rows, pos, groups, branches = [], [], [], []
    for g in ("A", "B"):
        for s in range(samples):
            for p in range(P):
                rows.append(helix(p, rng.choice([-1.0, 1.0]), rng))
                pos.append(p)
                groups.append(g)
                branches.append(f"{g}.{s}")
    X = np.array(rows)
    r2, ctrl = rv.position_knn(X, pos, groups, groups)
    check(r2 is not None and r2 > 0.8, f"(c) helix with random signs: position_knn_r2 {r2:.3f} > 0.8")
    check(ctrl is not None and ctrl < 0.1, f"(c) control {ctrl:.3f} near or below 0")
    # neighbours never share the exclusion label
    nbs = rv.excluded_neighbours(X, groups, rv.knn_queries(len(X)))
    codes = rv.label_codes(groups)
    check(all(np.all(codes[nb] != codes[i]) and len(nb) == 10 for i, nb in enumerate(nbs)),
          "(c) 10 neighbours each, all from the other group")
    # per-position mean removed: the signs average out, the kNN still finds position ...
    fit = np.ones(len(X), dtype=bool)
    cov, Y = rv.view_position_mean(X, np.array(pos), branches, fit)
    r2m, ctrlm = rv.position_knn(Y, pos, groups, groups)
    check(len(cov) == len(X) and r2m > 0.8, f"(c) position_mean: position_knn_r2 {r2m:.3f} > 0.8 (control {ctrlm:.3f})")
    # ... while a linear ridge probe, held out by group, finds ~nothing
    y = np.array(pos, dtype=np.float64)
    ga = np.array([g == "A" for g in groups])
    pred = np.empty(len(y))
    pred[ga] = rv.ridge_fit_predict(Y[~ga], y[~ga], Y[ga])
    pred[~ga] = rv.ridge_fit_predict(Y[ga], y[ga], Y[~ga])
    lin = 1.0 - float(np.sum((y - pred) ** 2)) / float(np.sum((y - y.mean()) ** 2))
    check(lin < 0.1, f"(c) position_mean: linear ridge probe R^2 {lin:.3f} ~ 0")
    # null cases: one row; a single exclusion label (no neighbour); constant positions
    check(rv.position_knn(X[:1], pos[:1], groups[:1], groups[:1]) == (None, None), "(c) one row: null")
    check(rv.position_knn(X[:80], pos[:80], groups[:80], groups[:80]) == (None, None), "(c) one label: null")
    check(rv.position_knn(X, [3] * len(X), groups, groups) == (None, None), "(c) constant position: null")


def test_splitmix():
    g = rv.SplitMix64(2019)
    first = [g.next() for _ in range(3)]
    print("SplitMix64 seed 2019, first next() values:")
    for v in first:
        print(f"  {v}  0x{v:016X}")
    check(all(0 <= v < 2 ** 64 for v in first) and len(set(first)) == 3, "(d) three distinct 64-bit values")
    # the mixer of the standard SplitMix64 (Vigna's splitmix64.c): seed 0's first output
    check(rv._mix64(rv.GOLDEN64) == 0xE220A8397B1DCDAF, "(d) mix(0x9E3779B97F4A7C15) = splitmix64.c's first output for seed 0")
    g = rv.SplitMix64(2019)
    b = [g.below(n) for n in (1, 2, 10, 1000) * 50]
    check(all(0 <= v < n for v, n in zip(b, (1, 2, 10, 1000) * 50)), "(d) below(n) in [0, n)")
    y = np.arange(12, dtype=np.float64)
    groups = ["b", "a", "b", "a", "c", "b", "a", "a", "c", "b", "b", "a"]
    yp = rv.permute_within_groups(y, groups, rv.SplitMix64(2019))
    same = all(sorted(yp[[i for i, x in enumerate(groups) if x == g]]) ==
               sorted(y[[i for i, x in enumerate(groups) if x == g]]) for g in set(groups))
    check(same and not np.array_equal(y, yp), f"(d) permutation within groups: {yp.astype(int).tolist()}")
    # by hand: group b first (rows 0,2,5,9,10), then a, then c, one stream
    g = rv.SplitMix64(2019)
    want = y.copy()
    for idx in ([0, 2, 5, 9, 10], [1, 3, 6, 7, 11], [4, 8]):
        vals = list(y[idx])
        for i in range(len(vals) - 1, 0, -1):
            j = ((g.next() >> 32) * (i + 1)) >> 32
            vals[i], vals[j] = vals[j], vals[i]
        want[idx] = vals
    check(np.array_equal(yp, want), "(d) permutation = Fisher-Yates by hand, groups by first row")


def test_recommend():
    def layer(vals):
        return {"views": {v: {"position_probe": p, "root_knn_purity": c, "position_knn_selectivity": s,
                              "position_knn_r2": None, "position_knn_r2_control": None}
                          for v, (p, c, s) in vals.items()}}
    views = ["raw", "raw+z", "position_mean", "position_mean+z", "leace+z"]
    # middle third of 6 layers = layers 2, 3; values outside it must not count
    good = {"raw": (0.9, 0.99, 0.1), "raw+z": (0.9, 0.99, 0.1), "position_mean": (0.1, 0.7, 0.6),
            "position_mean+z": (0.1, 0.6, 0.2), "leace+z": (0.15, 0.6, None)}
    bad = {v: (5.0, 5.0, 5.0) for v in views}
    layers = [layer(bad), layer(bad), layer(good), layer(good), layer(bad), layer(bad)]
    rec, attr = rv.recommend(layers, views, "root_knn_purity")
    # tier 1: position_mean+z and leace+z (position_mean has selectivity 0.6), tie 0.6 -> first
    check(rec == "position_mean+z", f"(d) recommended {rec} == position_mean+z (tier 1, tie -> first)")
    steps = [(r["step"], r["view"]) for r in attr[2]["rungs"]]
    check(steps == [("raw", "raw"), ("rogue_dimensions", "raw+z"), ("position", "position_mean+z")]
          and attr[2]["rungs"][0]["content"] == 0.99 and attr[0]["rungs"][0]["content"] == 5.0,
          f"(d) attribution rungs {steps}, each layer its own numbers")
    good["position_mean+z"] = (0.1, 0.6, 0.7)
    good["leace+z"] = (0.15, 0.6, 0.9)
    layers = [layer(bad), layer(bad), layer(good), layer(good), layer(bad), layer(bad)]
    rec, _ = rv.recommend(layers, views, "root_knn_purity")
    check(rec == "position_mean", f"(d) tier 1 empty -> tier 2 max content: {rec} == position_mean")
    for v in ("position_mean", "position_mean+z", "leace+z"):
        good[v] = (0.3 if v != "leace+z" else 0.25, 0.9, None)
    layers = [layer(bad), layer(bad), layer(good), layer(good), layer(bad), layer(bad)]
    rec, attr = rv.recommend(layers, views, "root_knn_purity")
    check(rec == "leace+z", f"(d) both tiers empty -> min probe: {rec} == leace+z")
    _, attr = rv.recommend(layers, ["raw+z", "leace"], "root_knn_purity")
    check(attr[0] is None, "(d) no raw view: attribution null")


def main():
    rng = np.random.default_rng(18)
    test_mean_cosine(rng)
    test_rogue(rng)
    test_position_knn(rng)
    test_splitmix()
    test_recommend()
    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
