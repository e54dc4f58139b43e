#!/usr/bin/env python3
"""Reference values for the Swift UMAP pieces (Sources/ForkscopeNumerics/UMAP) and Procrustes,
from umap-learn 0.5.12, scipy and NumPy.

Writes Tests/Fixtures/umap/reference.json (keys sorted, floats at full precision). Its contents:

inputs (each stored in the JSON, values are multiples of 1/1024 so every decimal parser reads
them exactly):
  "blobs"       60 x 8: three Gaussian clusters of 20 points (unit spread, centres 4.4 to 5 apart,
                so the k = 15 fuzzy graph is connected but has a clear 3-cluster structure:
                Laplacian eigenvalues 0, 0.051, 0.157, then 0.497, a wide gap after the 3rd).
  "duplicates"  40 x 5: standard Gaussian rows where rows 7 and 21 repeat row 3 and row 30
                repeats row 11 (exact copies, distance 0, rho skips them, distance ties).

per input (`cases.<name>`):
  knn_indices, knn_dists  exact k = 15 neighbours, the row itself first, then the other rows by
                          (distance, index). Distances are float64, sqrt of a sum of squared
                          differences accumulated column by column in order (so copies of a row
                          tie exactly, as they do in Swift).
  sigmas, rhos            umap-learn's smooth_knn_dist for those distances (as fuzzy_simplicial_set
                          calls it: distances cast to float32, k = 15.0, local_connectivity 1).
                          umap-learn returns float32; stored here widened to float64.
  graph                   umap.umap_.fuzzy_simplicial_set(X, 15, knn_indices=..., knn_dists=...)
                          (fuzzy union, float32) as triplets {rows, cols, vals} in row-major order.
  components              connected components of that graph (scipy.sparse.csgraph).

"spectral" (of the "blobs" graph, which is connected): the normalised Laplacian
  L = I - D^{-1/2} W D^{-1/2} of the umap-learn fuzzy graph above (in float64), its 4 smallest
  eigenvalues and the eigenvectors of the 2nd and 3rd (what umap-learn's spectral_layout returns),
  from scipy.sparse.linalg.eigsh(L, 4, which="SM", v0=ones, tol=1e-12) as umap-learn calls it but
  with a tight tolerance; checked against a dense numpy.linalg.eigh. Signs (and rotations within a
  degenerate pair) are arbitrary: compare the spanned subspace.

"ab": umap.umap_.find_ab_params(spread, min_dist) (scipy curve_fit) for (1.0, 0.1) and (2.0, 0.5).

"procrustes": two 12 x 2 layouts "moving" and "target" (target is a noisy rotated, reflected and
  translated copy of moving); "rotation" is scipy.linalg.orthogonal_procrustes(moving - mean,
  target - mean)[0], "aligned" = (moving - mean(moving)) R + mean(target).

Usage (from the repository root):  python3 Tests/Fixtures/umap_reference.py [--out PATH]
Deterministic: np.random.default_rng(20250101) with a fixed draw order; umap-learn's functions used
here take no random state. Needs numpy, scipy and umap-learn (numba).
"""

import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # keep Tests/Fixtures free of __pycache__

import numpy as np
import scipy
import scipy.linalg
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg

import umap
import umap.umap_ as umap_

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20250101
K = 15
MAX_BYTES = 200 * 1024


def quantise(x):
    """Round to multiples of 1/1024: exactly representable, and printed exactly by repr."""
    return np.round(np.asarray(x, dtype=np.float64) * 1024.0) / 1024.0


def make_inputs(rng):
    centres = rng.normal(size=(3, 8))
    centres *= 5.0 / np.linalg.norm(centres[0] - centres[1])  # centres about 5 apart
    blobs = np.vstack([centres[c] + rng.normal(size=(20, 8)) for c in range(3)])
    duplicates = rng.normal(size=(40, 5))
    duplicates[7] = duplicates[3]
    duplicates[21] = duplicates[3]
    duplicates[30] = duplicates[11]
    return {"blobs": quantise(blobs), "duplicates": quantise(duplicates)}


def exact_distances(x):
    """Euclidean distances, the squared differences summed column by column in order."""
    n, d = x.shape
    s = np.zeros((n, n))
    for c in range(d):
        t = x[:, None, c] - x[None, :, c]
        s += t * t
    return np.sqrt(s)


def exact_knn(x, k):
    dist = exact_distances(x)
    n = x.shape[0]
    indices = np.zeros((n, k), dtype=np.int64)
    dists = np.zeros((n, k))
    for i in range(n):
        others = np.array([j for j in range(n) if j != i])
        order = np.lexsort((others, dist[i, others]))  # by distance, then index
        chosen = others[order[: k - 1]]
        indices[i] = np.concatenate([[i], chosen])
        dists[i] = np.concatenate([[0.0], dist[i, chosen]])
    return indices, dists


def case(x):
    indices, dists = exact_knn(x, K)
    graph, sigmas, rhos = umap_.fuzzy_simplicial_set(
        x, K, random_state=None, metric="euclidean", knn_indices=indices, knn_dists=dists
    )
    # The same sigmas and rhos as a direct call with float32 distances.
    s2, r2 = umap_.smooth_knn_dist(dists.astype(np.float32), float(K), local_connectivity=1.0)
    assert np.array_equal(s2, sigmas) and np.array_equal(r2, rhos)
    graph = graph.tocsr()
    graph.sort_indices()
    coo = graph.tocoo()
    assert abs(graph - graph.T).max() == 0, "fuzzy union is symmetric"
    count, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
    out = {
        "data": x.tolist(),
        "knn_indices": indices.tolist(),
        "knn_dists": dists.tolist(),
        "sigmas": [float(v) for v in sigmas],
        "rhos": [float(v) for v in rhos],
        "graph": {
            "rows": coo.row.tolist(),
            "cols": coo.col.tolist(),
            "vals": [float(v) for v in coo.data],
        },
        "components": int(count),
    }
    return out, graph


def spectral(graph):
    w = graph.astype(np.float64)
    n = w.shape[0]
    sqrt_deg = np.sqrt(np.asarray(w.sum(axis=0)).squeeze())
    d = scipy.sparse.spdiags(1.0 / sqrt_deg, 0, n, n)
    lap = scipy.sparse.identity(n, dtype=np.float64) - d @ w @ d
    values, vectors = scipy.sparse.linalg.eigsh(
        lap, 4, which="SM", ncv=max(2 * 4 + 1, int(np.sqrt(n))), tol=1e-12, v0=np.ones(n), maxiter=n * 50
    )
    order = np.argsort(values)
    values, vectors = values[order], vectors[:, order]
    dense_values, dense_vectors = np.linalg.eigh(lap.toarray())
    assert np.allclose(values, dense_values[:4], atol=1e-10), (values, dense_values[:4])
    u, v = vectors[:, 1:3], dense_vectors[:, 1:3]
    assert np.abs(u @ u.T - v @ v.T).max() < 1e-8, "eigsh and eigh span the same subspace"
    return {
        "eigenvalues": values.tolist(),
        "vectors": u.tolist(),
        "dense_eigenvalues_first6": dense_values[:6].tolist(),
    }


def procrustes(rng):
    moving = quantise(rng.normal(size=(12, 2)) * 3)
    angle = 0.7
    rot = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]]) @ np.diag([1.0, -1.0])
    target = quantise(moving @ rot + np.array([5.0, -2.0]) + 0.1 * rng.normal(size=(12, 2)))
    mm, tm = moving.mean(axis=0), target.mean(axis=0)
    r, scale = scipy.linalg.orthogonal_procrustes(moving - mm, target - tm)
    return {
        "moving": moving.tolist(),
        "target": target.tolist(),
        "rotation": r.tolist(),
        "scale": float(scale),
        "aligned": ((moving - mm) @ r + tm).tolist(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "umap", "reference.json"))
    args = parser.parse_args()

    rng = np.random.default_rng(SEED)
    inputs = make_inputs(rng)
    cases, graphs = {}, {}
    for name, x in inputs.items():
        cases[name], graphs[name] = case(x)
    assert cases["blobs"]["components"] == 1, "the blobs graph must be connected for the spectral check"
    result = {
        "versions": {"umap-learn": umap.__version__, "numpy": np.__version__, "scipy": scipy.__version__},
        "k": K,
        "cases": cases,
        "spectral": spectral(graphs["blobs"]),
        "ab": [
            {"spread": s, "min_dist": m, "a": float(a), "b": float(b)}
            for s, m in [(1.0, 0.1), (2.0, 0.5)]
            for a, b in [umap_.find_ab_params(s, m)]
        ],
        "procrustes": procrustes(rng),
    }
    text = json.dumps(result, sort_keys=True, separators=(",", ":"))
    assert len(text) < MAX_BYTES, f"reference.json would be {len(text)} bytes"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    print(f"wrote {args.out} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
