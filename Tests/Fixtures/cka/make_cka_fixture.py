#!/usr/bin/env python3
"""Linear CKA fixtures for Tests/ForkscopeNumericsTests/LinearCKATests.swift.

    python3 Tests/Fixtures/cka/make_cka_fixture.py     # rewrites Tests/Fixtures/cka/cka.json

The reference is the HSIC form of Kornblith et al. (2019), independent of the Swift code's
cross-product form: with H = I - 11^T/n, K = X X^T, L = Y Y^T,
    CKA = tr(K H L H) / sqrt(tr(K H K H) tr(L H L H)).
Cases: more tokens than dimensions, fewer (the Gram route), different hidden sizes, and a pair
whose B side is A rotated, scaled and shifted (CKA 1), all in float64.
"""
import json
import os

import numpy as np


def cka(x, y):
    n = x.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    k, l = x @ x.T, y @ y.T
    hsic = lambda a, b: np.trace(a @ h @ b @ h)
    return hsic(k, l) / np.sqrt(hsic(k, k) * hsic(l, l))


def main():
    rng = np.random.default_rng(2019)
    cases = []
    for name, n, p, q in [("tall", 40, 6, 9), ("wide", 8, 12, 20), ("square", 16, 16, 16)]:
        x = rng.standard_normal((n, p)) * rng.uniform(0.5, 3, p) + rng.standard_normal(p) * 5
        y = np.tanh(x @ rng.standard_normal((p, q))) + 0.3 * rng.standard_normal((n, q))
        cases.append({"name": name, "x": x.tolist(), "y": y.tolist(), "cka": cka(x, y)})
    x = rng.standard_normal((30, 7))
    rotation, _ = np.linalg.qr(rng.standard_normal((7, 7)))
    y = 2.5 * x @ rotation + 4.0
    cases.append({"name": "rotated", "x": x.tolist(), "y": y.tolist(), "cka": cka(x, y)})
    # The layer x layer map: three "layers" per side.
    xs = [rng.standard_normal((12, 5)) for _ in range(3)]
    ys = [xs[0] @ rng.standard_normal((5, 4)), rng.standard_normal((12, 6)), xs[2] * 3]
    pairs = [[cka(a, b) for b in ys] for a in xs]
    out = {"cases": cases, "pairs": {"xs": [a.tolist() for a in xs], "ys": [b.tolist() for b in ys], "cka": pairs}}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cka.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
