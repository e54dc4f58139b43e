#!/usr/bin/env python3
"""Check a site written by Forkscope against the NumPy reference.

    python3 Tests/Fixtures/check_site.py RUN_DIR SITE_DIR

Recomputes reference.py's measures for RUN_DIR and compares them with
SITE_DIR/report.json and SITE_DIR/layers/<L>.csv:

* report.json: "format" == "forkscope.report/1"; for each layer and each view
  (raw, position_mean): "tokens" exactly, "position_r2" and
  "pca_explained_variance" within 1e-6 absolute (null must match None);
* layers/<L>.csv: the header, one row per token in run order, branch /
  token_index / position exactly, the token column equal to the run's token
  text, empty fields exactly where the reference has none, and
  norm, dist_to_position_mean, the four PCA coordinates within
  1e-5 * max(1, max |value| of that column in that layer).

Prints one line per layer with the largest deviations, then exactly
`N passed, M failed` (N, M count layers).  Exit status: 0 if everything
passed, 1 on any failure, 2 if the run itself cannot be loaded.
"""

import csv
import io
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep Tests/Fixtures free of __pycache__
sys.path.insert(0, HERE)
import reference  # noqa: E402

REPORT_FORMAT = "forkscope.report/1"
VIEWS = ("raw", "position_mean")
CSV_HEADER = ["branch", "token_index", "position", "norm", "dist_to_position_mean",
              "raw_pc1", "raw_pc2", "position_mean_pc1", "position_mean_pc2", "token"]
NUM_COLS = ["norm", "dist_to_position_mean", "raw_pc1", "raw_pc2",
            "position_mean_pc1", "position_mean_pc2"]
REL_TOL = 1e-5     # for per-token values, scaled by max(1, max |column|)
ABS_TOL = 1e-6     # for position_r2 and explained variance
MAX_PROBLEMS_SHOWN = 8


def _num(x):
    """Parse a JSON/CSV number; returns float, None for null/empty, or raises ValueError."""
    if x is None:
        return None
    if isinstance(x, bool):
        raise ValueError(f"boolean {x!r} is not a number")
    if isinstance(x, (int, float)):
        v = float(x)
    else:
        s = str(x).strip()
        if s == "":
            return None
        v = float(s)
    if not math.isfinite(v):
        raise ValueError(f"non-finite number {x!r}")
    return v


def _fmt(x):
    return "none" if x is None else f"{x:.3g}"


def load_report(site_dir):
    path = os.path.join(site_dir, "report.json")
    if not os.path.isfile(path):
        return None, f"missing file {path}"
    try:
        with open(path, encoding="utf-8") as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        return None, f"cannot read {path}: {e}"
    if not isinstance(rep, dict):
        return None, f"{path}: top level is not an object"
    return rep, None


def check_report_layer(ref_layer, rep_layer, problems):
    """Compare one layer's view summaries; returns max deviations."""
    dev = {"r2": 0.0, "ev": 0.0}
    views = rep_layer.get("views") if isinstance(rep_layer, dict) else None
    if not isinstance(views, dict):
        problems.append("report.json: layer entry has no \"views\" object")
        return dev
    for vname in VIEWS:
        ref = ref_layer["views"][vname]
        got = views.get(vname)
        if not isinstance(got, dict):
            problems.append(f"report.json: view {vname!r} missing")
            continue
        # token count
        if "tokens" not in got:
            problems.append(f"report.json {vname}: \"tokens\" missing")
        elif got["tokens"] != ref["tokens"] or isinstance(got["tokens"], bool):
            problems.append(f"report.json {vname}: tokens {got['tokens']!r}, expected {ref['tokens']}")
        # position_r2
        if "position_r2" not in got:
            problems.append(f"report.json {vname}: \"position_r2\" missing")
        else:
            try:
                g = _num(got["position_r2"])
            except (ValueError, TypeError) as e:
                problems.append(f"report.json {vname}: position_r2 unreadable ({e})")
            else:
                r = ref["position_r2"]
                if (g is None) != (r is None):
                    problems.append(f"report.json {vname}: position_r2 {_fmt(g)}, expected {_fmt(r)}")
                elif g is not None:
                    d = abs(g - r)
                    dev["r2"] = max(dev["r2"], d)
                    if not d <= ABS_TOL:
                        problems.append(f"report.json {vname}: position_r2 {g!r}, expected {r!r} "
                                        f"(|diff| {d:.3g})")
        # explained variance
        if "pca_explained_variance" not in got:
            problems.append(f"report.json {vname}: \"pca_explained_variance\" missing")
        else:
            g = got["pca_explained_variance"]
            r = ref["pca_explained_variance"]
            if r is None or g is None:
                if (r is None) != (g is None):
                    problems.append(f"report.json {vname}: pca_explained_variance {g!r}, expected {r!r}")
            elif not isinstance(g, list) or len(g) != len(r):
                problems.append(f"report.json {vname}: pca_explained_variance {g!r} is not a "
                                f"list of {len(r)} numbers")
            else:
                for k, (gv, rv) in enumerate(zip(g, r)):
                    try:
                        gv = _num(gv)
                    except (ValueError, TypeError) as e:
                        problems.append(f"report.json {vname}: explained variance [{k}] unreadable ({e})")
                        continue
                    if gv is None:
                        problems.append(f"report.json {vname}: explained variance [{k}] is null")
                        continue
                    d = abs(gv - rv)
                    dev["ev"] = max(dev["ev"], d)
                    if not d <= ABS_TOL:
                        problems.append(f"report.json {vname}: explained variance [{k}] {gv!r}, "
                                        f"expected {rv!r} (|diff| {d:.3g})")
    return dev


def read_csv(path):
    # newline="" so quoted newlines / carriage returns inside fields survive
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    return list(csv.reader(io.StringIO(text, newline="")))


def check_csv_layer(run, ref_layer, site_dir, problems):
    """Compare layers/<L>.csv with the reference tokens; returns max deviations."""
    L = ref_layer["layer"]
    dev = {c: 0.0 for c in NUM_COLS}
    path = os.path.join(site_dir, "layers", f"{L}.csv")
    if not os.path.isfile(path):
        problems.append(f"missing file {path}")
        return dev
    try:
        rows = read_csv(path)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        problems.append(f"cannot read {path}: {e}")
        return dev
    if not rows:
        problems.append(f"{path}: empty file")
        return dev
    if rows[0] != CSV_HEADER:
        problems.append(f"{path}: header {rows[0]!r}, expected {CSV_HEADER!r}")
        return dev
    body = rows[1:]
    # tolerate one trailing empty record (a blank last line)
    while body and body[-1] == []:
        body.pop()
    ref_tokens = ref_layer["tokens"]
    if len(body) != len(ref_tokens):
        problems.append(f"{path}: {len(body)} data rows, expected {len(ref_tokens)}")
    scale = {}
    for c in NUM_COLS:
        vals = [abs(t[c]) for t in ref_tokens if t[c] is not None]
        scale[c] = max([1.0] + vals)
    # a coordinate column that is off everywhere but matches when negated is a sign flip
    coord_cols = [c for c in NUM_COLS if c.endswith(("pc1", "pc2"))]
    flip_ok = {c: True for c in coord_cols}
    col_problems = {c: [] for c in NUM_COLS}
    for i, (row, ref) in enumerate(zip(body, ref_tokens)):
        where = f"{path} row {i + 2} ({ref['branch']}#{ref['token_index']})"
        if len(row) != len(CSV_HEADER):
            problems.append(f"{where}: {len(row)} fields, expected {len(CSV_HEADER)}")
            continue
        rec = dict(zip(CSV_HEADER, row))
        if rec["branch"] != ref["branch"]:
            problems.append(f"{where}: branch {rec['branch']!r}, expected {ref['branch']!r}")
        for key in ("token_index", "position"):
            try:
                ok = int(rec[key]) == ref[key]
            except ValueError:
                ok = False
            if not ok:
                problems.append(f"{where}: {key} {rec[key]!r}, expected {ref[key]}")
        text = run.token_text[i]
        if rec["token"] != text:
            problems.append(f"{where}: token {rec['token']!r}, expected {text!r}")
        for c in NUM_COLS:
            try:
                g = _num(rec[c])
            except ValueError as e:
                col_problems[c].append(f"{where}: {c} unreadable ({e})")
                flip_ok.pop(c, None)
                continue
            r = ref[c]
            if (g is None) != (r is None):
                col_problems[c].append(f"{where}: {c} {'empty' if g is None else repr(rec[c])}, "
                                       f"expected {'empty' if r is None else repr(r)}")
                flip_ok.pop(c, None)
                continue
            if g is None:
                continue
            d = abs(g - r)
            dev[c] = max(dev[c], d)
            tol = REL_TOL * scale[c]
            if not d <= tol:
                col_problems[c].append(f"{where}: {c} {g!r}, expected {r!r} "
                                       f"(|diff| {d:.3g} > {tol:.3g})")
            if c in flip_ok and not abs(g + r) <= tol:
                flip_ok.pop(c)
    for c in NUM_COLS:
        if not col_problems[c]:
            continue
        if flip_ok.get(c):
            problems.append(f"{path}: column {c} matches the reference only with the opposite "
                            f"sign on all rows ({len(col_problems[c])} rows off); sign convention: "
                            "the largest-|entry| component of the axis must be positive")
        else:
            problems.extend(col_problems[c])
    return dev


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    run_dir, site_dir = argv
    try:
        run = reference.load_run(run_dir)
        ref = reference.compute(run)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"error: cannot load run {run_dir}: {e}")
        print("0 passed, 0 failed")
        return 2

    global_problems = []
    if not os.path.isdir(site_dir):
        global_problems.append(f"missing site directory {site_dir}")
    rep, err = load_report(site_dir)
    rep_layers = {}
    if err:
        global_problems.append(err)
    else:
        if rep.get("format") != REPORT_FORMAT:
            global_problems.append(f"report.json: format {rep.get('format')!r}, "
                                   f"expected {REPORT_FORMAT!r}")
        layers = rep.get("layers")
        if not isinstance(layers, list):
            global_problems.append("report.json: \"layers\" is not a list")
            layers = []
        for entry in layers:
            if isinstance(entry, dict) and "layer" in entry:
                if entry["layer"] in rep_layers:
                    global_problems.append(f"report.json: layer {entry['layer']!r} listed twice")
                rep_layers[entry["layer"]] = entry
            else:
                global_problems.append("report.json: a layer entry has no \"layer\" key")
        extra = sorted(set(rep_layers) - set(run.layers), key=str)
        if extra:
            global_problems.append(f"report.json: layers not in the run: {extra}")

    for p in global_problems:
        print(f"FAIL {p}")

    passed = failed = 0
    for ref_layer in ref["layers"]:
        L = ref_layer["layer"]
        problems = []
        if rep is None:
            problems.append("no usable report.json")
            rdev = {"r2": 0.0, "ev": 0.0}
        elif L not in rep_layers:
            problems.append(f"report.json has no entry for layer {L}")
            rdev = {"r2": 0.0, "ev": 0.0}
        else:
            rdev = check_report_layer(ref_layer, rep_layers[L], problems)
        cdev = check_csv_layer(run, ref_layer, site_dir, problems)
        status = "ok  " if not problems else "FAIL"
        print(f"{status} layer {L}: max |diff| norm {cdev['norm']:.2e}, "
              f"dist {cdev['dist_to_position_mean']:.2e}, "
              f"raw pc1/pc2 {cdev['raw_pc1']:.2e}/{cdev['raw_pc2']:.2e}, "
              f"position_mean pc1/pc2 {cdev['position_mean_pc1']:.2e}/"
              f"{cdev['position_mean_pc2']:.2e}, r2 {rdev['r2']:.2e}, "
              f"explained {rdev['ev']:.2e}")
        for p in problems[:MAX_PROBLEMS_SHOWN]:
            print(f"     {p}")
        if len(problems) > MAX_PROBLEMS_SHOWN:
            print(f"     ... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems")
        if problems:
            failed += 1
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and not global_problems else 1


if __name__ == "__main__":
    sys.exit(main())
