#!/usr/bin/env python3
"""Write small synthetic `forkscope.run/1` fixtures plus their reference results.

Every fixture goes to Tests/Fixtures/runs/<name>/ (run.json,
activations.safetensors) and its reference measures, computed by
reference.py from the stored (rounded) tensors, to
Tests/Fixtures/runs/<name>/expected.json.

    tree-f32          3 layers [0, 2, 4], hidden 8, a 2-root tree with a grandchild, F32
    tree-f16          same tree, tokens and states, stored as F16
    tree-bf16         same, stored as BF16 (round-to-nearest-even, done by hand)
    hidden-gt-tokens  hidden 64 but only 14 tokens, 2 layers, F32 (rank-deficient covariance)

Usage: python3 Tests/Fixtures/make_fixtures.py [--out Tests/Fixtures/runs]
The output is deterministic (np.random.default_rng(7), fixed draw order).
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep Tests/Fixtures free of __pycache__
sys.path.insert(0, HERE)
import reference  # noqa: E402

SEED = 7
MAX_FIXTURE_BYTES = 50 * 1024

HOSTILE = [
    "<script>alert(1)</script>",
    "a&b",
    "\"quoted\" 'single'",
    "]]>",
    "tab\there\u0007bell",
    "\u0000nul",
    "\ufffd broken",
    "\n",
]

# (id, parent, fork_at, tokens) -- positions are derived from the tree
TREE = [
    ("r1", None, None, ["<|start|>", "The", " garden", " a&b", ",", " grows"]),
    ("r1.a", "r1", 6, [" slowly", HOSTILE[0], " in", " spring"]),
    ("r1.b", "r1", 6, [HOSTILE[2], " fast", HOSTILE[3], "."]),
    ("r1.a.x", "r1.a", 2, [HOSTILE[4], HOSTILE[5], " summer"]),
    ("r2", None, None, ["<|start|>", "Music", HOSTILE[1], " is", HOSTILE[7]]),
    ("r2.a", "r2", 3, [HOSTILE[6], " loud", ", quiet,", " notes"]),
]

HIDDEN_GT = [
    ("a", None, None, ["<|start|>", "one", " two", " three"]),
    ("b", None, None, ["<|start|>", "uno", " dos", " tres"]),
    ("a.c", "a", 2, [" deux", " trois", " quatre"]),
    ("b.c", "b", 3, [" drei", " vier", " fünf"]),
]


# --------------------------------------------------------------------------
# encoding helpers


def f32_to_bf16_bits(x):
    """Round float32 values to bfloat16 bits (round to nearest, ties to even)."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    lsb = (bits >> np.uint64(16)) & np.uint64(1)
    rounded = (bits + np.uint64(0x7FFF) + lsb) >> np.uint64(16)
    out = (rounded & np.uint64(0xFFFF)).astype(np.uint16)
    nan = np.isnan(np.asarray(x, dtype=np.float32))
    # keep NaNs NaN (quiet, with the original sign)
    out[nan] = ((bits[nan] >> np.uint64(16)).astype(np.uint16) | np.uint16(0x0040))
    return out


def encode(arr, dtype):
    if dtype == "F32":
        return np.ascontiguousarray(arr, dtype="<f4").tobytes()
    if dtype == "F16":
        return np.ascontiguousarray(arr.astype(np.float32).astype("<f2")).tobytes()
    if dtype == "BF16":
        return f32_to_bf16_bits(arr.astype(np.float32)).astype("<u2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, named, dtype, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    off = 0
    for name, arr in named:
        data = encode(arr, dtype)
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((-len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# --------------------------------------------------------------------------
# tree construction


def build_branches(spec, rng):
    """Turn (id, parent, fork_at, tokens) into run.json branch dicts with positions."""
    by_id = {}
    out = []
    for bid, parent, fork_at, tokens in spec:
        if parent is None:
            start = 0
        else:
            pb = by_id[parent]
            assert 1 <= fork_at <= len(pb["tokens"])
            start = pb["positions"][fork_at - 1] + 1
        positions = list(range(start, start + len(tokens)))
        logprobs = [round(float(-rng.exponential(2.0)), 4) for _ in tokens]
        if parent is None:
            logprobs[0] = None
        b = {"id": bid, "label": ("root " if parent is None else "branch ") + bid,
             "parent": parent, "fork_at": fork_at, "tokens": list(tokens),
             "positions": positions, "logprobs": logprobs}
        by_id[bid] = b
        out.append(b)
    return out


def make_states(branches, n_layers, hidden, rng):
    """Position component + per-token content noise; position 0 of each root x10."""
    freqs = rng.uniform(0.2, 1.5, size=(n_layers, hidden))
    phases = rng.uniform(0.0, 2 * np.pi, size=(n_layers, hidden))
    states = {}
    for b in branches:
        pos = np.array(b["positions"], dtype=np.float64)
        t = np.empty((n_layers, len(pos), hidden))
        for li in range(n_layers):
            posc = 3.0 * np.sin(pos[:, None] * freqs[li][None, :] + phases[li][None, :]) \
                + 0.2 * pos[:, None]
            # content noise grows a little with depth, like a residual stream
            noise = rng.standard_normal((len(pos), hidden)) * (1.0 + 0.5 * li)
            t[li] = posc + noise
            if b["parent"] is None:
                t[li, 0] *= 10.0  # attention-sink-like first token
        states[b["id"]] = t.astype(np.float32)
    return states


def write_fixture(root, name, title, layers, hidden, branches, states, dtype):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    run = {
        "format": "forkscope.run/1",
        "title": title,
        "model": {"name": "forkscope-synthetic", "version": "1",
                  "positional_encoding": "sinusoidal"},
        "layers": list(layers),
        "hidden_size": hidden,
        "tensors": "activations.safetensors",
        "branches": branches,
    }
    with open(os.path.join(d, "run.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(run, indent=1, ensure_ascii=False) + "\n")
    write_safetensors(os.path.join(d, "activations.safetensors"),
                      [(b["id"], states[b["id"]]) for b in branches], dtype,
                      {"generator": "Tests/Fixtures/make_fixtures.py", "seed": str(SEED)})
    # reference from what was actually stored (after rounding)
    result = reference.compute(reference.load_run(d))
    with open(os.path.join(d, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(reference.dumps(result))
    size = sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
    print(f"{name}: {dtype}, {len(branches)} branches, "
          f"{sum(len(b['tokens']) for b in branches)} tokens, layers {list(layers)}, "
          f"hidden {hidden}, {size} bytes")
    if size >= MAX_FIXTURE_BYTES:
        raise SystemExit(f"fixture {name} is {size} bytes (limit {MAX_FIXTURE_BYTES})")


def main(argv=None):
    ap = argparse.ArgumentParser(description="write synthetic Forkscope fixtures")
    ap.add_argument("--out", default=os.path.join(HERE, "runs"))
    args = ap.parse_args(argv)

    rng = np.random.default_rng(SEED)

    tree_layers = [0, 2, 4]
    tree = build_branches(TREE, rng)
    tree_states = make_states(tree, len(tree_layers), 8, rng)
    for dtype in ("F32", "F16", "BF16"):
        write_fixture(args.out, "tree-" + dtype.lower(),
                      f"Synthetic tree fixture ({dtype}): 2 roots, 3 children, 1 grandchild, "
                      "hostile token texts",
                      tree_layers, 8, tree, tree_states, dtype)

    hg_layers = [0, 1]
    hg = build_branches(HIDDEN_GT, rng)
    hg_states = make_states(hg, len(hg_layers), 64, rng)
    write_fixture(args.out, "hidden-gt-tokens",
                  "Synthetic fixture: hidden size 64 > 14 tokens (rank-deficient covariance)",
                  hg_layers, 64, hg, hg_states, "F32")
    return 0


if __name__ == "__main__":
    sys.exit(main())
