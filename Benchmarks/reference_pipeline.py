#!/usr/bin/env python3
"""The work of `forkscope build --views raw,position_mean`, done the way a researcher would with
NumPy, scikit-learn and umap-learn: the benchmark's reference (Benchmarks/bench.py runs both).

    python3 Benchmarks/reference_pipeline.py RUN_DIR --json OUT.json
        [--views raw,position_mean] [--layers 0,5] [--no-umap] [--query-limit 4096] [--verbose]

Layer by layer, in float32 as read (F16 / BF16 converted with NumPy from a memory map of the
safetensors file, placed by its header's offsets):

  read      the layer's slice of every branch's tensor into one [tokens, d] float32 matrix, and
            the check that every value is finite (Forkscope refuses NaN/Inf);
  debias    norms, massive activations (norm > 10 x the layer's median: left out of every fit and
            measure), the position_mean view (positions supported by fit tokens of >= 2 branches;
            each covered token minus its position's mean over the fit tokens);
  pca       sklearn PCA(2, svd_solver="covariance_eigh") of each view's fit tokens (exact, as
            Forkscope's; the default solver at these sizes is randomized, and misses the top-2
            subspace when the leading eigenvalues are close, as in large's position_mean view),
            scores of every covered token;
  umap      umap.UMAP(n_neighbors=15, min_dist=0.1, spread=1, metric="euclidean", init="spectral",
            random_state=42) of each view's fit tokens (Forkscope's defaults; seeded: umap-learn's
            reproducible, single-threaded mode). The first call compiles numba: included;
  measures  docs/views-and-measures.md over each view's fit tokens: variance_kept, position_r2
            (in-sample, held out, chance), position_probe (folds = root groups, the view fitted
            again on the training folds, StandardScaler + Ridge(alpha=100), pooled held-out R^2),
            root and branch kNN purity (cosine, k = 10, brute NearestNeighbors) with chance,
            pca_explained_variance, trustworthiness of the PCA and UMAP layouts (k = 10) and the
            silhouette of the PCA layout with root groups as labels.

Neighbourhood measures (kNN purity, both trustworthiness, silhouette) use query tokens: with n fit
tokens (run order) and m = min(n, --query-limit), Q = the fit rows floor(i n / m), i < m;
neighbours and ranks are taken among all n. purity = mean over Q; silhouette = mean of s(i) over Q;
T = 1 - 2 / (m k (2n - 3k - 1)) sum_{i in Q} sum_{j in U_k(i)} (r(i, j) - k). With m = n these
are scikit-learn's functions, called as such; with m < n the query versions below (NumPy, by
blocks). The chance levels are over all n fit tokens.

Writes OUT.json: per stage (read, debias, pca, umap, measures, plus "setup": the imports and the
header) the wall time (perf_counter), CPU time (process_time: every thread of the process, BLAS
and numba included) and the peak RSS of the process so far at the stage's end, summed over the
layers (per layer too), the totals, and the measures per layer and view. Default threading:
OpenBLAS and numba use every core, as they would for a user.
"""
import resource
import time

T_START = (time.perf_counter(), time.process_time())

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.manifold import trustworthiness  # noqa: E402
from sklearn.metrics import silhouette_score  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
import umap  # noqa: E402

FORMAT = "forkscope.reference-bench/1"
STAGES = ("read", "debias", "pca", "umap", "measures")
VIEWS = ("raw", "position_mean")
K = 10                 # kNN purity and trustworthiness
MASSIVE_RATIO = 10.0
PROBE_ALPHA = 100.0
QUERY_LIMIT = 4096
UMAP_ARGS = dict(n_neighbors=15, min_dist=0.1, spread=1.0, n_components=2, metric="euclidean",
                 init="spectral", random_state=42)


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


class Clock:
    """Wall and CPU seconds and the peak RSS so far, per stage, summed over the layers."""

    def __init__(self):
        self.total = {s: {"wall_seconds": 0.0, "cpu_seconds": 0.0, "peak_rss_bytes": 0} for s in STAGES}
        self.layer = None

    @contextlib.contextmanager
    def stage(self, name):
        w, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            dw, dc, rss = time.perf_counter() - w, time.process_time() - c, peak_rss()
            for rec in (self.total[name], self.layer[name]):
                rec["wall_seconds"] += dw
                rec["cpu_seconds"] += dc
                rec["peak_rss_bytes"] = max(rec["peak_rss_bytes"], rss)

    def new_layer(self):
        self.layer = {s: {"wall_seconds": 0.0, "cpu_seconds": 0.0, "peak_rss_bytes": 0} for s in STAGES}
        return self.layer


# --------------------------------------------------------------------------
# the run


class Run:
    """run.json and a memory map of the tensors (nothing is read until a layer is asked for)."""

    def __init__(self, run_dir):
        with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as f:
            self.meta = json.load(f)
        self.layers = [int(L) for L in self.meta["layers"]]
        self.d = int(self.meta["hidden_size"])
        path = os.path.join(run_dir, self.meta.get("tensors", "activations.safetensors"))
        with open(path, "rb") as f:
            header_len = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(header_len))
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
        self.tensors, self.dtypes = [], set()
        positions, branch, group = [], [], []
        groups = root_groups(self.meta["branches"])
        for bi, b in enumerate(self.meta["branches"]):
            info = header[b["id"]]
            begin, end = info["data_offsets"]
            shape = tuple(info["shape"])
            if shape != (len(self.layers), len(b["tokens"]), self.d):
                raise ValueError(f"tensor {b['id']!r} has shape {list(shape)}")
            np_dtype = {"F32": "<f4", "F16": "<f2", "BF16": "<u2"}[info["dtype"]]
            self.tensors.append((info["dtype"], data[begin:end].view(np_dtype).reshape(shape)))
            self.dtypes.add(info["dtype"])
            positions += b["positions"]
            branch += [bi] * len(b["tokens"])
            group += [groups[b["id"]]] * len(b["tokens"])
        self.positions = np.array(positions, dtype=np.int64)
        self.branch = np.array(branch, dtype=np.int64)
        self.group = np.unique(np.array(group, dtype=object).astype(str), return_inverse=True)[1].astype(np.int64)
        self.n = len(self.positions)
        self.tensor_bytes = sum(t.nbytes for _, t in self.tensors)

    def layer(self, li):
        """float32 [n, d] states of layer slice li, run order (branches in run.json order)."""
        X = np.empty((self.n, self.d), dtype=np.float32)
        row = 0
        for dtype, t in self.tensors:
            block = t[li]
            if dtype == "BF16":
                X[row:row + len(block)] = (block.astype(np.uint32) << 16).view(np.float32)
            else:
                X[row:row + len(block)] = block   # F16 -> F32 conversion by NumPy, or a copy
            row += len(block)
        if not np.isfinite(X).all():
            raise ValueError(f"layer {self.layers[li]}: a state is NaN or infinite")
        return X


def root_groups(branches):
    """Branch id -> its `group` (a string, or a number by its JSON text), else its root's id."""
    by_id = {b["id"]: b for b in branches}
    out = {}
    for b in branches:
        g = b.get("group")
        if isinstance(g, str) or (isinstance(g, (int, float)) and not isinstance(g, bool)):
            out[b["id"]] = g if isinstance(g, str) else json.dumps(g)
            continue
        cur = b
        while cur.get("parent") is not None:
            cur = by_id[cur["parent"]]
        out[b["id"]] = cur["id"]
    return out


# --------------------------------------------------------------------------
# views


def group_sums(Y, codes, n_codes):
    """Row sums of Y per code (codes in 0..n_codes-1) and the counts."""
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    present, starts = np.unique(sorted_codes, return_index=True)
    sums = np.zeros((n_codes, Y.shape[1]), dtype=Y.dtype)
    if len(order):
        sums[present] = np.add.reduceat(Y[order], starts, axis=0)
    return sums, np.bincount(codes, minlength=n_codes)


def position_mean_view(X, positions, branch, fit):
    """(covered token indices, X[covered] - their positions' means over the fit tokens)."""
    n_pos = int(positions.max()) + 1
    fp, fb = positions[fit], branch[fit]
    pairs = np.unique(fp * (int(branch.max()) + 1) + fb)
    supported = np.bincount(pairs // (int(branch.max()) + 1), minlength=n_pos) >= 2
    sums, counts = group_sums(X[fit], fp, n_pos)
    means = sums / np.maximum(counts, 1)[:, None].astype(np.float32)
    cov = np.nonzero(supported[positions])[0]
    return cov, X[cov] - means[positions[cov]]


def fit_view(view, X, run, fit):
    if view == "raw":
        return np.arange(len(X)), X
    return position_mean_view(X, run.positions, run.branch, fit)


# --------------------------------------------------------------------------
# measures


def position_r2(Y, positions, branch):
    """(position_r2, position_r2_heldout, position_r2_chance) over the rows at positions with
    rows of >= 2 branches."""
    n_b = int(branch.max()) + 1
    _, pos_code = np.unique(positions, return_inverse=True)
    pb = np.unique(pos_code * n_b + branch)
    n_pos = int(pos_code.max()) + 1
    sup = (np.bincount(pb // n_b, minlength=n_pos) >= 2)[pos_code]
    N = int(sup.sum())
    if N == 0:
        return None, None, None
    Ys, p, b = Y[sup], pos_code[sup], branch[sup]
    G = len(np.unique(p))
    chance = (G - 1) / (N - 1) if N > 1 else None
    den = float(np.sum((Ys - Ys.mean(axis=0)) ** 2))
    if den == 0.0:
        return None, None, chance
    S_p, c_p = group_sums(Ys, p, n_pos)
    _, pb_code = np.unique(p * n_b + b, return_inverse=True)
    S_pb, c_pb = group_sums(Ys, pb_code, int(pb_code.max()) + 1)
    r2 = 1.0 - float(np.sum((Ys - S_p[p] / c_p[p, None]) ** 2)) / den
    held = (S_p[p] - S_pb[pb_code]) / (c_p[p] - c_pb[pb_code])[:, None]
    r2h = 1.0 - float(np.sum((Ys - held) ** 2)) / den
    return r2, r2h, chance


def position_probe(view, X, run, fit):
    """Held-out R^2 of a ridge probe of position: leave one root group out (branches when the fit
    tokens span one group), the view fitted again on the training folds."""
    folds = run.group if len(np.unique(run.group[fit])) >= 2 else run.branch
    if len(np.unique(folds[fit])) < 2:
        return None
    y = run.positions.astype(np.float32)
    truth, preds = [], []
    for f in np.unique(folds[fit]):
        train, held = fit & (folds != f), fit & (folds == f)
        cov, Y = fit_view(view, X, run, train)
        row = np.full(len(X), -1)
        row[cov] = np.arange(len(cov))
        tr, te = np.nonzero(train & (row >= 0))[0], np.nonzero(held & (row >= 0))[0]
        if len(tr) == 0 or len(te) == 0:
            continue
        scaler = StandardScaler().fit(Y[row[tr]])
        probe = Ridge(alpha=PROBE_ALPHA).fit(scaler.transform(Y[row[tr]]), y[tr])
        preds.append(probe.predict(scaler.transform(Y[row[te]])).astype(np.float64))
        truth.append(run.positions[te].astype(np.float64))
    if not preds:
        return None
    p, phat = np.concatenate(truth), np.concatenate(preds)
    den = float(np.sum((p - p.mean()) ** 2))
    return 1.0 - float(np.sum((p - phat) ** 2)) / den if den > 0 else None


def query_rows(n, limit):
    m = min(n, limit)
    return np.arange(m, dtype=np.int64) * n // m


def neighbours_of_queries(nn, Xq, Q, k):
    """The k nearest of each query among the fitted rows, itself left out."""
    ind = nn.kneighbors(Xq, n_neighbors=k + 1, return_distance=False)
    is_self = ind == Q[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k)   # self, else the farthest
    keep = np.ones_like(ind, dtype=bool)
    keep[np.arange(len(Q)), drop] = False
    return ind[keep].reshape(len(Q), k)


def knn_purity(Yf, labels_list, Q):
    """kNN purity (cosine, k = 10) of each labelling, over the queries Q."""
    n = len(Yf)
    if n < 2:
        return [None] * len(labels_list)
    k = min(K, n - 1)
    nn = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(Yf)
    ind = nn.kneighbors(return_distance=False) if len(Q) == n else neighbours_of_queries(nn, Yf[Q], Q, k)
    return [float(np.mean(lab[ind] == lab[Q][:, None])) for lab in labels_list]


def knn_chance(labels):
    n = len(labels)
    counts = np.bincount(labels)
    return float(np.mean((counts[labels] - 1) / (n - 1))) if n > 1 else None


def query_trustworthiness(X, layouts, Q, k=K, block=256):
    """Trustworthiness of each layout with the queries Q (ranks among all n rows), by blocks of
    queries: the n x n distance and rank matrices scikit-learn builds would take 5.5 GB at 16k."""
    n, m = len(X), len(Q)
    Xc = X - X.mean(axis=0)
    sq = np.einsum("ij,ij->i", Xc, Xc)
    layout_nb = [neighbours_of_queries(NearestNeighbors(n_neighbors=k).fit(E), E[Q], Q, k) for E in layouts]
    totals = [0.0] * len(layouts)
    for s in range(0, m, block):
        q = Q[s:s + block]
        D = sq[q, None] + sq[None, :] - 2.0 * (Xc[q] @ Xc.T)    # squared distances, float32
        D[np.arange(len(q)), q] = -np.inf                        # the query itself: rank 0
        for t, nb in enumerate(layout_nb):
            dj = np.take_along_axis(D, nb[s:s + block], axis=1)  # [b, k]
            rank = (D[:, None, :] < dj[:, :, None]).sum(axis=2)  # 1 = nearest other row
            totals[t] += float(np.maximum(rank - k, 0).sum())
    return [1.0 - 2.0 / (m * k * (2.0 * n - 3.0 * k - 1.0)) * tot for tot in totals]


def query_silhouette(C, labels, Q, block=1024):
    """Mean silhouette (Euclidean) of the queries Q, a and b over all n rows; 0 for a row alone in
    its label, as scikit-learn."""
    C = C.astype(np.float64)
    n_lab = int(labels.max()) + 1
    onehot = np.zeros((len(C), n_lab))
    onehot[np.arange(len(C)), labels] = 1.0
    size = onehot.sum(axis=0)
    sq = np.einsum("ij,ij->i", C, C)
    s_all = []
    for s in range(0, len(Q), block):
        q = Q[s:s + block]
        D = np.sqrt(np.maximum(sq[q, None] + sq[None, :] - 2.0 * (C[q] @ C.T), 0.0))
        D[np.arange(len(q)), q] = 0.0
        per = D @ onehot                                    # [b, labels]: summed distances
        own = labels[q]
        a = per[np.arange(len(q)), own] / np.maximum(size[own] - 1, 1)
        mean_other = per / size
        mean_other[np.arange(len(q)), own] = np.inf
        b = mean_other.min(axis=1)
        sil = (b - a) / np.maximum(a, b)
        sil[size[own] <= 1] = 0.0
        s_all.append(np.nan_to_num(sil))
    return float(np.mean(np.concatenate(s_all)))


def measure(view, X, Y, cov, fit, pca, scores, layout, run, query_limit):
    fl = fit[cov]                      # the view's fit rows, among its covered rows
    fidx = cov[fl]
    Yf = Y[fl]
    n = len(fidx)
    out = dict(tokens=int(len(cov)), fit_tokens=int(n))
    keys = ("variance_kept", "position_r2", "position_r2_heldout", "position_r2_chance",
            "position_probe", "root_knn_purity", "root_knn_chance", "branch_knn_purity",
            "branch_knn_chance", "pca_explained_variance", "trustworthiness", "silhouette_root",
            "umap_trustworthiness")
    out.update({k: None for k in keys})
    if n == 0:
        return out
    vr = float(X[fidx].var(axis=0).sum())
    out["variance_kept"] = float(Yf.var(axis=0).sum()) / vr if vr > 0 else None
    pos, br, gr = run.positions[fidx], run.branch[fidx], run.group[fidx]
    out["position_r2"], out["position_r2_heldout"], out["position_r2_chance"] = position_r2(Yf, pos, br)
    out["position_probe"] = position_probe(view, X, run, fit)
    Q = query_rows(n, query_limit)
    out["root_knn_purity"], out["branch_knn_purity"] = knn_purity(Yf, [gr, br], Q)
    out["root_knn_chance"], out["branch_knn_chance"] = knn_chance(gr), knn_chance(br)
    if pca is None:
        return out
    out["pca_explained_variance"] = [float(v) for v in pca.explained_variance_ratio_]
    C = scores[fl]
    if K < n / 2:
        layouts = [C] + ([layout] if layout is not None else [])
        if len(Q) == n:
            trust = [float(trustworthiness(Yf, E, n_neighbors=K)) for E in layouts]
        else:
            trust = query_trustworthiness(Yf, layouts, Q)
        out["trustworthiness"] = trust[0]
        if layout is not None:
            out["umap_trustworthiness"] = trust[1]
    ng = len(np.unique(gr))
    if 2 <= ng <= n - 1:
        out["silhouette_root"] = float(silhouette_score(C, gr) if len(Q) == n else query_silhouette(C, gr, Q))
    return out


# --------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--json", required=True, help="write the timings and measures here")
    ap.add_argument("--views", default="raw,position_mean")
    ap.add_argument("--layers", help="comma-separated model layers (default: all)")
    ap.add_argument("--no-umap", action="store_true")
    ap.add_argument("--query-limit", type=int, default=QUERY_LIMIT,
                    help="most query tokens of the neighbourhood measures (4096)")
    ap.add_argument("--verbose", action="store_true", help="a line per layer on stderr")
    args = ap.parse_args(argv)
    views = [v for v in args.views.split(",") if v]
    if not views or any(v not in VIEWS for v in views):
        ap.error(f"views: {', '.join(VIEWS)}")

    clock = Clock()
    run = Run(args.run_dir)
    wanted = None if not args.layers else [int(x) for x in args.layers.split(",")]
    setup = {"wall_seconds": time.perf_counter() - T_START[0], "cpu_seconds": time.process_time() - T_START[1],
             "peak_rss_bytes": peak_rss()}
    layers_out = []
    umap_init = []
    for li, L in enumerate(run.layers):
        if wanted is not None and L not in wanted:
            continue
        per = clock.new_layer()
        with clock.stage("read"):
            X = run.layer(li)
        with clock.stage("debias"):
            norms = np.linalg.norm(X, axis=1)
            median = float(np.median(norms))
            fit = ~(norms > MASSIVE_RATIO * median)
            fitted = {v: fit_view(v, X, run, fit) for v in views}
        pcas = {}
        with clock.stage("pca"):
            for v, (cov, Y) in fitted.items():
                Yf = Y[fit[cov]]
                if len(Yf) >= 2:
                    pca = PCA(n_components=2, svd_solver="covariance_eigh").fit(Yf)
                    pcas[v] = (pca, pca.transform(Y))
                else:
                    pcas[v] = (None, None)
        layouts = {}
        with clock.stage("umap"):
            for v, (cov, Y) in fitted.items():
                Yf = Y[fit[cov]]
                if args.no_umap or len(Yf) < 3 or pcas[v][0] is None:
                    layouts[v] = None
                    continue
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    layouts[v] = umap.UMAP(**UMAP_ARGS).fit_transform(Yf)
                fell_back = any("random" in str(w.message).lower() and "fall" in str(w.message).lower()
                                for w in caught)
                umap_init.append({"layer": L, "view": v, "initialisation": "random" if fell_back else "spectral"})
        measures = {}
        with clock.stage("measures"):
            for v, (cov, Y) in fitted.items():
                measures[v] = measure(v, X, Y, cov, fit, pcas[v][0], pcas[v][1], layouts[v], run, args.query_limit)
        layers_out.append({"layer": L, "median_norm": median, "massive": int((~fit).sum()),
                           "views": measures, "stages": per})
        if args.verbose:
            print(f"layer {L}: " + ", ".join(f"{s} {per[s]['wall_seconds']:.2f}s" for s in STAGES)
                  + f", peak RSS {peak_rss() / 2**20:.0f} MiB", file=sys.stderr, flush=True)

    n_layers = len(layers_out)
    result = {
        "format": FORMAT,
        "run": os.path.abspath(args.run_dir),
        "tokens": run.n, "hidden_size": run.d, "layers_run": n_layers, "dtypes": sorted(run.dtypes),
        "tensor_bytes_read": int(run.tensor_bytes * n_layers / len(run.layers)),
        "float32_bytes_written": int(run.n * run.d * 4 * n_layers),
        "views": views, "query_limit": args.query_limit, "umap": None if args.no_umap else UMAP_ARGS,
        "umap_initialisation": umap_init,
        "versions": {"numpy": np.__version__, "sklearn": __import__("sklearn").__version__,
                     "umap-learn": umap.__version__, "numba": __import__("numba").__version__},
        "threads": blas_threads(),
        "setup": setup,
        "stages": [dict(name=s, **clock.total[s]) for s in STAGES],
        "wall_seconds": time.perf_counter() - T_START[0],
        "cpu_seconds": time.process_time() - T_START[1],
        "peak_rss_bytes": peak_rss(),
        "layers": layers_out,
    }
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    return 0


def blas_threads():
    try:
        from threadpoolctl import threadpool_info
        return [{"api": i.get("internal_api"), "threads": i.get("num_threads")} for i in threadpool_info()]
    except Exception:  # noqa: BLE001  (informative only)
        return None


if __name__ == "__main__":
    sys.exit(main())
