#!/usr/bin/env python3
"""How long `forkscope diff` takes on a series of model versions, against a diff of one pair.

    python3 Benchmarks/series_bench.py [--preset medium] [--versions 10] [--forkscope .build/release/forkscope]
                                       [--work DIR]

Writes `--versions` synthetic runs of `--preset` (scripts/synth_run.py, one seed, the positional
strength rising from 2.0 by 0.1 per version: the same tokens, topics and noise, position weighing
a little more in each version, like a series of checkpoints), then times, with the command a user
runs and its defaults (every view, all cores, a site written):
  * series: `forkscope diff V1 ... Vn --out DIR` (each compared with the first);
  * pair:   `forkscope diff V1 V2 --out DIR`, the two-run diff;
and prints wall time, CPU time and peak memory of each, and the series against n - 1 pairs (what
diffing every version against the first would cost one pair at a time: each pair analyses both
of its runs, the series each run once). The runs are kept in --work (default a temporary folder)
and reused when present. The machine is shared: read the ratio.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def measured(cmd):
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="medium")
    ap.add_argument("--versions", type=int, default=10)
    ap.add_argument("--forkscope", default=os.path.join(ROOT, ".build/release/forkscope"))
    ap.add_argument("--work")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="series-bench-")
    os.makedirs(work, exist_ok=True)
    runs = []
    for v in range(args.versions):
        run = os.path.join(work, f"v{v + 1:02d}")
        if not os.path.exists(os.path.join(run, "run.json")):
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts/synth_run.py"), run, "--preset", args.preset,
                            "--pos-strength", f"{2.0 + 0.1 * v:.1f}", "--force"], check=True, stdout=subprocess.DEVNULL)
        runs.append(run)
    print(f"{args.versions} versions of the synthetic {args.preset} run in {work}")
    rows = []
    for name, inputs in [("series", runs), ("pair", runs[:2])]:
        site = os.path.join(work, f"site-{name}")
        shutil.rmtree(site, ignore_errors=True)
        wall, cpu, rss = measured([args.forkscope, "diff", *inputs, "--out", site, "--quiet"])
        rows.append((name, len(inputs), wall, cpu, rss))
        print(f"{name:8} {len(inputs):2} runs  wall {wall:8.1f} s  cpu {cpu:8.1f} s  peak {rss:7.0f} MiB", flush=True)
    series, pair = rows[0], rows[1]
    pairs = args.versions - 1
    print(f"{pairs} pairs one at a time would take about {pairs * pair[2]:.0f} s of wall time ({pairs} x the pair);"
          f" the series took {series[2]:.0f} s, {series[2] / (pairs * pair[2]):.2f} of that")
    if not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
