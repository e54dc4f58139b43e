#!/usr/bin/env python3
"""Write a synthetic `forkscope.run/1` folder with a known, planted structure.

The tree: R roots (one topic each), each a prompt of --prompt-len tokens at positions
0 .. Lp-1, with S sampled children of --cont-len tokens forking after the whole prompt
(fork_at = Lp, positions Lp .. Lp+Lc-1); with --grandchildren G, the first sample of each of
the first G roots gets a grandchild forking after its token Lc//2 (so it fills the positions
Lp+Lc//2 .. Lp+Lc-1 again).  Every branch carries `group`: "topic<r>".

The state of a token at position p of root r, layer l (hidden size d, all draws from the seed):

    x = pos_l(p) + topic_l(r) + noise
    pos_l(p)   = pos_strength * sqrt(d) * sum_j c_lj(p) e_lj / rms_l     (j = 1..4)
                 c_lj(p) = sin(2 pi f_lj p / P + phi_lj) + a_lj (p / P - 1/2)
                 e_lj orthonormal random directions, f_lj in [0.3, 2.5] cycles over the run,
                 a_lj in [-1, 1] (drift), P = 1 + the largest position; rms_l makes the mean
                 of ||pos_l(p)||^2 over p = 0..P-1 equal to (pos_strength * sqrt(d))^2.
                 Shared by every token at the same position.
    topic_l(r) = topic_strength * sqrt(d) * t_lr, t_lr a random unit vector per root and layer
    noise      ~ N(0, I_d), independent per token and layer (||noise|| ~ sqrt(d))

except position 0 of each root (unless --no-sink): an attention-sink-like token
    x = 100 * sqrt(d (1 + pos_strength^2 + topic_strength^2)) * s + noise,
s a unit vector with weights 0.8, 0.5, 0.3 on three fixed dimensions (the same at every
layer), so its norm is ~100x the median and its top dimensions are those three.

The zero_pe variant (--zero-pe) is the same states without pos_l(p): same topics, same noise,
same sink.  The seed's draws are independent of the dtype and of --zero-pe.

Tensors are written branch by branch and layer by layer (header computed up front), so memory
stays at a few layer-by-branch blocks whatever the run's size.

Presets (explicit options override them, e.g. --dtype F32):
    small   4 roots x (32 + 6 x 16)  =   512 tokens,  5 layers, hidden  256, F16 (1.3 MB)
    medium  8 roots x (32 + 15 x 32) =  4096 tokens, 13 layers, hidden 1024, F16 (109 MB)
    large  16 roots x (64 + 15 x 64) = 16384 tokens, 13 layers, hidden 2048, F16 (872 MB)
Without a preset the dtype is F32.

Usage:
    python3 scripts/synth_run.py OUT_DIR [--preset small|medium|large] [--roots R]
        [--samples S] [--prompt-len Lp] [--cont-len Lc] [--grandchildren G] [--layers N]
        [--hidden d] [--dtype F32|F16|BF16] [--seed N] [--pos-strength A]
        [--topic-strength B] [--no-sink] [--zero-pe] [--force]
"""

import argparse
import json
import math
import os
import shutil
import struct
import sys

# one BLAS thread: reproducible sums, and no spinning threads on a busy machine
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

FORMAT = "forkscope.run/1"
N_POS_DIRS = 4
SINK_FACTOR = 100.0
SINK_WEIGHTS = (0.8, 0.5, 0.3)

PRESETS = {
    "small": dict(roots=4, samples=6, prompt_len=32, cont_len=16, layers=5, hidden=256, dtype="F16"),
    "medium": dict(roots=8, samples=15, prompt_len=32, cont_len=32, layers=13, hidden=1024,
                   dtype="F16"),
    "large": dict(roots=16, samples=15, prompt_len=64, cont_len=64, layers=13, hidden=2048,
                  dtype="F16"),
}
DEFAULTS = dict(roots=4, samples=3, prompt_len=6, cont_len=10, layers=3, hidden=48,
                grandchildren=0, dtype="F32", seed=0, pos_strength=3.0, topic_strength=1.0)

WIDTH = {"F32": 4, "F16": 2, "BF16": 2}


# --------------------------------------------------------------------------
# encoding


def bf16_bits(x32):
    """float32 array -> bfloat16 bit patterns (round to nearest, ties to even)."""
    u = x32.view(np.uint32)
    bias = ((u >> np.uint32(16)) & np.uint32(1)) + np.uint32(0x7FFF)
    return ((u + bias) >> np.uint32(16)).astype("<u2")


def encode(block, dtype):
    if not np.all(np.isfinite(block)):
        raise ValueError("non-finite state generated")
    if dtype == "F32":
        return np.ascontiguousarray(block, dtype="<f4").tobytes()
    if dtype == "F16":
        if np.max(np.abs(block)) > 65504.0:
            raise ValueError("a state exceeds the F16 range; lower the strengths or use F32/BF16")
        return np.ascontiguousarray(block, dtype="<f2").tobytes()
    if dtype == "BF16":
        return bf16_bits(np.ascontiguousarray(block, dtype=np.float32)).tobytes()
    raise ValueError(dtype)


# --------------------------------------------------------------------------
# the tree


def build_tree(roots, samples, prompt_len, cont_len, grandchildren):
    """Branch dicts for run.json, plus per-branch root index."""
    branches, root_of = [], []
    g_len = cont_len - cont_len // 2
    for r in range(roots):
        rid = f"r{r}"
        branches.append({
            "id": rid, "label": f"prompt: topic {r}", "parent": None, "fork_at": None,
            "group": f"topic{r}",
            "tokens": ["<s>"] + [f" t{r}p{j}" for j in range(1, prompt_len)],
            "positions": list(range(prompt_len))})
        root_of.append(r)
        for s in range(samples):
            branches.append({
                "id": f"{rid}.s{s}", "label": f"topic {r} / sample {s}", "parent": rid,
                "fork_at": prompt_len, "group": f"topic{r}",
                "tokens": [f" t{r}s{s}w{j}" for j in range(cont_len)],
                "positions": list(range(prompt_len, prompt_len + cont_len))})
            root_of.append(r)
        if r < grandchildren and samples > 0 and cont_len >= 2:
            start = prompt_len + cont_len // 2
            branches.append({
                "id": f"{rid}.s0.g", "label": f"topic {r} / fork of sample 0",
                "parent": f"{rid}.s0", "fork_at": cont_len // 2, "group": f"topic{r}",
                "tokens": [f" t{r}gw{j}" for j in range(g_len)],
                "positions": list(range(start, start + g_len))})
            root_of.append(r)
    return branches, root_of


# --------------------------------------------------------------------------
# the states


class Generator:
    def __init__(self, seed, n_layers, hidden, roots, n_positions, pos_strength,
                 topic_strength, sink):
        self.seed = seed
        self.d = hidden
        self.P = n_positions
        self.ps = pos_strength
        self.ts = topic_strength
        self.sink = sink
        g = np.random.default_rng([seed, 0])
        dims = g.choice(hidden, size=min(3, hidden), replace=False)
        s = np.zeros(hidden)
        for k, j in enumerate(dims):
            s[j] = SINK_WEIGHTS[k]
        self.sink_dir = s / np.linalg.norm(s)
        self.sink_dims = [int(j) for j in dims]
        self.sink_norm = SINK_FACTOR * math.sqrt(hidden * (1 + pos_strength ** 2
                                                          + topic_strength ** 2))
        self.roots = roots
        self._layers = {}

    def layer(self, l):
        """(positional table [P, d], topic vectors [R, d]) of layer l, drawn from its seed."""
        if l not in self._layers:
            g = np.random.default_rng([self.seed, 1, l])
            k = min(N_POS_DIRS, self.d)
            E, _ = np.linalg.qr(g.standard_normal((self.d, k)))
            freq = g.uniform(0.3, 2.5, size=k)
            phase = g.uniform(0.0, 2 * math.pi, size=k)
            drift = g.uniform(-1.0, 1.0, size=k)
            T = g.standard_normal((self.roots, self.d))
            T /= np.linalg.norm(T, axis=1, keepdims=True)
            p = np.arange(self.P, dtype=np.float64)[:, None]
            C = np.sin(2 * math.pi * freq * p / self.P + phase) + drift * (p / self.P - 0.5)
            rms = math.sqrt(float(np.mean(np.sum(C ** 2, axis=1))))
            pos = (self.ps * math.sqrt(self.d) / rms) * (C @ E.T) if rms > 0 else C @ E.T * 0
            self._layers[l] = (pos, self.ts * math.sqrt(self.d) * T)
        return self._layers[l]

    def block(self, bi, branch, root, l, positional):
        """States [n_tokens, d] of one branch at one layer."""
        pos_table, topics = self.layer(l)
        p = np.array(branch["positions"])
        noise = np.random.default_rng([self.seed, 2, bi, l]).standard_normal((len(p), self.d))
        x = noise + topics[root]
        if positional:
            x = x + pos_table[p]
        if self.sink and branch["parent"] is None:
            x[0] = self.sink_norm * self.sink_dir + noise[0]
        return x


def write_safetensors(path, branches, root_of, gen, n_layers, dtype, positional, metadata):
    d = gen.d
    header, off = {}, 0
    for b in branches:
        nbytes = n_layers * len(b["tokens"]) * d * WIDTH[dtype]
        header[b["id"]] = {"dtype": dtype, "shape": [n_layers, len(b["tokens"]), d],
                           "data_offsets": [off, off + nbytes]}
        off += nbytes
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((-len(h)) % 8)
    tmp = path + ".part"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for bi, (b, r) in enumerate(zip(branches, root_of)):
                for l in range(n_layers):
                    f.write(encode(gen.block(bi, b, r, l, positional), dtype))
            if f.tell() != 8 + len(h) + off:
                raise AssertionError("safetensors size does not match its header")
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    os.replace(tmp, path)
    return 8 + len(h) + off


def main(argv=None):
    ap = argparse.ArgumentParser(description="write a synthetic forkscope.run/1 folder")
    ap.add_argument("out")
    ap.add_argument("--preset", choices=sorted(PRESETS))
    ap.add_argument("--roots", type=int)
    ap.add_argument("--samples", type=int)
    ap.add_argument("--prompt-len", type=int)
    ap.add_argument("--cont-len", type=int)
    ap.add_argument("--grandchildren", type=int, help="roots whose first sample gets a fork")
    ap.add_argument("--layers", type=int, help="number of layers (indices 0..N-1)")
    ap.add_argument("--hidden", type=int)
    ap.add_argument("--dtype", choices=sorted(WIDTH))
    ap.add_argument("--seed", type=int)
    ap.add_argument("--pos-strength", type=float, help="positional amplitude / noise (3)")
    ap.add_argument("--topic-strength", type=float, help="topic amplitude / noise (1)")
    ap.add_argument("--no-sink", action="store_true", help="no huge token at position 0")
    ap.add_argument("--zero-pe", action="store_true", help="also write the zero_pe variant")
    ap.add_argument("--force", action="store_true", help="replace an existing folder")
    args = ap.parse_args(argv)

    cfg = dict(DEFAULTS)
    if args.preset:
        cfg.update(PRESETS[args.preset])
    for key in list(DEFAULTS):
        v = getattr(args, key)
        if v is not None:
            cfg[key] = v
    for key in ("roots", "prompt_len", "cont_len", "layers", "hidden"):
        if cfg[key] < 1:
            ap.error(f"--{key.replace('_', '-')} must be >= 1")
    if cfg["samples"] < 0 or cfg["grandchildren"] < 0:
        ap.error("--samples and --grandchildren must be >= 0")
    if cfg["grandchildren"] > 0 and (cfg["samples"] < 1 or cfg["cont_len"] < 2):
        ap.error("--grandchildren needs --samples >= 1 and --cont-len >= 2")

    if os.path.exists(args.out):
        if not args.force and os.listdir(args.out):
            ap.error(f"{args.out} exists and is not empty (--force to replace)")
        shutil.rmtree(args.out)
    os.makedirs(args.out)

    branches, root_of = build_tree(cfg["roots"], cfg["samples"], cfg["prompt_len"],
                                   cfg["cont_len"], cfg["grandchildren"])
    n_positions = 1 + max(max(b["positions"]) for b in branches)
    gen = Generator(cfg["seed"], cfg["layers"], cfg["hidden"], cfg["roots"], n_positions,
                    cfg["pos_strength"], cfg["topic_strength"], not args.no_sink)
    n_tokens = sum(len(b["tokens"]) for b in branches)
    planted = {"generator": "scripts/synth_run.py", "seed": cfg["seed"],
               "roots": cfg["roots"], "samples": cfg["samples"],
               "prompt_len": cfg["prompt_len"], "cont_len": cfg["cont_len"],
               "grandchildren": cfg["grandchildren"], "pos_strength": cfg["pos_strength"],
               "topic_strength": cfg["topic_strength"], "noise_std": 1.0,
               "sink": (None if args.no_sink else
                        {"norm": gen.sink_norm, "dimensions": gen.sink_dims})}
    run = {
        "format": FORMAT,
        "title": (f"Synthetic run: {cfg['roots']} topics x {cfg['samples']} samples "
                  f"(prompt {cfg['prompt_len']}, continuation {cfg['cont_len']}), "
                  f"positional strength {cfg['pos_strength']:g}, topic strength "
                  f"{cfg['topic_strength']:g}, seed {cfg['seed']}"),
        "model": {"name": "forkscope-synthetic", "version": "synth_run/1",
                  "positional_encoding": "synthetic"},
        "layers": list(range(cfg["layers"])),
        "hidden_size": cfg["hidden"],
        "tensors": "activations.safetensors",
        "branches": branches,
        "synthetic": planted,
    }
    if args.zero_pe:
        run["variants"] = {"zero_pe": "activations.zero_pe.safetensors"}
    meta = {"generator": "scripts/synth_run.py", "seed": str(cfg["seed"])}
    sizes = {}
    try:
        sizes["activations.safetensors"] = write_safetensors(
            os.path.join(args.out, "activations.safetensors"), branches, root_of, gen,
            cfg["layers"], cfg["dtype"], True, meta)
        if args.zero_pe:
            sizes["activations.zero_pe.safetensors"] = write_safetensors(
                os.path.join(args.out, "activations.zero_pe.safetensors"), branches, root_of,
                gen, cfg["layers"], cfg["dtype"], False, dict(meta, variant="zero_pe"))
    except ValueError as e:
        shutil.rmtree(args.out, ignore_errors=True)
        print(f"error: {e}", file=sys.stderr)
        return 1
    with open(os.path.join(args.out, "run.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(run, indent=1, ensure_ascii=False) + "\n")
    total = sum(sizes.values()) + os.path.getsize(os.path.join(args.out, "run.json"))
    print(f"{args.out}: {len(branches)} branches, {n_tokens} tokens, {cfg['layers']} layers, "
          f"hidden {cfg['hidden']}, {cfg['dtype']}, {total} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
