#!/usr/bin/env python3
"""What reading a run's states from a NumPy .npz archive costs, beside safetensors and NumPy.

    python3 Benchmarks/npz_bench.py [--run out/bench/medium] [--forkscope .build/release/forkscope] [--repeats 3]

The run (default: the synthetic medium preset, made with scripts/synth_run.py when missing) is
rewritten as numpy.savez (stored) and numpy.savez_compressed (deflated) archives beside it. For each
container, `forkscope build RUN --views raw --projections pca --timings T` runs REPEATS times and
the table gives medians of: the `open` stage (run.json and headers; for a compressed archive also
its inflation into a scratch file), the median `read` of a layer (all tokens, converted to
float64), the whole build's wall time and peak RSS. The reference is NumPy: np.load of the archive
with every array materialised (what a Python user would do), and the bandwidth floor of the
tensor bytes at 25 GB/s (the machine's measured memory read speed).
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FLOOR_BYTES_PER_SECOND = 25e9


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    kinds = {"F16": "<f2", "F32": "<f4"}
    return {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=kinds[v["dtype"]]).reshape(v["shape"])
            for k, v in header.items() if k != "__metadata__"}


def npz_copy(run, out, compressed, arrays):
    os.makedirs(out, exist_ok=True)
    manifest = json.load(open(os.path.join(run, "run.json")))
    manifest["tensors"] = "activations.npz"
    manifest.pop("variants", None)
    json.dump(manifest, open(os.path.join(out, "run.json"), "w"))
    target = os.path.join(out, "activations.npz")
    if not os.path.exists(target):
        (np.savez_compressed if compressed else np.savez)(target, **arrays)
    return out


def build(forkscope, run, repeats):
    figures = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            timings = os.path.join(tmp, "t.json")
            start = time.perf_counter()
            subprocess.run([forkscope, "build", run, "--out", os.path.join(tmp, "site"), "--views", "raw",
                            "--projections", "pca", "--timings", timings, "--quiet"], check=True)
            wall = time.perf_counter() - start
            t = json.load(open(timings))
        stages = {s["name"]: s for s in t["stages"]}
        figures.append((stages["open"]["wall_seconds"], statistics.median(stages["read"]["call_wall_seconds"]),
                        wall, t["peak_rss_bytes"]))
    return [statistics.median(column) for column in zip(*figures)]


def numpy_load(path, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with np.load(path) as z:
            total = sum(z[k].nbytes for k in z.files)
        times.append(time.perf_counter() - start)
    return statistics.median(times), total


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", default=os.path.join(ROOT, "out/bench/medium"))
    p.add_argument("--forkscope", default=os.path.join(ROOT, ".build/release/forkscope"))
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    if not os.path.exists(os.path.join(args.run, "run.json")):
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts/synth_run.py"), args.run, "--preset", "medium"], check=True)
    arrays = read_safetensors(os.path.join(args.run, json.load(open(os.path.join(args.run, "run.json")))["tensors"]))
    tensor_bytes = sum(a.nbytes for a in arrays.values())
    layers = next(iter(arrays.values())).shape[0]
    runs = {
        "safetensors": args.run,
        "npz stored": npz_copy(args.run, args.run + "-npz-stored", False, arrays),
        "npz deflated": npz_copy(args.run, args.run + "-npz-deflated", True, arrays),
    }
    print("run %s: %d branches, %d layers, %.1f MB of states; floor of one pass over them %.1f ms"
          % (args.run, len(arrays), layers, tensor_bytes / 1e6, 1e3 * tensor_bytes / FLOOR_BYTES_PER_SECOND))
    print("medians of %d builds (--views raw --projections pca)\n" % args.repeats)
    print("| container | file MB | forkscope open s | forkscope read/layer ms | build wall s | peak RSS MiB | NumPy np.load, all arrays s |")
    print("|---|---|---|---|---|---|---|")
    for name, run in runs.items():
        path = os.path.join(run, json.load(open(os.path.join(run, "run.json")))["tensors"])
        open_s, read_s, wall, rss = build(args.forkscope, run, args.repeats)
        reference = "%.3f" % numpy_load(path, args.repeats)[0] if path.endswith(".npz") else "-"
        print("| %s | %.1f | %.3f | %.2f | %.2f | %.0f | %s |"
              % (name, os.path.getsize(path) / 1e6, open_s, 1e3 * read_s, wall, rss / 2 ** 20, reference))


if __name__ == "__main__":
    main()
