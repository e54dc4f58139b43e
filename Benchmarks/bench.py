#!/usr/bin/env python3
"""Forkscope against the NumPy / scikit-learn / umap-learn reference pipeline, stage by stage,
on the synthetic presets, with each stage's floor on this machine.

    python3 Benchmarks/bench.py [--presets medium,large] [--skip-reference] [--skip-default]
                                [--forkscope .build/release/forkscope] [--runs out/bench]

For each preset: makes the run RUNS/<preset> with scripts/synth_run.py when it is missing or is not
the preset (e.g. an older F32 copy), reads its tensor file once (so both programs start from the
page cache), runs `forkscope build RUN --views raw,position_mean --timings ...` and then, in a fresh
process, Benchmarks/reference_pipeline.py, then (unless --skip-default) the default build
`forkscope build RUN` (every default view), each under GNU time (/usr/bin/time) for its
process-level wall time, CPU time and peak RSS. Prints Markdown: the floors measured at the start (memory read bandwidth,
float32 GEMM rate), then per run the stage table, the read stage per layer against its bandwidth
floor, and the agreement of the two programs' measures. Everything lands in RUNS/ too:
<preset>-site/ (Forkscope's site), <preset>-timings.json, <preset>-reference.json,
<preset>-bench.json and <preset>-bench.md (the printed tables).

When `forkscope build --help` does not list --timings, Forkscope's rows other than the total are
left empty (process-level figures only). The README says what every column means.
Never a test: timings on a shared machine.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STAGES = ("read", "debias", "pca", "umap", "measures", "clusters")     # per layer: summed over worker threads
WHOLE_RUN = ("render", "write")
# what scripts/synth_run.py --preset writes: tokens, layers, hidden size, dtype
PRESETS = {"small": (512, 5, 256, "F16"), "medium": (4096, 13, 1024, "F16"), "large": (16384, 13, 2048, "F16")}
DETERMINISTIC = ("variance_kept", "position_r2", "position_r2_heldout", "position_r2_chance", "position_probe",
                 "root_knn_purity", "root_knn_chance", "branch_knn_purity", "branch_knn_chance",
                 "pca_explained_variance", "trustworthiness", "silhouette_root")
COUNTS = ("tokens", "fit_tokens")
QUERY_LIMIT = 4096
CLUSTER_SAMPLE = 2048   # HDBSCAN.sampleLimit
MiB = 2 ** 20


# --------------------------------------------------------------------------
# floors


def median_time(f, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def read_bandwidths(repeats):
    """(one core, both cores) bytes/s reading 1 GiB of float32."""
    a = np.ones(2 ** 28, dtype=np.float32)
    one_core = a.nbytes / median_time(a.sum, repeats)

    def two_threads():
        half = len(a) // 2
        workers = [threading.Thread(target=a[s:s + half].sum) for s in (0, half)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    rows, ones = a.reshape(-1, 1024), np.ones(1024, dtype=np.float32)
    both = max(a.nbytes / median_time(two_threads, repeats), a.nbytes / median_time(lambda: rows @ ones, repeats))
    return one_core, both


def gemm_rate(dtype, repeats, N=4096):
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((N, N)).astype(dtype), rng.standard_normal((N, N)).astype(dtype)
    A @ B
    return 2.0 * N ** 3 / median_time(lambda: A @ B, repeats)


def measure_floors(repeats=5):
    """Read bandwidth (bytes/s: one core, and the best of every way NumPy reads with both cores)
    and the float32 (and float64, for information) GEMM rate in flop/s."""
    one_core, both = read_bandwidths(repeats)
    return {"read_bandwidth_one_core": one_core, "read_bandwidth": max(one_core, both),
            "sgemm_flops": gemm_rate(np.float32, repeats), "dgemm_flops": gemm_rate(np.float64, 3)}


def stage_floors(shape, views_dims, fl):
    """Seconds each stage cannot beat on this machine. shape = (tokens, layers, d, tensor bytes);
    views_dims = [(layer, view, covered, fit, has a UMAP layout)]."""
    n_tok, n_layers, d, tensor_bytes = shape
    bw, gemm = fl["read_bandwidth"], fl["sgemm_flops"]
    out = {s: 0.0 for s in STAGES}
    out["read"] = (tensor_bytes + 4.0 * n_tok * d * n_layers) / bw
    out["debias"] = 4.0 * n_tok * d * n_layers / bw         # norms and means: X read once
    for _, view, covered, n, laid_out in views_dims:
        if view != "raw":
            out["debias"] += 8.0 * covered * d / bw         # the view: X read, Y written
        m = min(n, QUERY_LIMIT)
        out["pca"] += n * d * d / gemm                      # covariance (symmetric: n d^2 flops)
        if laid_out:
            out["umap"] += n * n * d / gemm                 # exact kNN Gram (symmetric: n^2 d flops)
        pairs = n * n * d if m == n else 2.0 * m * n * d    # queries x fit rows Gram
        out["measures"] += (pairs + n * d * d) / gemm        # + the probe's normal equations
        s = min(n, CLUSTER_SAMPLE)
        out["clusters"] += (s * s * d + (n - s) * s * d) / gemm  # HDBSCAN's sample Gram + the rest's nearest sampled row
    return out


# --------------------------------------------------------------------------
# runs


def tensor_info(run_dir):
    with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as f:
        meta = json.load(f)
    path = os.path.join(run_dir, meta.get("tensors", "activations.safetensors"))
    with open(path, "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    header.pop("__metadata__", None)
    tokens = sum(len(b["tokens"]) for b in meta["branches"])
    nbytes = sum(v["data_offsets"][1] - v["data_offsets"][0] for v in header.values())
    return meta, path, tokens, {v["dtype"] for v in header.values()}, nbytes


def ensure_run(run_dir, preset):
    want = PRESETS[preset]
    if os.path.exists(os.path.join(run_dir, "run.json")):
        meta, _, tokens, dtypes, _ = tensor_info(run_dir)
        have = (tokens, len(meta["layers"]), meta["hidden_size"], "/".join(sorted(dtypes)))
        if have == want and (meta.get("variants") or {}).get("zero_pe"):
            return
        if (meta.get("synthetic") or {}).get("generator") != "scripts/synth_run.py":
            sys.exit(f"{run_dir} holds a run that is not the {preset} preset and was not written by "
                     f"scripts/synth_run.py; move it away or choose --runs")
        print(f"({run_dir} is {have}, not the {preset} preset {want} with its zero_pe variant: writing it again)",
              file=sys.stderr)
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "synth_run.py"), run_dir, "--preset", preset,
                    "--zero-pe", "--force"], check=True)


def warm_cache(path):
    with open(path, "rb", buffering=0) as f:
        while f.read(64 * MiB):
            pass


def run_measured(cmd, log_path):
    """Runs cmd under GNU time: its wall time, CPU time (user + system, every thread) and peak RSS.
    (GNU time forks cmd from a small process: a child's peak RSS counts its parent's at fork time,
    which this script's would inflate.)"""
    usage_path = log_path + ".time"
    with open(log_path, "w") as log:
        p = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", usage_path] + cmd, stdout=log,
                           stderr=subprocess.STDOUT)
    if p.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-3000:]
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{tail}")
    with open(usage_path) as f:
        wall, user, system, rss_kib = f.read().split()[-4:]
    os.remove(usage_path)
    return {"wall_seconds": float(wall), "cpu_seconds": float(user) + float(system),
            "peak_rss_bytes": int(rss_kib) * 1024}


def supports_timings(forkscope):
    p = subprocess.run([forkscope, "build", "--help"], capture_output=True, text=True)
    return "--timings" in p.stdout + p.stderr


# --------------------------------------------------------------------------
# the tables


def fmt_s(x):
    if x is None:
        return "—"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}" if x >= 0.1 else f"{x:.3g}"


def fmt_ratio(a, b):
    if a is None or b is None or b <= 0:
        return "—"
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def fmt_mib(x):
    return "—" if x is None else f"{x / MiB:,.0f}"


def stage_table(f_proc, f_timings, r_proc, r_json, floors):
    threads = f_timings["threads"] if f_timings else None
    f_stage = {s["name"]: s for s in f_timings["stages"]} if f_timings else {}
    r_stage = {s["name"]: s for s in r_json["stages"]} if r_json else {}
    if r_json:
        r_stage["setup"] = r_json["setup"]
    head = ["stage", "Forkscope wall s", "CPU s", "peak RSS MiB", "reference wall s", "CPU s", "peak RSS MiB",
            "reference/Forkscope", "floor s", "Forkscope/floor"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = []
    for name in STAGES + WHOLE_RUN + ("setup",):
        f, r = f_stage.get(name), r_stage.get(name)
        if f is None and r is None and name not in STAGES:
            continue
        fw = None if f is None else f["wall_seconds"] / (threads if name in STAGES else 1)
        fl = floors.get(name)
        rows.append((name, fw, f and f["cpu_seconds"], f and f["peak_rss_bytes"], r and r["wall_seconds"],
                     r and r["cpu_seconds"], r and r["peak_rss_bytes"], fl))
    total_floor = sum(floors.values())
    rows.append(("**total** (process)", f_proc["wall_seconds"], f_proc["cpu_seconds"], f_proc["peak_rss_bytes"],
                 r_proc and r_proc["wall_seconds"], r_proc and r_proc["cpu_seconds"],
                 r_proc and r_proc["peak_rss_bytes"], total_floor))
    for name, fw, fc, fm, rw, rc, rm, fl in rows:
        lines.append(f"| {name} | {fmt_s(fw)} | {fmt_s(fc)} | {fmt_mib(fm)} | {fmt_s(rw)} | {fmt_s(rc)} | "
                     f"{fmt_mib(rm)} | {fmt_ratio(rw, fw)} | {fmt_s(fl)} | {fmt_ratio(fw, fl)} |")
    return lines


def read_table(shape, f_timings, r_json, fl):
    n_tok, n_layers, d, tensor_bytes = shape
    layer_in, layer_out = tensor_bytes / n_layers, 4.0 * n_tok * d
    one = fl["read_bandwidth_one_core"]
    floor = (layer_in + layer_out) / one
    floor64 = (layer_in + 2 * layer_out) / one
    f_stage = next((s for s in f_timings["stages"] if s["name"] == "read"), None) if f_timings else None
    f_layer = f_stage["wall_seconds"] / n_layers if f_stage else None
    # Each worker's first layer also faults in the matrix it then reuses for every later layer
    # (a cost per build, not per layer): the median call is the steady per-layer cost.
    calls = (f_stage or {}).get("call_wall_seconds") or []
    f_median = statistics.median(calls) if calls else None
    r_layer = None
    if r_json:
        per = [L["stages"]["read"]["wall_seconds"] for L in r_json["layers"]]
        r_layer = sum(per) / len(per)
    head = ["per layer", "bytes in + float32 out", "floor s (one core)", "Forkscope mean s", "median s",
            "median/floor", "reference s", "reference/floor", "target"]
    judged = f_median if f_median is not None else f_layer
    verdict = "—" if judged is None else ("met (≤ 3×)" if judged <= 3 * floor else "NOT met (> 3×)")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
             f"| read + convert | {layer_in / MiB:,.1f} + {layer_out / MiB:,.1f} MiB | {fmt_s(floor)} | "
             f"{fmt_s(f_layer)} | {fmt_s(f_median)} | {fmt_ratio(judged, floor)} | {fmt_s(r_layer)} | "
             f"{fmt_ratio(r_layer, floor)} | {verdict} |"]
    if f_layer is not None:
        lines.append("")
        lines.append(f"(Mean: the read stage's wall time over layers, including each worker's first touch of the "
                     f"matrix it reuses; median: the per-layer calls. Forkscope holds states as float64: with "
                     f"8-byte writes its own floor is {fmt_s(floor64)} s a layer, the median {fmt_ratio(judged, floor64)} "
                     f"of it.)")
    return lines


def flat(v):
    return v if isinstance(v, list) else [v]


def agreement(report, r_json):
    """Markdown lines comparing Forkscope's report.json measures with the reference's."""
    f_layers = {L["layer"]: L["views"] for L in report["layers"]}
    per_measure, rows, umap_pairs, problems = {}, [], {}, []
    for L in r_json["layers"]:
        for view, r in L["views"].items():
            f = f_layers.get(L["layer"], {}).get(view)
            if f is None:
                problems.append(f"layer {L['layer']} {view}: not in report.json")
                continue
            for key in COUNTS:
                if f.get(key) != r[key]:
                    problems.append(f"layer {L['layer']} {view} {key}: Forkscope {f.get(key)}, reference {r[key]}")
            worst, worst_key = 0.0, "—"
            for key in DETERMINISTIC:
                a, b = f.get(key), r[key]
                if (a is None) != (b is None):
                    problems.append(f"layer {L['layer']} {view} {key}: Forkscope {a}, reference {b}")
                    continue
                if a is None:
                    continue
                diff = max(abs(x - y) for x, y in zip(flat(a), flat(b)))
                if diff >= per_measure.get(key, (-1.0,))[0]:
                    per_measure[key] = (diff, L["layer"], view)
                if diff >= worst:
                    worst, worst_key = diff, key
            fu, ru = f.get("umap_trustworthiness"), r.get("umap_trustworthiness")
            if fu is not None and ru is not None:
                umap_pairs.setdefault(view, []).append((fu, ru))
            rows.append(f"| {L['layer']} | {view} | {worst:.1e} | {worst_key} | "
                        f"{'—' if fu is None else f'{fu:.4f}'} | {'—' if ru is None else f'{ru:.4f}'} |")
    lines = ["| measure | max \\|Forkscope − reference\\| | at |", "|---|---|---|"]
    for key in DETERMINISTIC:
        if key in per_measure:
            d, L, v = per_measure[key]
            lines.append(f"| {key} | {d:.1e} | layer {L}, {v} |")
    lines += ["", "| layer | view | max \\|Forkscope − reference\\| | measure | umap_trustworthiness Forkscope | "
              "umap-learn |", "|---|---|---|---|---|---|"] + rows
    for view, pairs in umap_pairs.items():
        lines.append("")
        lines.append(f"umap_trustworthiness, mean over layers, {view}: Forkscope {statistics.mean(p[0] for p in pairs):.4f}, "
                     f"umap-learn {statistics.mean(p[1] for p in pairs):.4f} (two UMAP implementations: compared by "
                     f"quality, not equality)")
    if problems:
        lines.append("")
        lines += [f"- mismatch: {p}" for p in problems[:20]]
    else:
        lines += ["", "Token counts (tokens, fit_tokens) and nulls agree everywhere."]
    return lines


# --------------------------------------------------------------------------


def forkscope_build(args, run_dir, base, has_timings, extra=()):
    """`forkscope build RUN` (with `extra` options) under GNU time, into <base>-site: the load
    average before it, its process figures, its timings (None without --timings) and report.json."""
    site, timings_path = base + "-site", base + "-timings.json"
    if os.path.exists(timings_path):
        os.remove(timings_path)
    load = os.getloadavg()[0]
    cmd = [args.forkscope, "build", run_dir, "--out", site, *extra, "--force", "--quiet"]
    if has_timings:
        cmd += ["--timings", timings_path]
    proc = run_measured(cmd, base + "-forkscope.log")
    timings = None
    if has_timings:
        with open(timings_path) as f:
            timings = json.load(f)
    with open(os.path.join(site, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    return load, proc, timings, report


def view_dims(report):
    """(layer, view, covered tokens, fit tokens, whether it has a UMAP layout) of every view and layer."""
    return [(L["layer"], v, m["tokens"], m["fit_tokens"], m.get("umap_initialisation") is not None)
            for L in report["layers"] for v, m in L["views"].items()]


def default_build(args, run_dir, base, has_timings, shape, fl):
    """`forkscope build RUN` with every default: its process figures, timings and floors."""
    load, proc, timings, report = forkscope_build(args, run_dir, base + "-default", has_timings)
    return {"views": report["settings"]["views"], "process": proc, "timings": timings,
            "floors": stage_floors(shape, view_dims(report), fl), "load": load}


def bench_preset(preset, args, fl, has_timings):
    run_dir = os.path.join(args.runs, preset)
    ensure_run(run_dir, preset)
    meta, tensor_path, n_tok, dtypes, tensor_bytes = tensor_info(run_dir)
    shape = (n_tok, len(meta["layers"]), meta["hidden_size"], tensor_bytes)
    base = os.path.join(args.runs, preset)
    ref_path = base + "-reference.json"
    if os.path.exists(ref_path):
        os.remove(ref_path)

    print(f"{preset}: Forkscope...", file=sys.stderr, flush=True)
    warm_cache(tensor_path)
    load_f, f_proc, f_timings, report = forkscope_build(args, run_dir, base, has_timings, ("--views", "raw,position_mean"))

    r_proc = r_json = None
    load_r = None
    if not args.skip_reference:
        print(f"{preset}: reference (NumPy, scikit-learn, umap-learn)...", file=sys.stderr, flush=True)
        warm_cache(tensor_path)
        load_r = os.getloadavg()[0]
        r_proc = run_measured([sys.executable, os.path.join(HERE, "reference_pipeline.py"), run_dir, "--json",
                               ref_path, "--verbose"], base + "-reference.log")
        with open(ref_path) as f:
            r_json = json.load(f)

    defaults = None
    if not args.skip_default:
        print(f"{preset}: Forkscope, default build...", file=sys.stderr, flush=True)
        warm_cache(tensor_path)
        defaults = default_build(args, run_dir, base, has_timings, shape, fl)

    floors = stage_floors(shape, view_dims(report), fl)
    size = os.path.getsize(tensor_path)
    lines = [f"### {preset}: {n_tok:,} tokens × {shape[1]} layers × {shape[2]:,}, {'/'.join(sorted(dtypes))}, "
             f"{size / 1e6:,.0f} MB", ""]
    lines.append(f"Forkscope: {f_timings['threads'] if f_timings else '?'} threads, "
                 + ("stage timings from --timings" if f_timings else "process-level figures only (this forkscope has no --timings)")
                 + f"; load average before it {load_f:.2f}.")
    if r_json:
        blas = ", ".join(f"{t['api']} {t['threads']}" for t in (r_json.get("threads") or []))
        lines.append(f"Reference: numpy {r_json['versions']['numpy']}, scikit-learn {r_json['versions']['sklearn']}, "
                     f"umap-learn {r_json['versions']['umap-learn']} (thread pools: {blas}); load average before it "
                     f"{load_r:.2f}.")
    lines.append("")
    lines += stage_table(f_proc, f_timings, r_proc, r_json, floors)
    lines += ["", "Stage rows: Forkscope's wall = its timings' wall summed over the worker threads ÷ threads for the "
              "per-layer stages (read … measures), as is for render and write; the reference's wall is elapsed, "
              "its setup row = imports and the run's header. Total: each process as a whole (GNU time). "
              "Peak RSS: the process's high-water mark at the end of the stage. Floors: Benchmarks/README.md; umap's "
              "is the Gram matrix of an exact kNN, not a lower bound above 4,096 points (NN-descent compares fewer "
              "pairs) and blind to the SGD epochs.", ""]
    lines += read_table(shape, f_timings, r_json, fl)
    if r_json:
        lines += ["", "Measures, Forkscope against the reference (float32, scikit-learn; exact float64 PCA and "
                  "tie-stable neighbours in Forkscope):", ""]
        lines += agreement(report, r_json)
    if defaults:
        lines += ["", f"#### The default build (`forkscope build RUN --out DIR`: every default view, UMAP, clusters)", "",
                  f"Views: {', '.join(defaults['views'])}; load average before it {defaults['load']:.2f}. The reference "
                  f"does raw and position_mean only (no counterpart for the other views yet): the two-view build above "
                  f"is the one compared with it.", ""]
        lines += stage_table(defaults["process"], defaults["timings"], None, None, defaults["floors"])
    text = "\n".join(lines) + "\n"
    with open(base + "-bench.md", "w") as f:
        f.write(text)
    with open(base + "-bench.json", "w") as f:
        json.dump({"preset": preset, "shape": dict(tokens=n_tok, layers=shape[1], hidden=shape[2],
                                                   tensor_bytes=tensor_bytes, dtypes=sorted(dtypes)),
                   "floors_machine": fl, "floors_seconds": floors, "forkscope_process": f_proc,
                   "forkscope_timings": f_timings, "reference_process": r_proc,
                   "reference_stages": r_json and r_json["stages"], "reference_setup": r_json and r_json["setup"],
                   "load_average": {"forkscope": load_f, "reference": load_r},
                   "default_build": defaults and {k: defaults[k] for k in ("views", "process", "timings", "floors", "load")}},
                  f, indent=1)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--presets", default="medium,large")
    ap.add_argument("--skip-reference", action="store_true", help="Forkscope and the floors only")
    ap.add_argument("--skip-default", action="store_true", help="without the default build (all default views)")
    ap.add_argument("--forkscope", default=os.path.join(ROOT, ".build", "release", "forkscope"))
    ap.add_argument("--runs", default=os.path.join(ROOT, "out", "bench"), help="where the runs and results go")
    ap.add_argument("--floors-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floors_only:
        print(json.dumps(measure_floors()))
        return
    presets = [p for p in args.presets.split(",") if p]
    unknown = [p for p in presets if p not in PRESETS]
    if unknown:
        ap.error(f"unknown preset(s) {unknown}; known: {', '.join(PRESETS)}")
    if not os.access(args.forkscope, os.X_OK):
        ap.error(f"{args.forkscope} is not executable (make build, or --forkscope)")
    if not args.skip_reference:
        import importlib.util
        missing = [m for m in ("sklearn", "umap") if importlib.util.find_spec(m) is None]
        if missing:
            ap.error(f"the reference needs scikit-learn and umap-learn (missing: {', '.join(missing)}): "
                     f"pip install scikit-learn umap-learn, or --skip-reference")
    os.makedirs(args.runs, exist_ok=True)
    has_timings = supports_timings(args.forkscope)

    print("measuring the floors...", file=sys.stderr, flush=True)
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--floors-only"], capture_output=True, text=True,
                       check=True)   # its own process: this one stays small (see run_measured)
    fl = json.loads(p.stdout)
    print("## Forkscope against the NumPy / scikit-learn / umap-learn reference\n")
    print(f"Floors measured now: read bandwidth {fl['read_bandwidth'] / 1e9:.1f} GB/s (both cores; one core "
          f"{fl['read_bandwidth_one_core'] / 1e9:.1f} GB/s), float32 GEMM {fl['sgemm_flops'] / 1e9:.0f} GFLOP/s "
          f"(4096², both cores; float64 {fl['dgemm_flops'] / 1e9:.0f}). {os.cpu_count()} CPUs.\n", flush=True)
    for preset in presets:
        print(bench_preset(preset, args, fl, has_timings), flush=True)


if __name__ == "__main__":
    main()
