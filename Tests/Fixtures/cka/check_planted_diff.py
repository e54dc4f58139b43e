#!/usr/bin/env python3
"""`forkscope diff` on a real run against a copy with planted changes, checked against NumPy.

    python3 Tests/Fixtures/cka/check_planted_diff.py RUN_DIR FORKSCOPE_BINARY [--layers R,S,T]

B is RUN_DIR's states (F32) with three layers changed, every other layer as it is (exactly, as
float32 holds A's bfloat16 / float16 / float32 values), and the zero_pe variant (if any) copied:
  R: rotated by a random orthogonal matrix and scaled by 2 (the same representation: CKA 1);
  S: its tokens shuffled (a different representation);
  T: the continuation tokens (branches with a parent; in a run of roots only, every other branch's
     tokens) shifted along one random direction by twice
     the median distance of the layer's tokens to their mean (one subspace moved).
Default R, S, T: the layers at a quarter, a half and three quarters of the run's list.

Runs `forkscope diff A B --out SITE --text` and checks, from diff.json and the text:
  * exactly S and T have raw CKA below 0.99; every other layer and view is at least 0.999999 and
    R is 1 to 1e-6, except R in the z-scored views, which must be below 1 (z-scoring each dimension
    does not commute with a rotation);
  * raw CKA at every layer equals NumPy's (make_cka_fixture.cka) over the tokens neither run finds
    massive (reference_views.detect_massive, with the zero_pe states when both runs have them), 1e-9;
  * the raw layer x layer map equals NumPy's over the map's tokens (never massive; covered by
    position_mean at every layer when that (or position_mean+z) is the map's second view), 1e-9;
  * the raw neighbour change per layer (mean, reference_views.cosine_neighbours) equals NumPy's, 1e-9;
  * CKA's calibration at every layer (raw) equals NumPy's (calibration.py): debiased CKA (1e-9), the
    permutation null's mean and 95th percentile from the same 20 seeded shuffles (1e-9), mutual
    kNN agreement = 1 - the mean neighbour change (1e-9);
  * the text diff prints the same raw CKA to three decimals.
Prints what it checked; exit 1 on any failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import reference  # noqa: E402
import reference_views  # noqa: E402
from make_cka_fixture import cka  # noqa: E402
import calibration  # noqa: E402
from make_diff_fixture import write_run  # noqa: E402


def plant(a, rng, layers):
    r, s, t = layers
    states = a.states.copy()
    d = a.hidden_size
    rotation, _ = np.linalg.qr(rng.standard_normal((d, d)))
    states[r] = 2 * states[r] @ rotation
    states[s] = states[s][rng.permutation(states.shape[1])]
    parents = {b["id"]: b.get("parent") for b in a.branches}
    continuation = np.array([parents[b] is not None for b in a.token_branch])
    if not continuation.any():  # a run of roots only: every other branch moves
        odd = {br["id"] for k, br in enumerate(a.branches) if k % 2 == 1}
        continuation = np.array([b in odd for b in a.token_branch])
    direction = rng.standard_normal(d)
    direction /= np.linalg.norm(direction)
    # Twice the median distance to the layer's mean: large against the spread of the tokens,
    # whatever the layer's offset from the origin.
    spread = np.median(np.linalg.norm(states[t] - states[t].mean(axis=0), axis=1))
    states[t][continuation] += 2 * spread * direction
    return states


def main():
    run_dir, binary = sys.argv[1], sys.argv[2]
    a = reference.load_run(run_dir)
    n_layers = len(a.layers)
    if "--layers" in sys.argv:
        planted = [a.layers.index(int(x)) for x in sys.argv[sys.argv.index("--layers") + 1].split(",")]
    else:
        planted = [n_layers // 4, n_layers // 2, 3 * n_layers // 4]
    r, s, t = planted
    failures = []

    def check(ok, what):
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as work:
        out_b, site = os.path.join(work, "b"), os.path.join(work, "site")
        meta = json.loads(json.dumps(a.meta))
        meta["title"] = a.meta["title"] + f" (planted: layer {a.layers[r]} rotated, {a.layers[s]} shuffled, {a.layers[t]} shifted)"
        meta["tensors"] = "activations.safetensors"
        variants = a.meta.get("variants") or {}
        states_b = plant(a, np.random.default_rng(7), planted)
        write_run(meta, states_b, out_b)
        for name, file in variants.items():
            shutil.copyfile(os.path.join(run_dir, file), os.path.join(out_b, file))
        b = reference.load_run(out_b)
        zero_a = reference.load_run(run_dir, "zero_pe") if "zero_pe" in variants else None

        proc = subprocess.run([binary, "diff", run_dir, out_b, "--out", site, "--text", "--quiet"], capture_output=True, text=True)
        check(proc.returncode == 0, f"forkscope diff exits 0 ({proc.stderr.strip()[:200]})")
        if proc.returncode != 0:
            sys.exit(1)
        with open(os.path.join(site, "diff.json"), encoding="utf-8") as f:
            diff = json.load(f)

        # Exactly the planted layers changed.
        flagged = [L["layer_a"] for L in diff["layers"] if L["views"]["raw"]["cka"] < 0.99]
        check(flagged == [a.layers[s], a.layers[t]], f"raw CKA < 0.99 at exactly layers {a.layers[s]}, {a.layers[t]}: {flagged}")
        # z-scoring each dimension does not commute with a rotation: a +z view sees the rotated layer
        # as a change (and must), every other view as none.
        def changed(L, v):
            return L["layer_a"] in (a.layers[s], a.layers[t]) or (v.endswith("+z") and L["layer_a"] == a.layers[r])
        others = [(L["layer_a"], v, e["cka"]) for L in diff["layers"] for v, e in L["views"].items()
                  if not changed(L, v) and e["cka"] is not None and e["cka"] < 0.999999]
        check(not others, f"every other layer and view at CKA >= 0.999999 {others[:3]}")
        rotated = diff["layers"][r]["views"]
        check(all(abs(e["cka"] - 1) < 1e-6 for v, e in rotated.items() if e["cka"] is not None and not v.endswith("+z")),
              f"the rotated layer {a.layers[r]} is 1 in every view but the z-scored ones")
        check(all(e["cka"] < 1 - 1e-6 for v, e in rotated.items() if e["cka"] is not None and v.endswith("+z")),
              f"the rotated layer {a.layers[r]} is below 1 in every z-scored view")

        # Raw CKA, the map and neighbour change against NumPy.
        n = a.states.shape[1]
        never_massive = np.ones(n, dtype=bool)
        covered = np.ones(n, dtype=bool)
        positions = np.array(a.token_position)
        worst_cka, worst_change, worst_calibration = 0.0, 0.0, 0.0
        for layer in range(n_layers):
            za = zero_a.states[layer] if zero_a is not None else None
            fit_a = ~reference_views.detect_massive(a.states[layer], za, 10.0)[0]
            fit_b = ~reference_views.detect_massive(b.states[layer], za, 10.0)[0]
            both = fit_a & fit_b
            never_massive &= both
            entry = diff["layers"][layer]["views"]["raw"]
            worst_cka = max(worst_cka, abs(entry["cka"] - cka(a.states[layer][both], b.states[layer][both])))
            na = reference_views.cosine_neighbours(a.states[layer][both])
            nb = reference_views.cosine_neighbours(b.states[layer][both])
            change = np.mean([1 - len(set(na[i]) & set(nb[i])) / na.shape[1] for i in range(len(na))])
            worst_change = max(worst_change, abs(entry["neighbour_change_mean"] - change))
            xa, xb = a.states[layer][both], b.states[layer][both]
            if len(xa) <= 4096:  # the null and neighbours use every compared token up to there
                _, null_mean, null_p95 = calibration.null(xa, xb)
                worst_calibration = max(worst_calibration, abs(entry["cka_debiased"] - calibration.debiased_cka(xa, xb)),
                                        abs(entry["cka_null_mean"] - null_mean), abs(entry["cka_null_p95"] - null_p95),
                                        abs(entry["mutual_knn"] - (1 - change)))
            for x, fit in ((a.states[layer], fit_a), (b.states[layer], fit_b)):
                cov, _ = reference_views.view_position_mean(x, positions, a.token_branch, fit)
                mask = np.zeros(n, dtype=bool)
                mask[cov] = True
                covered &= mask
        check(worst_cka < 1e-9, f"raw CKA at every layer equals NumPy's (largest difference {worst_cka:.1e})")
        check(worst_change < 1e-9, f"raw mean neighbour change at every layer equals NumPy's (largest difference {worst_change:.1e})")
        check(worst_calibration < 1e-9, "raw debiased CKA, null mean and 95th percentile, mutual kNN at every layer equal NumPy's "
              f"(largest difference {worst_calibration:.1e})")
        sample = never_massive & (covered if (diff["content_view"] or "").startswith("position_mean") else True)
        sample = np.nonzero(sample)[0]
        raw_map = next(m for m in diff["maps"] if m["view"] == "raw")
        check(raw_map["tokens"] == len(sample), f"map sample: {raw_map['tokens']} tokens, NumPy {len(sample)}")
        if len(sample) <= 1024 and raw_map["tokens"] == len(sample):
            want = np.array([[cka(a.states[i][sample], b.states[j][sample]) for j in range(n_layers)] for i in range(n_layers)])
            got = np.array(raw_map["cka"], dtype=float)
            check(np.max(np.abs(got - want)) < 1e-9, f"raw layer x layer map equals NumPy's (largest difference {np.max(np.abs(got - want)):.1e})")

        # The text diff prints the same numbers.
        table = {}
        for line in proc.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].isdigit() and parts[1] != "raw" and not parts[1].isalpha():
                table.setdefault(int(parts[0]), parts[1])
        text_ok = all(table.get(L["layer_a"]) == f"{L['views']['raw']['cka']:.3f}" for L in diff["layers"])
        check(text_ok, "the text diff prints the same raw CKA at every layer")
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
