#!/usr/bin/env python3
"""The diff fixture: Tests/Fixtures/runs/synthetic-b, the synthetic run with planted changes, and the
CKA that `forkscope diff` must report against Tests/Fixtures/runs/synthetic.

    python3 Tests/Fixtures/cka/make_diff_fixture.py   # rewrites runs/synthetic-b/

B's states (F32): layer 0 rotated by a random orthogonal matrix and scaled by 3; layer 1's tokens
shuffled; layer 2's continuation tokens (branches with a parent) shifted along dimension 0 by twice
the median norm. run.json is A's without the zero_pe variant. expected_cka.json: for every layer,
linear CKA (the HSIC form, make_cka_fixture.cka) of the raw states and of the position_mean view
(reference_views.view_position_mean, each run fitted on its own non-massive tokens), over the
tokens neither run finds massive (norm > 10 x the layer median) and the view covers in both, as
read back from the files, in float64.

expected_site.json: what the diff site draws from the same files, per layer for the raw view:
A's PCA (reference_views.pca_fit on A's non-massive tokens) and B's turned onto it by orthogonal
Procrustes (SVD of B_c^T A_c over the compared tokens, no scaling), both for every compared token;
each compared token's neighbour change 1 - |N_A ∩ N_B| / 10 (reference_views.cosine_neighbours
among the compared tokens); and the layer x layer raw and position_mean CKA maps over the tokens
that are never massive in any layer of either run and that position_mean covers at every layer.
"""
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import reference  # noqa: E402
import reference_views  # noqa: E402
from make_cka_fixture import cka  # noqa: E402

RUNS = os.path.join(os.path.dirname(HERE), "runs")


def write_run(meta, states, out):
    os.makedirs(out, exist_ok=True)
    header, blob, start = {}, b"", 0
    offsets = np.cumsum([0] + [len(b["tokens"]) for b in meta["branches"]])
    for j, b in enumerate(meta["branches"]):
        data = np.ascontiguousarray(states[:, offsets[j]:offsets[j + 1]], dtype="<f4").tobytes()
        header[b["id"]] = {"dtype": "F32", "shape": [states.shape[0], int(offsets[j + 1] - offsets[j]), states.shape[2]],
                           "data_offsets": [start, start + len(data)]}
        blob += data
        start += len(data)
    text = json.dumps(header, sort_keys=True).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(out, meta["tensors"]), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + blob)
    with open(os.path.join(out, "run.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    a = reference.load_run(os.path.join(RUNS, "synthetic"))
    rng = np.random.default_rng(6)
    states = a.states.copy()
    d = a.hidden_size
    rotation, _ = np.linalg.qr(rng.standard_normal((d, d)))
    states[0] = 3 * states[0] @ rotation
    states[1] = states[1][rng.permutation(states.shape[1])]
    parents = {b["id"]: b["parent"] for b in a.branches}
    continuation = np.array([parents[b] is not None for b in a.token_branch])
    states[2][continuation, 0] += 2 * np.median(np.linalg.norm(states[2], axis=1))
    meta = dict(a.meta)
    meta.pop("variants", None)
    meta["title"] = a.meta["title"] + " (diff fixture: layer 0 rotated, 1 shuffled, 2 shifted)"
    out = os.path.join(RUNS, "synthetic-b")
    write_run(meta, states, out)

    b = reference.load_run(out)
    positions = np.array(a.token_position)
    branches = a.token_branch
    expected = []
    for layer in range(len(a.layers)):
        xa, xb = a.states[layer], b.states[layer]
        fit_a = ~reference_views.detect_massive(xa, None, 10.0)[0]
        fit_b = ~reference_views.detect_massive(xb, None, 10.0)[0]
        both = fit_a & fit_b
        row = {"layer": a.layers[layer], "raw": cka(xa[both], xb[both])}
        cov_a, ya = reference_views.view_position_mean(xa, positions, branches, fit_a)
        cov_b, yb = reference_views.view_position_mean(xb, positions, branches, fit_b)
        ra, rb = {t: r for r, t in enumerate(cov_a)}, {t: r for r, t in enumerate(cov_b)}
        tokens = [t for t in range(len(both)) if both[t] and t in ra and t in rb]
        row["position_mean"] = cka(ya[[ra[t] for t in tokens]], yb[[rb[t] for t in tokens]])
        row["tokens"] = {"raw": int(both.sum()), "position_mean": len(tokens)}
        expected.append(row)
    with open(os.path.join(out, "expected_cka.json"), "w") as f:
        json.dump({"layers": expected}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps(expected))
    write_site_expectations(a, b, out)


def procrustes(moving, target):
    """moving turned (rotation or reflection) and shifted onto target, least squares (Schönemann 1966)."""
    mm, tm = moving.mean(axis=0), target.mean(axis=0)
    u, _, vt = np.linalg.svd((moving - mm).T @ (target - tm))
    return lambda x: (x - mm) @ (u @ vt) + tm


def write_site_expectations(a, b, out):
    positions = np.array(a.token_position)
    branches = a.token_branch
    n = len(branches)
    layers = []
    never_massive = np.ones(n, dtype=bool)
    covered_everywhere = np.ones(n, dtype=bool)
    means = {}
    for layer in range(len(a.layers)):
        xa, xb = a.states[layer], b.states[layer]
        fit_a = ~reference_views.detect_massive(xa, None, 10.0)[0]
        fit_b = ~reference_views.detect_massive(xb, None, 10.0)[0]
        never_massive &= fit_a & fit_b
        both = np.nonzero(fit_a & fit_b)[0]
        pa, pb = reference_views.pca_fit(xa[fit_a]), reference_views.pca_fit(xb[fit_b])
        ca, cb = reference_views.pca_apply(pa, xa), reference_views.pca_apply(pb, xb)
        aligned = procrustes(cb[both], ca[both])(cb[both])
        na, nb = reference_views.cosine_neighbours(xa[both]), reference_views.cosine_neighbours(xb[both])
        change = [1 - len(set(na[i]) & set(nb[i])) / na.shape[1] for i in range(len(both))]
        layers.append({"layer": a.layers[layer], "tokens": both.tolist(), "pca_a": ca[both].tolist(),
                       "pca_b_aligned": aligned.tolist(), "neighbour_change": change})
        for side, x, fit in (("a", xa, fit_a), ("b", xb, fit_b)):
            cov, y = reference_views.view_position_mean(x, positions, branches, fit)
            mask = np.zeros(n, dtype=bool)
            mask[cov] = True
            covered_everywhere &= mask
            means[(side, layer)] = (cov, y)
    sample = np.nonzero(never_massive & covered_everywhere)[0]
    count = len(a.layers)
    raw = [[cka(a.states[i][sample], b.states[j][sample]) for j in range(count)] for i in range(count)]

    def mean_view(side, layer):
        cov, y = means[(side, layer)]
        row = {t: r for r, t in enumerate(cov)}
        return y[[row[t] for t in sample]]
    mean_map = [[cka(mean_view("a", i), mean_view("b", j)) for j in range(count)] for i in range(count)]
    with open(os.path.join(out, "expected_site.json"), "w") as f:
        json.dump({"layers": layers, "map_tokens": len(sample), "map_raw": raw, "map_position_mean": mean_map},
                  f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
