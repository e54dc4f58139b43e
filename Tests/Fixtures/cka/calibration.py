#!/usr/bin/env python3
"""NumPy reference for CKA's calibration (Sources/ForkscopeNumerics/DebiasedCKA.swift, CKANull.swift)
and the fixture of Tests/ForkscopeNumericsTests/CKACalibrationTests.swift.

    python3 Tests/Fixtures/cka/calibration.py      # rewrites Tests/Fixtures/cka/calibration.json

Independent of the Swift code's forms:
  * debiased CKA from Song et al. (2012, eq. 5) as written, on the n x n Gram matrices with their
    diagonals zeroed (the Swift code uses an equivalent feature-space form on centred states);
  * the permutation null: linear CKA (make_cka_fixture.cka's value, here through the centred Gram
    matrices) of X against Y's rows shuffled, for 20 shuffles drawn with the same SplitMix64
    Fisher-Yates as the Swift code, so the values must agree exactly up to rounding; mean and
    numpy.percentile(values, 95).
Cases (the issue's planted pairs): identical, rotated + scaled + shifted, unrelated random states
with few tokens in many dimensions (linear CKA high, debiased about 0), and related states.
"""
import json
import os

import numpy as np

MASK = (1 << 64) - 1


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class SplitMix64:
    """RandomStream(seed:, keys...) of Sources/ForkscopeNumerics/UMAP/RandomStream.swift."""

    def __init__(self, seed, *keys):
        s = _mix((seed + 0x9E3779B97F4A7C15) & MASK)
        for k in keys:
            s = _mix(s ^ _mix((k + 0xD1B54A32D192ED03) & MASK))
        self.state = s

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        return _mix(self.state)

    def below(self, n):
        return ((self.next() >> 32) * n) >> 32


def shuffled(n, seed, p):
    order = list(range(n))
    rng = SplitMix64(seed, p)
    for i in range(n - 1, 0, -1):
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    return np.array(order)


def hsic_u(k, l):
    """Unbiased HSIC (Song et al. 2012, eq. 5)."""
    n = k.shape[0]
    kt, lt = k.copy(), l.copy()
    np.fill_diagonal(kt, 0)
    np.fill_diagonal(lt, 0)
    one = np.ones(n)
    return (np.trace(kt @ lt) + (one @ kt @ one) * (one @ lt @ one) / ((n - 1) * (n - 2))
            - 2 / (n - 2) * (one @ kt @ lt @ one)) / (n * (n - 3))


def debiased_cka(x, y):
    k, l = x @ x.T, y @ y.T
    return hsic_u(k, l) / np.sqrt(hsic_u(k, k) * hsic_u(l, l))


def null(x, y, permutations=20, seed=0):
    """Linear CKA of x against y's rows shuffled: the values, their mean and 95th percentile."""
    xc, yc = x - x.mean(0), y - y.mean(0)
    k, l = xc @ xc.T, yc @ yc.T
    scale = np.sqrt((k * k).sum() * (l * l).sum())
    values = []
    for p in range(permutations):
        o = shuffled(x.shape[0], seed, p)
        values.append(float(min((k * l[np.ix_(o, o)]).sum() / scale, 1.0)))
    return values, float(np.mean(values)), float(np.percentile(values, 95))


def main():
    from make_cka_fixture import cka
    rng = np.random.default_rng(2012)
    cases = []
    x = rng.standard_normal((40, 12))
    rotation, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    related = rng.standard_normal((60, 8))
    for name, a, b in [("identical", x, x.copy()),
                       ("rotated", x, 3.0 * x @ rotation + 2.0),
                       ("unrelated_small_n", rng.standard_normal((16, 300)), rng.standard_normal((16, 300))),
                       ("related", related, np.tanh(related @ rng.standard_normal((8, 20))) + 0.5 * rng.standard_normal((60, 20)))]:
        values, mean, p95 = null(a, b)
        cases.append({"name": name, "x": a.tolist(), "y": b.tolist(), "cka": cka(a, b), "debiased": debiased_cka(a, b),
                      "null": values, "null_mean": mean, "null_p95": p95})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "calibration.json")
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")
    for c in cases:
        print(f"{c['name']}: cka {c['cka']:.3f} debiased {c['debiased']:.3f} null {c['null_mean']:.3f} (p95 {c['null_p95']:.3f})")


if __name__ == "__main__":
    main()
