#!/usr/bin/env python3
"""Independent NumPy reference for Forkscope's per-layer measures.

Loads a `forkscope.run/1` folder (safetensors F32 / F16 / BF16, parsed by hand)
and computes, for every layer, in float64:

* run order: branches in run.json order, each branch's own tokens in order;
* supported positions: positions holding tokens from >= 2 distinct branches;
* norm_i = ||x_i||;
* dist_to_position_mean_i = ||x_i - m_p(i)|| (supported tokens only), where
  m_p is the mean of the supported tokens at position p;
* views: `raw` (all tokens, x_i) and `position_mean` (supported tokens only,
  x_i - m_p(i));
* position_r2 of a view, over the view's supported tokens:
  1 - sum ||y_i - mbar_p(i)||^2 / sum ||y_i - ybar||^2  (None if no supported
  tokens or the denominator is 0);
* PCA of a view: centre by the view mean, top-2 principal axes (SVD of the
  centred matrix; eigh of Xc^T Xc gives the same), each axis flipped so that
  its largest-|entry| component is positive (first one on ties), coordinates
  (y_i - mean) . v_k, explained variance lambda_k / sum(lambda).
  Fewer than 2 tokens: None / no coordinates.  Rank 1: second axis has 0
  variance and coordinates 0.  Rank 0 (all tokens equal): coordinates 0,
  explained variance [0.0, 0.0] (zero-variance components count 0).

Usage as a CLI:
    python3 Tests/Fixtures/reference.py RUN_DIR [--out expected.json]
            [--variant NAME] [--check-eigh]

Usage as a module:
    import reference
    run = reference.load_run(run_dir)
    result = reference.compute(run)          # dict, same shape as the JSON
    text = reference.dumps(result)
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

RUN_FORMAT = "forkscope.run/1"
EPS = np.finfo(np.float64).eps


# --------------------------------------------------------------------------
# safetensors, by hand


def _bf16_to_f32(raw_u16):
    return (raw_u16.astype(np.uint32) << np.uint32(16)).view(np.float32)


def read_safetensors(path):
    """Return ({name: float64 ndarray}, metadata dict or None)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short to be a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} exceeds file size")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n:]
    metadata = header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        dtype = info["dtype"]
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(v) for v in info["data_offsets"])
        count = int(np.prod(shape)) if shape else 1
        width = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8}.get(dtype)
        if width is None:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {dtype}")
        if end - begin != count * width or end > len(data) or begin < 0:
            raise ValueError(f"{path}: tensor {name!r} offsets {begin}..{end} do not fit "
                             f"shape {shape} of {dtype}")
        buf = data[begin:end]
        if dtype == "F32":
            arr = np.frombuffer(buf, dtype="<f4")
        elif dtype == "F16":
            arr = np.frombuffer(buf, dtype="<f2")
        elif dtype == "BF16":
            arr = _bf16_to_f32(np.frombuffer(buf, dtype="<u2"))
        else:
            arr = np.frombuffer(buf, dtype="<f8")
        out[name] = arr.astype(np.float64).reshape(shape)
    return out, metadata


# --------------------------------------------------------------------------
# run loading


class Run:
    def __init__(self, meta, tensors):
        self.meta = meta
        self.layers = [int(L) for L in meta["layers"]]
        self.hidden_size = int(meta["hidden_size"])
        self.branches = meta["branches"]
        # run order
        self.token_branch = []   # branch id of each token
        self.token_index = []    # index within its branch
        self.token_position = []
        self.token_text = []
        blocks = []
        for b in self.branches:
            bid = b["id"]
            toks = b["tokens"]
            pos = b["positions"]
            if len(pos) != len(toks):
                raise ValueError(f"branch {bid}: {len(toks)} tokens but {len(pos)} positions")
            if bid not in tensors:
                raise ValueError(f"no tensor named {bid!r} in the safetensors file")
            t = tensors[bid]
            want = (len(self.layers), len(toks), self.hidden_size)
            if tuple(t.shape) != want:
                raise ValueError(f"tensor {bid!r} has shape {list(t.shape)}, expected {list(want)}")
            blocks.append(t)
            for j, (tok, p) in enumerate(zip(toks, pos)):
                self.token_branch.append(bid)
                self.token_index.append(j)
                self.token_position.append(int(p))
                self.token_text.append(tok)
        if blocks:
            self.states = np.concatenate(blocks, axis=1)  # [layers, n, d]
        else:
            self.states = np.zeros((len(self.layers), 0, self.hidden_size))

    @property
    def n_tokens(self):
        return len(self.token_branch)


def load_run(run_dir, variant=None):
    with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("format") != RUN_FORMAT:
        raise ValueError(f"{run_dir}: format is {meta.get('format')!r}, expected {RUN_FORMAT!r}")
    if variant is None:
        fname = meta.get("tensors", "activations.safetensors")
    else:
        variants = meta.get("variants") or {}
        if variant not in variants:
            raise ValueError(f"{run_dir}: no variant {variant!r} (have {sorted(variants)})")
        fname = variants[variant]
    tensors, _ = read_safetensors(os.path.join(run_dir, fname))
    return Run(meta, tensors)


# --------------------------------------------------------------------------
# measures


def supported_mask(positions, branches):
    """Boolean mask: token's position has tokens from >= 2 distinct branches."""
    seen = {}
    for p, b in zip(positions, branches):
        seen.setdefault(p, set()).add(b)
    return np.array([len(seen[p]) >= 2 for p in positions], dtype=bool)


def group_means(Y, positions):
    """Per-position mean of the rows of Y; returns (row-wise mean matrix, {p: mean})."""
    positions = np.asarray(positions)
    means = {}
    M = np.empty_like(Y)
    for p in np.unique(positions):
        sel = positions == p
        m = Y[sel].mean(axis=0)
        means[int(p)] = m
        M[sel] = m
    return M, means


def position_r2(Y, positions):
    """1 - SS_within / SS_total over the given rows (all assumed supported)."""
    if Y.shape[0] == 0:
        return None
    M, _ = group_means(Y, positions)
    ybar = Y.mean(axis=0)
    den = float(np.sum((Y - ybar) ** 2))
    if den == 0.0:
        return None
    num = float(np.sum((Y - M) ** 2))
    return 1.0 - num / den


def _sign_fix(v):
    k = int(np.argmax(np.abs(v)))  # first index of the largest |entry|
    return -v if v[k] < 0 else v


def pca2(Y, check_eigh=False, label=""):
    """Top-2 PCA of rows of Y.

    Returns (coords [n, 2] or None, explained [2] or None, info dict).
    """
    n, d = Y.shape
    if n < 2:
        return None, None, {}
    mean = Y.mean(axis=0)
    Xc = Y - mean
    total = float(np.sum(Xc ** 2))  # = sum of all eigenvalues of Xc^T Xc
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    lam = s ** 2
    scale = float(np.max(np.abs(Y))) if Y.size else 0.0
    # numerical rank, numpy.linalg.matrix_rank style tolerance, plus an absolute
    # floor tied to the data scale so "all rows equal" (Xc ~ rounding noise) is rank 0
    tol = max(s[0] * max(n, d) * EPS, scale * max(n, d) * EPS * np.sqrt(n))
    rank = int(np.sum(s > tol))
    coords = np.zeros((n, 2))
    info = {"rank": rank, "eigenvalues": lam[:3].tolist()}
    if rank == 0:
        return coords, [0.0, 0.0], info
    explained = [0.0, 0.0]
    vecs = []
    for k in range(min(rank, 2)):
        v = _sign_fix(Vt[k].copy())
        vecs.append(v)
        coords[:, k] = Xc @ v
        explained[k] = float(lam[k] / total)
    # warn about (near-)degenerate eigenvalues: the axes are then not well defined
    gaps = []
    if rank >= 2 and lam[0] - lam[1] <= 1e-9 * lam[0]:
        gaps.append("lambda1 ~ lambda2")
    if rank >= 3 and lam[1] - lam[2] <= 1e-9 * lam[1]:
        gaps.append("lambda2 ~ lambda3")
    if gaps:
        info["degenerate"] = gaps
        print(f"warning: {label}: {', '.join(gaps)}; PCA axes are not unique", file=sys.stderr)
    if check_eigh:
        w, V = np.linalg.eigh(Xc.T @ Xc)
        order = np.argsort(w)[::-1]
        w, V = w[order], V[:, order]
        wtot = float(np.sum(w))
        for k, v in enumerate(vecs):
            ve = _sign_fix(V[:, k])
            dv = float(np.max(np.abs(ve - v)))
            de = abs(w[k] / wtot - explained[k])
            dc = float(np.max(np.abs(Xc @ ve - coords[:, k])))
            cscale = max(1.0, float(np.max(np.abs(coords[:, k]))))
            info[f"eigh_vs_svd_pc{k + 1}"] = {"vector": dv, "explained": de, "coords": dc}
            if "degenerate" not in info and (de > 1e-9 or dc > 1e-6 * cscale):
                print(f"warning: {label}: eigh and SVD disagree on PC{k + 1}: "
                      f"vector {dv:.3g}, explained {de:.3g}, coords {dc:.3g}", file=sys.stderr)
    return coords, explained, info


def compute(run, check_eigh=False):
    positions = np.array(run.token_position, dtype=np.int64)
    sup = supported_mask(run.token_position, run.token_branch)
    sup_idx = np.nonzero(sup)[0]
    out_layers = []
    for li, L in enumerate(run.layers):
        X = run.states[li]  # [n, d] float64
        norms = np.linalg.norm(X, axis=1)

        Xs = X[sup_idx]
        ps = positions[sup_idx]
        if len(sup_idx):
            Ms, _ = group_means(Xs, ps)
            Ys = Xs - Ms  # position_mean view states
        else:
            Ys = np.zeros((0, X.shape[1]))
        dists = np.linalg.norm(Ys, axis=1)

        raw_r2 = position_r2(Xs, ps)
        pm_r2 = position_r2(Ys, ps)
        raw_c, raw_ev, raw_info = pca2(X, check_eigh, f"layer {L} raw")
        pm_c, pm_ev, pm_info = pca2(Ys, check_eigh, f"layer {L} position_mean")

        views = {
            "raw": {"position_r2": raw_r2, "pca_explained_variance": raw_ev,
                    "tokens": int(X.shape[0])},
            "position_mean": {"position_r2": pm_r2, "pca_explained_variance": pm_ev,
                              "tokens": int(Ys.shape[0])},
        }
        row_in_view = {int(i): r for r, i in enumerate(sup_idx)}
        tokens = []
        for i in range(run.n_tokens):
            r = row_in_view.get(i)
            tokens.append({
                "branch": run.token_branch[i],
                "token_index": run.token_index[i],
                "position": run.token_position[i],
                "norm": float(norms[i]),
                "dist_to_position_mean": float(dists[r]) if r is not None else None,
                "raw_pc1": float(raw_c[i, 0]) if raw_c is not None else None,
                "raw_pc2": float(raw_c[i, 1]) if raw_c is not None else None,
                "position_mean_pc1": float(pm_c[r, 0]) if (r is not None and pm_c is not None) else None,
                "position_mean_pc2": float(pm_c[r, 1]) if (r is not None and pm_c is not None) else None,
            })
        out_layers.append({"layer": L, "views": views, "tokens": tokens})
    return {"layers": out_layers}


def dumps(result):
    return json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description="NumPy reference for Forkscope layer measures")
    ap.add_argument("run_dir")
    ap.add_argument("--out", help="write JSON here (default: stdout)")
    ap.add_argument("--variant", help="use this variant's tensors instead of the main ones")
    ap.add_argument("--check-eigh", action="store_true",
                    help="also run eigh of Xc^T Xc and warn if it disagrees with the SVD")
    args = ap.parse_args(argv)
    try:
        run = load_run(args.run_dir, args.variant)
    except (OSError, ValueError, KeyError) as e:
        print(f"error: cannot load run {args.run_dir}: {e}", file=sys.stderr)
        return 2
    text = dumps(compute(run, check_eigh=args.check_eigh))
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
