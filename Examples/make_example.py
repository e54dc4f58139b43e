#!/usr/bin/env python3
"""Cut a small, deterministic demo run out of the real `topics` run.

Keeps the 4 prompt roots (p0..p3), samples b1 and b2 of each root, the
grandchild p0.b1.c1, only layers 0, 6, 12, ..., 30, with the zero_pe variant.  Hidden states stay
F16 and their bits are copied unchanged from the source file.

Usage:
    python3 Examples/make_example.py [--source /work/shared/runs/topics]
                                     [--out Examples/topics-mini]

Only numpy and the standard library are used (no `safetensors` package).
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

KEEP_LAYERS = [0, 6, 12, 18, 24, 30]
KEEP_ROOTS = ["p0", "p1", "p2", "p3"]
KEEP_SAMPLES = ["b1", "b2"]
KEEP_EXTRA = ["p0.b1.c1"]
MAX_BYTES = 5 * 1024 * 1024
TITLE_PREFIX = "Demo cut: "


def read_safetensors_header(path):
    with open(path, "rb") as f:
        raw_len = f.read(8)
        if len(raw_len) != 8:
            raise ValueError(f"{path}: file too short for a safetensors header")
        (n,) = struct.unpack("<Q", raw_len)
        header = json.loads(f.read(n).decode("utf-8"))
    return header, 8 + n


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, dtype_str, shape, raw_bytes) in the wanted order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    hbytes = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # pad with spaces so the data section starts 8-byte aligned
    hbytes += b" " * ((-len(hbytes)) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for _, _, _, data in tensors:
            f.write(data)
    os.replace(tmp, path)


def kept_ids(branches):
    ids = {b["id"] for b in branches}
    want = []
    for root in KEEP_ROOTS:
        want.append(root)
        want.extend(f"{root}.{s}" for s in KEEP_SAMPLES)
    want.extend(KEEP_EXTRA)
    missing = [i for i in want if i not in ids]
    if missing:
        raise ValueError(f"source run lacks branches: {missing}")
    return set(want)


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default="/work/shared/runs/topics")
    ap.add_argument("--out", default=os.path.join(here, "topics-mini"))
    args = ap.parse_args(argv)

    with open(os.path.join(args.source, "run.json"), encoding="utf-8") as f:
        run = json.load(f)
    if run.get("format") != "forkscope.run/1":
        raise SystemExit(f"unexpected run format: {run.get('format')!r}")

    src_layers = list(run["layers"])
    try:
        layer_slices = [src_layers.index(L) for L in KEEP_LAYERS]
    except ValueError:
        raise SystemExit(f"source run does not have all layers {KEEP_LAYERS}: {src_layers}")

    keep = kept_ids(run["branches"])
    branches = [b for b in run["branches"] if b["id"] in keep]
    for b in branches:  # every kept child must keep its parent
        if b.get("parent") is not None and b["parent"] not in keep:
            raise SystemExit(f"branch {b['id']} would lose its parent {b['parent']}")

    hidden = int(run["hidden_size"])

    def cut(src_name):
        """The kept branches and layers of one safetensors file, F16 bits unchanged."""
        src_tensor_path = os.path.join(args.source, src_name)
        header, data_start = read_safetensors_header(src_tensor_path)
        out_tensors = []
        with open(src_tensor_path, "rb") as f:
            for b in branches:
                info = header[b["id"]]
                if info["dtype"] != "F16":
                    raise SystemExit(f"tensor {b['id']} is {info['dtype']}, expected F16")
                shape = info["shape"]
                if shape != [len(src_layers), len(b["tokens"]), hidden]:
                    raise SystemExit(f"tensor {b['id']} has shape {shape}")
                begin, end = info["data_offsets"]
                f.seek(data_start + begin)
                buf = f.read(end - begin)
                arr = np.frombuffer(buf, dtype="<u2").reshape(shape)  # raw F16 bits
                cut = np.ascontiguousarray(arr[layer_slices])
                out_tensors.append((b["id"], "F16", cut.shape, cut.astype("<u2").tobytes()))

        # metadata: keep the source's string metadata, restricted to the kept branches
        meta = {}
        for k, v in (header.get("__metadata__") or {}).items():
            if k == "token_ids":
                try:
                    ids = json.loads(v)
                    v = json.dumps({b["id"]: ids[b["id"]] for b in branches if b["id"] in ids},
                                   separators=(",", ":"))
                except (ValueError, TypeError, KeyError):
                    continue
            meta[k] = v
        meta["demo_cut"] = ("cut of the topics run: branches " + ",".join(b["id"] for b in branches)
                            + "; source layers " + ",".join(str(L) for L in KEEP_LAYERS))
        return out_tensors, meta

    files = {"activations.safetensors": cut(run.get("tensors", "activations.safetensors"))}
    variants = {}
    if "zero_pe" in (run.get("variants") or {}):
        variants["zero_pe"] = "activations.zero_pe.safetensors"
        files["activations.zero_pe.safetensors"] = cut(run["variants"]["zero_pe"])

    out_run = {}
    for k, v in run.items():
        if k == "variants":
            if variants:
                out_run[k] = variants
            continue
        if k == "title":
            v = (TITLE_PREFIX + "roots p0-p3 with samples b1, b2 each and grandchild p0.b1.c1; "
                 "layers " + ", ".join(str(L) for L in KEEP_LAYERS)
                 + ("; variant zero_pe: the same tokens with every position id 0. " if variants else "; no variants. ")
                 + "Source run: " + str(v).split(";")[0].strip())
        elif k == "layers":
            v = list(KEEP_LAYERS)
        elif k == "tensors":
            v = "activations.safetensors"
        elif k == "branches":
            v = branches
        out_run[k] = v

    os.makedirs(args.out, exist_ok=True)
    for name, (out_tensors, meta) in files.items():
        write_safetensors(os.path.join(args.out, name), out_tensors, meta)
    text = json.dumps(out_run, indent=1, ensure_ascii=False) + "\n"
    with open(os.path.join(args.out, "run.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)

    total = sum(os.path.getsize(os.path.join(args.out, n))
                for n in ["run.json", *files])
    n_tok = sum(len(b["tokens"]) for b in branches)
    print(f"wrote {args.out}: {len(branches)} branches, {n_tok} tokens, "
          f"layers {KEEP_LAYERS}, {total} bytes")
    if total >= MAX_BYTES:
        print(f"error: output is {total} bytes, limit is {MAX_BYTES}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
