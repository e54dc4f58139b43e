#!/usr/bin/env python3
"""A series diff site (`forkscope diff V1 ... Vn --out SITE`) checked against NumPy.

    python3 Tests/Fixtures/cka/check_series.py SITE RUN_1 RUN_2 ... RUN_n

For every compared pair (diff.json `pairs`) and layer, over the tokens neither run finds massive
(reference_views.detect_massive, with the zero_pe states when both runs have them):
  * raw linear CKA equals NumPy's (make_cka_fixture.cka), 1e-9;
  * debiased CKA, the permutation null's mean and 95th percentile (the same 20 seeded shuffles)
    and mutual kNN agreement equal NumPy's (calibration.py, reference_views.cosine_neighbours), 1e-9;
  * the index's raw heat map cell of that pair and layer prints the same CKA to three decimals;
and diff.json names every version in order, each pair's site folder exists with its own diff.json
whose raw CKA is the same. Prints a version x layer table of raw CKA; exit 1 on any failure.
"""
import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import reference  # noqa: E402
import reference_views  # noqa: E402
import calibration  # noqa: E402
from make_cka_fixture import cka  # noqa: E402


def main():
    site, run_dirs = sys.argv[1], sys.argv[2:]
    diff = json.load(open(os.path.join(site, "diff.json")))
    index = open(os.path.join(site, "index.html"), encoding="utf-8").read()
    runs = [reference.load_run(d) for d in run_dirs]
    zero = [reference.load_run(d, "zero_pe") if "zero_pe" in (r.meta.get("variants") or {}) else None for d, r in zip(run_dirs, runs)]
    failures = []

    def check(ok, what):
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    check(len(diff["versions"]) == len(runs) and [v["title"] for v in diff["versions"]] == [r.meta["title"] for r in runs],
          f"diff.json names the {len(runs)} versions in order")
    against = "against 1" if diff["against"] == "first" else "against the one before"
    worst = {"cka": 0.0, "calibration": 0.0}
    cells_ok, table = True, []
    for pair in diff["pairs"]:
        a, b = runs[pair["a"]], runs[pair["b"]]
        za, zb = zero[pair["a"]], zero[pair["b"]]
        own = json.load(open(os.path.join(site, pair["site"], "diff.json")))
        row = []
        for slice_, layer in enumerate(pair["layers"]):
            use_zero = za is not None and zb is not None
            fit_a = ~reference_views.detect_massive(a.states[slice_], za.states[slice_] if use_zero else None, 10.0)[0]
            fit_b = ~reference_views.detect_massive(b.states[slice_], zb.states[slice_] if use_zero else None, 10.0)[0]
            both = fit_a & fit_b
            xa, xb = a.states[slice_][both], b.states[slice_][both]
            entry = layer["views"]["raw"]
            want = cka(xa, xb)
            worst["cka"] = max(worst["cka"], abs(entry["cka"] - want), abs(own["layers"][slice_]["views"]["raw"]["cka"] - entry["cka"]))
            if len(xa) <= 4096:
                na, nb = reference_views.cosine_neighbours(xa), reference_views.cosine_neighbours(xb)
                agreement = np.mean([len(set(na[i]) & set(nb[i])) / na.shape[1] for i in range(len(na))])
                _, null_mean, null_p95 = calibration.null(xa, xb)
                worst["calibration"] = max(worst["calibration"], abs(entry["cka_debiased"] - calibration.debiased_cka(xa, xb)),
                                           abs(entry["cka_null_mean"] - null_mean), abs(entry["cka_null_p95"] - null_p95),
                                           abs(entry["mutual_knn"] - agreement))
            label = f"version ({against}) {pair['b'] + 1}, layer {layer['layer_a']}: "
            cell = re.search(re.escape(label) + r"([0-9.\-]+)", index)
            cells_ok &= cell is not None and cell.group(1) == f"{entry['cka']:.3f}"
            row.append(f"{entry['cka']:.3f}")
        table.append(f"{pair['a'] + 1}->{pair['b'] + 1}  " + " ".join(row))
    check(worst["cka"] < 1e-9, f"raw CKA of every pair and layer equals NumPy's, and the pair's own diff.json (largest difference {worst['cka']:.1e})")
    check(worst["calibration"] < 1e-9, "debiased CKA, the null's mean and 95th percentile, mutual kNN equal NumPy's "
          f"(largest difference {worst['calibration']:.1e})")
    check(cells_ok, "the index's raw heat map prints each of them")
    print("raw CKA, pair x layer (" + " ".join(str(l["layer_a"]) for l in diff["pairs"][0]["layers"]) + "):")
    print("\n".join(table))
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
