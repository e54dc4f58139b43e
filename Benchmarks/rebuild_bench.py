#!/usr/bin/env python3
"""How long a rebuild takes with the analysis cache, against a build without it.

    python3 Benchmarks/rebuild_bench.py RUN [RUN ...] [--forkscope .build/release/forkscope] [--repeat 5]

For each run, with the command a user runs and its defaults (`forkscope build RUN --out DIR`,
every view, PCA and UMAP, all cores), in a fresh cache folder:
  * full: a build with `--no-cache` (what every build cost before the cache), once;
  * cold: the first build with the cache (analyses everything, stores it), once;
  * no change: the same build again, --repeat times: only hashing the run, reading the cache and
    checking the folder;
  * commentary edit: a line appended to the middle layer's commentary, then the build, --repeat
    times: one page rendered and written;
  * template edit: the footer template changed (every page re-rendered, nothing analysed), twice.
Each row gives the median wall time (seconds, the process as a whole) and, for the warm builds,
the ratio to the full build. Also checks that the cached site is byte-identical to the uncached
one after the edits. The machine is shared: read medians and ratios.
"""
import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def timed(cmd):
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def same_tree(a, b):
    """Whether two folders hold the same files with the same bytes."""
    def files(root):
        out = set()
        for folder, _, names in os.walk(root):
            out |= {os.path.relpath(os.path.join(folder, n), root) for n in names}
        return out
    fa, fb = files(a), files(b)
    return fa == fb and all(filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False) for f in fa)


def bench(binary, run, repeat, tmp):
    name = os.path.basename(os.path.normpath(run))
    content, templates = os.path.join(tmp, name + "-content"), os.path.join(tmp, name + "-templates")
    os.makedirs(os.path.join(content, "layers"))
    os.makedirs(templates)
    cache, site, plain = (os.path.join(tmp, name + s) for s in ("-cache", "-site", "-plain"))
    base = [binary, "build", run, "--content", content, "--templates", templates, "--quiet"]
    rows = []
    full, _ = timed(base + ["--out", plain, "--no-cache"])
    rows.append(("full build, --no-cache", [full]))
    cold, _ = timed(base + ["--out", site, "--cache", cache])
    rows.append(("cold cache", [cold]))
    warm = [timed(base + ["--out", site, "--cache", cache])[0] for _ in range(repeat)]
    rows.append(("no change", warm))
    pages = sorted(int(f[:-5]) for f in os.listdir(os.path.join(site, "layers")) if f[:-5].isdigit() and f.endswith(".html"))
    layer = pages[len(pages) // 2]
    edits = []
    for i in range(repeat):
        with open(os.path.join(content, "layers", f"{layer}.md"), "a") as f:
            f.write(f"An edit, number {i}.\n\n")
        edits.append(timed(base + ["--out", site, "--cache", cache])[0])
    rows.append((f"commentary edit (layers/{layer}.md)", edits))
    footer = open(os.path.join(ROOT, "Templates", "footer.mustache")).read()
    template = []
    for i in range(2):
        with open(os.path.join(templates, "footer.mustache"), "w") as f:
            f.write(footer + f"<!-- edit {i} -->\n")
        template.append(timed(base + ["--out", site, "--cache", cache])[0])
    rows.append(("template edit (footer)", template))
    timed(base + ["--out", plain, "--no-cache"])
    identical = same_tree(site, plain)
    return name, full, rows, identical


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--forkscope", default=os.path.join(ROOT, ".build/release/forkscope"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="forkscope-rebuild-bench-")
    try:
        results = [bench(os.path.abspath(args.forkscope), run, args.repeat, tmp) for run in args.runs]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for name, full, rows, identical in results:
        print(f"\n{name}  (median wall seconds of the whole command; ratio to the full build)")
        print(f"  {'build':<40} {'median':>8} {'runs':>5} {'vs full':>8}")
        for label, times in rows:
            median = statistics.median(times)
            print(f"  {label:<40} {median:>8.2f} {len(times):>5} {median / full:>8.3f}")
        print(f"  cached site byte-identical to the uncached build: {'yes' if identical else 'NO'}")
    sys.exit(0 if all(r[3] for r in results) else 1)


if __name__ == "__main__":
    main()
