#!/usr/bin/env python3
"""Cluster-analysis fixtures (issue 19) for Forkscope's Swift unit tests, from scikit-learn 1.9.1 and
Tests/Fixtures/reference_clusters.py (whose docstring states every definition).

    python3 Tests/Fixtures/clusters/make_cluster_fixtures.py    # rewrites Tests/Fixtures/clusters/*.json

Deterministic (np.random.default_rng seeds below; one BLAS thread).  Points are rounded to 3
decimals (integers for "duplicates-stacked") before anything is computed, so the JSON holds
exactly the inputs the labels were computed from.

* hdbscan.json: [{"name", "points", "min_cluster_size", "min_samples", "labels", "canonical"}]
  labels = sklearn HDBSCAN(min_cluster_size=m, min_samples=m, algorithm="brute", eom, no single
  cluster) raw labels_; canonical = the same partition renumbered (size desc, ties by first row;
  noise -1), as Forkscope reports it.  Each case is checked here to give the same partition on
  its rows permuted and on its centred rows (so neither tie order nor the centred Gram distances
  Forkscope uses can change it).  "duplicates-stacked": integer points, 128 rows (a power of two,
  so centring is exact), two stacks of 24 exact copies: their distances are exactly 0, so in
  sklearn their points fall out at lambda = 1/0 = inf (infinite stability).
* kmeans.json: [{"name", "points", "k", "labels", "canonical"}], sklearn KMeans(n_clusters=k,
  n_init=10, random_state=0); well separated, so any good k-means gives the same partition.
* scores.json: [{"name", "a", "b", "ami", "ari"}]: adjusted_mutual_info_score(a, b) (arithmetic)
  and adjusted_rand_score(a, b), -1 an ordinary label.
* ctfidf.json: [{"name", "labels", "tokens", "top"}]: top = [[group, [[token, score, count], ...]],
  ...] for the groups in order (ids ascending, -1 last), up to 5 terms each (BERTopic's c-TF-IDF:
  score = (count / total_c) * log(avg / f_t + 1), avg = int(mean total), ties by count desc then
  text in code-point order).  Terms are exact texts: "é" (U+00E9) and "e" + U+0301 are different
  terms (Swift's String == would merge them), and code-point order puts U+FFFD before U+1F600
  (UTF-16 order would not).
* summary.json: {"points", "labels", "positions", "roots", "branches", "tokens", "token_index",
  "expected"}: expected = reference_clusters.summarize (report.json's clusters[] entries; exemplars
  without before/after); points are unit rows in 4-D, the clustering's geometry, taken as given
  (re-scaling them to unit length moves them by an ulp at most).  Planted: every label kind, "position" with p90 - p10 exactly equal to
  0.1 * the span, a positional group of one root (not "position": too few units), "content" at
  exactly 3/4, "token" at exactly 1/2, ties in shares by name, exemplar distance ties.
"""

import json
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(HERE))
import reference_clusters as rc  # noqa: E402


def rounded(x, decimals=3):
    return np.round(np.asarray(x, dtype=np.float64), decimals) + 0.0   # + 0.0: no -0.0


def blobs(rng, centres, sizes, spreads, d):
    pts = [rng.normal(0, 1, (k, d)) * s + np.asarray(c, dtype=np.float64)
           for c, k, s in zip(centres, sizes, spreads)]
    return np.vstack(pts)


def same_partition(a, b):
    return np.array_equal(rc.renumber(a)[0], rc.renumber(b)[0])


# --------------------------------------------------------------------------
# HDBSCAN


def hdbscan_inputs():
    """(name, builder(rng) -> points, min_cluster_size)."""
    def blobs_2d(rng):
        return blobs(rng, [(0, 0), (12, 3), (4, 14)], [60, 50, 40], [1.0, 1.2, 0.8], 2)

    def blobs_50d(rng):
        return blobs(rng, rng.normal(0, 1, (4, 50)) * 4, [30, 25, 25, 20], [1.0] * 4, 50)

    def densities(rng):
        return blobs(rng, [(0, 0), (4, 0), (20, 20)], [100, 100, 100], [0.3, 1.0, 3.0], 2)

    def background(rng):
        return np.vstack([blobs(rng, [(0, 0), (10, 0), (5, 9)], [60, 60, 60], [0.6] * 3, 2),
                          rng.uniform(-15, 25, (60, 2))])

    def duplicates(rng):
        base = blobs(rng, [(0, 0), (9, 2), (3, 10)], [40, 40, 40], [1.0] * 3, 2)
        extra = [base[i] for i in range(0, 120, 4) for _ in range(1 + (i // 4) % 2)]   # 1 or 2 copies
        x = np.vstack([base, np.array(extra)])
        return x[rng.permutation(len(x))]

    def stacked(rng):
        around_a = np.round(rng.normal(0, 3, (30, 2))) + [3.0, 4.0]
        around_b = np.round(rng.normal(0, 3, (30, 2))) + [-20.0, 8.0]
        scatter = np.round(rng.uniform(-40, 30, (20, 2)))
        x = np.vstack([np.tile([[3.0, 4.0]], (24, 1)), around_a, np.tile([[-20.0, 8.0]], (24, 1)), around_b, scatter])
        return x[rng.permutation(len(x))]

    return [("blobs-2d", blobs_2d, 10, (10, 5)), ("blobs-50d", blobs_50d, 8, (5,)),
            ("densities", densities, 15, (15, 5)), ("background-noise", background, 10, (10, 5)),
            ("duplicates", duplicates, 8, (8, 5)), ("duplicates-stacked", stacked, 6, (6, 5))]


def robust(name, x, m, ms, labels):
    """The partition is sklearn.cluster.HDBSCAN's as well as the stable-sort pipeline's, and does not
    change with the row order, with centring (Forkscope's distances come from the centred Gram
    matrix) or, but for exact duplicates, with a 1e-9 jitter: borderline points whose label
    rounding or the order of tied edges decides make no fixture."""
    if not same_partition(rc.sklearn_hdbscan(x, m, ms, stable=False), labels):
        return False
    prng = np.random.default_rng(7)
    for _ in range(3):
        perm = prng.permutation(len(x))
        back = np.empty_like(perm)
        back[perm] = np.arange(len(x))
        for stable in (True, False):
            if not same_partition(rc.sklearn_hdbscan(x[perm], m, ms, stable=stable)[back], labels):
                return False
    if not same_partition(rc.sklearn_hdbscan(x - x.mean(axis=0), m, ms), labels):
        return False
    if name != "duplicates-stacked":
        for _ in range(3):
            if not same_partition(rc.sklearn_hdbscan(x + prng.normal(0, 1e-9, x.shape), m, ms), labels):
                return False
    return True


def hdbscan_cases():
    out = []
    for k, (name, build, m, sample_sizes) in enumerate(hdbscan_inputs()):
        for attempt in range(50):   # the first seed whose clusterings are all robust (deterministic)
            x = build(np.random.default_rng(1901 + 100 * k + attempt))
            x = x if name == "duplicates-stacked" else rounded(x)
            labelled = [(ms, rc.sklearn_hdbscan(x, m, ms)) for ms in sample_sizes]
            if all(robust(name, x, m, ms, labels) for ms, labels in labelled):
                break
        else:
            raise AssertionError(f"{name}: no robust clustering in 50 seeds")
        if name == "duplicates-stacked":
            assert len(x) == 128
        for ms, labels in labelled:
            case = name if ms == m else f"{name}-min-samples-{ms}"
            out.append({"name": case, "points": x.tolist(), "min_cluster_size": m, "min_samples": ms,
                        "labels": labels.tolist(), "canonical": rc.renumber(labels)[0].tolist()})
            print(f"hdbscan {case}: n={len(x)} d={x.shape[1]} m={m} min_samples={ms}: {labels.max() + 1} clusters, "
                  f"{int(np.sum(labels < 0))} noise (seed attempt {attempt})", file=sys.stderr)
    return out


# --------------------------------------------------------------------------
# k-means


def kmeans_cases():
    from sklearn.cluster import KMeans
    rng = np.random.default_rng(1902)
    cases = [("blobs-2d-k3", blobs(rng, [(0, 0), (15, 0), (7, 12)], [50, 40, 30], [1.0] * 3, 2), 3),
             ("blobs-10d-k5", blobs(rng, rng.normal(0, 1, (5, 10)) * 10, [40, 35, 30, 25, 20], [1.0] * 5, 10), 5),
             ("unequal-2d-k4", blobs(rng, [(0, 0), (30, 0), (0, 30), (30, 30)], [80, 20, 10, 5], [2.0, 1.0, 0.5, 0.3], 2), 4)]
    out = []
    for name, x, k in cases:
        x = rounded(x)
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit(x).labels_.astype(np.int64)
        for seed in (1, 2):   # well separated: the partition does not depend on the seeds
            other = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x).labels_
            assert same_partition(other, labels), f"{name}: k-means depends on its seed"
        out.append({"name": name, "points": x.tolist(), "k": k, "labels": labels.tolist(),
                    "canonical": rc.renumber(labels)[0].tolist()})
    return out


# --------------------------------------------------------------------------
# AMI / ARI


def score_cases():
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score
    rng = np.random.default_rng(1903)
    a50 = rng.integers(0, 5, 50)
    big = rng.integers(0, 20, 3000)
    pairs = [
        ("identical", a50, a50),
        ("renamed", a50, (a50 * 3 + 7) % 5 + 10),
        ("one-class-each", np.zeros(20, int), np.full(20, 4)),
        ("all-singletons", np.arange(20), np.arange(20)[::-1]),
        ("singletons-vs-two", np.arange(20), np.arange(20) % 2),
        ("a-constant", np.zeros(30, int), rng.integers(0, 3, 30)),
        ("b-constant", rng.integers(0, 3, 30), np.full(30, -1)),
        ("single-item", np.array([0]), np.array([-1])),
        ("two-items", np.array([0, 1]), np.array([5, 5])),
        ("noise-labels", rng.integers(-1, 3, 60), rng.integers(-1, 4, 60)),
        ("random-300-5-vs-7", rng.integers(0, 5, 300), rng.integers(0, 7, 300)),
        ("random-3000-20-vs-30", big, rng.integers(0, 30, 3000)),
        ("related-3000-20-vs-30", big, np.where(rng.random(3000) < 0.7, big + 10 * (rng.random(3000) < 0.5),
                                                   rng.integers(0, 30, 3000))),
    ]
    out = []
    for name, a, b in pairs:
        a, b = [int(v) for v in a], [int(v) for v in b]
        out.append({"name": name, "a": a, "b": b, "ami": float(adjusted_mutual_info_score(a, b)),
                    "ari": float(adjusted_rand_score(a, b))})
    return out


# --------------------------------------------------------------------------
# c-TF-IDF


def ctfidf_case(name, labels, tokens):
    top = rc.ctfidf(labels, tokens)
    return {"name": name, "labels": labels, "tokens": tokens,
            "top": [[g, [[t, s, k] for t, s, k in rows]] for g, rows in top.items()]}


def ctfidf_cases():
    rng = np.random.default_rng(1904)
    vocab = [" the", "the", "The", " ", "\n", "\t", "  ", ",", "é", "e\u0301", "\ufffd", "\U0001F600",
             "日本", "a", "b", "c", "<b>", "&amp;", "\"", "z"]
    out = []
    labels = [int(v) for v in rng.integers(-1, 4, 120)]
    tokens = [vocab[int(v)] for v in rng.integers(0, len(vocab), 120)]
    out.append(ctfidf_case("mixed-vocabulary", labels, tokens))
    # ties: each text once per class, every class the same size -> equal scores, order by text.
    # Code-point order: e+U+0301 < U+00E9 < U+E000 < U+FF5A < U+FFFD < U+1F600 (cut off at 5);
    # UTF-16 order would put U+1F600 (D83D DE00) before U+E000
    tie_tokens = ["\U0001F600", "\ufffd", "\ue000", "é", "e\u0301", "\uff5a"]
    labels = [g for g in (0, 1, 2) for _ in tie_tokens]
    out.append(ctfidf_case("score-ties-code-point-order", labels, tie_tokens * 3))
    # canonically equivalent texts are different terms: class 0 holds each once
    out.append(ctfidf_case("canonically-equivalent-terms", [0, 0, 0, 1, 1, 1],
                           ["é", "e\u0301", "x", "x", "y", "é"]))
    # equal score, different counts cannot happen with one f and total... ties of score at
    # different (count, total) pairs: class 0 has 2 x "x" of 4, class 1 1 x "x" of 2
    out.append(ctfidf_case("count-tiebreak", [0, 0, 0, 0, 1, 1, 7, 7, 7, -1],
                           ["x", "x", "y", "w", "x", "v", "u", "u", "t", "x"]))
    out.append(ctfidf_case("noise-only", [-1] * 6, ["a", "a", "b", " ", " ", "\n"]))
    out.append(ctfidf_case("one-class-many-terms", [3] * 9, [f"t{k}" for k in (1, 2, 2, 3, 3, 3, 4, 5, 6)]))
    return out


# --------------------------------------------------------------------------
# group summaries


def summary_case():
    """Positions 0..40 over the view (span 40: "position" needs p90 - p10 <= 4.0); roots A, B, C
    (U = 3: "position" needs >= 2 of them); branches named for code-point ties.  Points are unit
    rows in 4-D (the clustering's geometry: exemplars are computed on them as given)."""
    rng = np.random.default_rng(1905)
    rows = []   # (point, label, position, root, branch, token)

    def unit(v):
        v = np.asarray(v, dtype=np.float64)
        return v / np.linalg.norm(v)

    def add(label, centre, positions, roots, branches, tokens, spread=0.1):
        for p, r, b, t in zip(positions, roots, branches, tokens):
            rows.append((unit(unit(centre) + rng.normal(0, spread, 4)), label, p, r, b, t))

    # "content" (A 100%), the largest
    add(10, (1, 0, 0, 0), [0, 3, 7, 12, 15, 18, 22, 26, 31, 35, 38, 40], ["A"] * 12,
        ["A.b9", "A.b10"] * 6, [f"c{k}" for k in range(12)])
    # "position": 11 rows, sorted positions x[1] = 10 and x[9] = 14: p90 - p10 = 4.0 = 0.1 * 40
    add(20, (0, 1, 0, 0), [9, 10, 10, 11, 12, 12, 13, 13, 14, 14, 17], ["A", "B", "C", "B", "A", "C", "B", "A", "C", "B", "A"],
        ["A.b9", "B", "C", "B", "A.b10", "C", "B", "A.b9", "C", "B", "A.b10"], [f"p{k}" for k in range(11)])
    # narrow positions but one root (1 unit < 2): not "position"; A 100% -> "content"
    add(30, (0, 0, 1, 0), [30, 30, 31, 31, 32, 32, 33, 33, 33], ["A"] * 9,
        ["A.b10", "A.b9", "A.b10", "A.b9", "A.b10", "A.b9", "A.b10", "A.b9", "A.b10"], [f"q{k}" for k in range(9)])
    # "content" at exactly 3/4: 6 of 8 are B
    add(40, (0, 0, 0, 1), [1, 5, 9, 16, 20, 25, 33, 39], ["B", "B", "B", "A", "B", "C", "B", "B"],
        ["B", "B", "B", "A.b9", "B", "C", "B", "B"], [f"r{k}" for k in range(8)])
    # "token" at exactly 1/2: 4 of 8 are " the" (roots spread evenly, positions spread)
    add(50, (-1, 0, 0, 0), [2, 6, 11, 17, 23, 28, 34, 40], ["A", "B", "C", "A", "B", "C", "A", "B"],
        ["A.b9", "B", "C", "A.b10", "B", "C", "A.b9", "B"], [" the", "s1", " the", "s2", " the", "s3", " the", "s4"])
    # "mixed": 2 roots at 1/2, texts distinct, positions spread.  Exemplar ties: exact unit rows
    # (entries +-1/2, axis vectors) symmetric about the centroid (1/8)(1, 1, 1, 1) * 3/2 ... every
    # sum exact: the 4 one-sign-flipped rows tie, the 4 axis rows tie, farther
    h = 0.5
    mixed = [(h, h, h, -h), (h, h, -h, h), (h, -h, h, h), (-h, h, h, h), (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)]
    for pt, p, r, b, t in zip(mixed, [0, 8, 16, 24, 32, 40, 4, 36], ["A", "C"] * 4, ["A.b10", "C"] * 4, [f"m{k}" for k in range(8)]):
        rows.append((np.array(pt, dtype=np.float64), 60, p, r, b, t))
    # noise
    add(-1, (0, 0, -1, 0), [3, 14, 27, 38, 19], ["C", "A", "B", "C", "A"], ["C", "A.b9", "B", "C", "A.b10"],
        [" the", "n1", "n2", "n3", " the"], spread=0.8)
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    labels = rc.renumber([r[1] for r in rows])[0]
    meta = {"positions": [int(r[2]) for r in rows], "roots": [r[3] for r in rows],
            "branches": [r[4] for r in rows], "tokens": [r[5] for r in rows]}
    # token_index: the row's index within its branch, in row order
    seen = {}
    meta["token_index"] = [seen.__setitem__(b, seen.get(b, -1) + 1) or seen[b] for b in meta["branches"]]
    points = np.array([r[0] for r in rows], dtype=np.float64) + 0.0
    assert np.allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-15, rtol=0)
    expected = rc.summarize(points, labels, meta)
    kinds = sorted(c["label"] for c in expected)
    assert kinds == ["content", "content", "content", "mixed", "position", "token", "unclustered"], kinds
    mixed_group = next(c for c in expected if c["label"] == "mixed")
    assert [e["token"] for e in mixed_group["exemplars"]][:4] == sorted([e["token"] for e in mixed_group["exemplars"]][:4],
                                                                        key=lambda t: meta["tokens"].index(t)), "ties by row"
    return {"points": points.tolist(), "labels": labels.tolist(), **meta, "expected": expected}


def write(name, value):
    path = os.path.join(HERE, name)
    if isinstance(value, list):
        text = "[\n" + ",\n".join(json.dumps(v, ensure_ascii=False, allow_nan=False) for v in value) + "\n]\n"
    else:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=1) + "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {path} ({len(text.encode('utf-8'))} bytes)", file=sys.stderr)


def main():
    write("hdbscan.json", hdbscan_cases())
    write("kmeans.json", kmeans_cases())
    write("scores.json", score_cases())
    write("ctfidf.json", ctfidf_cases())
    write("summary.json", summary_case())
    return 0


if __name__ == "__main__":
    sys.exit(main())
