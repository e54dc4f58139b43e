#!/usr/bin/env python3
"""Independent NumPy / scikit-learn reference for Forkscope's views and measures.

Implements docs/views-and-measures.md for a `forkscope.run/1` folder, per layer, in
float64.  The run is loaded by reference.py (F32 / F16 / BF16 parsed by hand).

Conventions (the spec's wording, plus the choices where it leaves room):

* root group g(i): the `group` field of token i's branch when present (and not null; a
  non-string value is taken by its JSON text), else the id of the branch's root (parents
  followed to a branch without a parent).
* massive: ||x_i|| > tau * median ||x|| over all tokens of the layer (raw states; and, when a
  zero_pe view is shown, a token massive in the zero_pe states by the same rule, with the
  zero_pe median, is massive too).  Each massive token is reported with the norm ratio and the
  three dimensions of largest |value| (descending, ties by lower index) of the states it is
  massive in (raw when massive in both).  `--keep-massive`: still reported, but fit tokens are
  then all tokens.
* fit tokens of a view: the tokens it covers minus the massive ones.
* variances and standard deviations are population ones (divide by n).
* raw: identity, covers all tokens.
* position_mean: supported positions = positions of fit tokens from >= 2 distinct branches
  (over all fit tokens of the layer); covers every token (massive ones too) at a supported
  position: x_i - m_p(i), m_p the mean of the fit tokens at p.
* regress: phi(p) = [u, u^2, ..., u^D, log(1+p)/log(1+P), sin(2 pi k p/P), cos(2 pi k p/P),
  k = 1..F], u = p/P, P = 1 + the largest position over all tokens of the run.  Columns are
  standardised with the fit tokens' mean and (population) std; columns with std <= 1e-12
  are dropped.  B = (Phi^T Phi + lambda I)^-1 Phi^T Xc, lambda = 1e-3 * n_fit, Xc = X - xbar
  (fit mean); view = x - xbar - phi_std(p) B for every token.
* leace: concept Z = standardised basis (`basis`, default), one-hot of the fit tokens'
  distinct positions (`onehot`) or both side by side.  SVD form: Xc = U S V^T (thin SVD of
  the centred fit states, rank r: S_k > 1e-10 S_1), A = U^T Zc, Q = orthonormal basis of
  col(A) (left singular vectors with singular value > 1e-10 * the largest),
  r(x) = x - V S Q Q^T S^-1 V^T (x - mu).  `--check-leace` recomputes it with the textbook
  formula from an eigendecomposition of the covariance and checks erasure and optimality.
* abtt: mu = fit mean; u_k = top D right singular vectors of the centred fit states (D capped
  at their numerical rank, S_k > 1e-10 S_1); view = x - mu - sum_k (u_k . (x - mu)) u_k.
  Default D = max(1, round(d / 100)), rounding halves up.
* zero_pe: the variant's states, every token.
* <view>+z: (y - mean_fit) / std_fit per dimension; dimensions with std < 1e-12 * the largest
  std are set to 0.  Same tokens as the base view; variance_kept is the base view's.
* kNN purity: cosine distance 1 - cos on the view's states (not re-centred; a zero vector
  has cos 0 with everything), self excluded, k = min(10, n_fit - 1); null when n_fit < 2.
  Ties go by the lower token index (run order), and distances within 1e-10 of each other
  count as tied: duplicate states (e.g. samples that share a prefix) otherwise "tie" or not
  depending on the BLAS's rounding.
* position_probe: folds = root groups when the fit tokens span >= 2, else branches when they
  span >= 2, else null.  For each fold the view is fitted again on the other folds' fit
  tokens and applied; a ridge probe is trained on the other folds' covered fit tokens and
  predicts the fold's covered fit tokens: X standardised on the training rows (population
  std; std < 1e-12 * the largest -> feature 0), y centred, w = (Xs^T Xs + 100 I)^-1 Xs^T
  (y - ybar), prediction ybar + xs . w.  R^2 over the pooled held-out predictions, pbar their
  mean position.
* PCA: as reference.py (SVD, same rank tolerance, each axis's largest-|entry| component
  positive), fitted on the fit tokens; coordinates (y - mean_fit) . v_k for every covered
  token.  trustworthiness: sklearn.manifold.trustworthiness(Y_fit, pca2_fit, n_neighbors=10)
  when 10 < n_fit / 2, else null (`--stable-trust`: a NumPy implementation that breaks ties, as
  between duplicate states, by lower index, as kNN purity does; sklearn's order is its own).
  silhouette_root: sklearn.metrics.silhouette_score(pca2_fit, root groups) when
  2 <= n_groups <= n_fit - 1, else null.
* issue 18 (the exact wording: /work/spec/issue18-numbers.md):
  position_knn_r2: R^2 of each fit row's position predicted by the mean position of its
  min(10, #others) cosine-nearest fit rows with another exclusion label (root group when the
  layer's fit tokens span >= 2, else branch; ties as kNN purity); position_knn_r2_control: the
  same neighbours, positions permuted within root groups (SplitMix64, seed 2019, one stream per
  layer and view; a control task after Hewitt & Liang 2019); selectivity = the difference.
  Per layer over the raw fit states: mean_cosine over ordered pairs and rogue_dimensions (the
  fewest dimensions, at most 8, holding half of it by Timkey & van Schijndel 2021's
  per-dimension contribution). With every layer computed: recommended_view and each layer's
  attribution (`recommend`).
* issue 19 (`--clusters SPEC`): each view's cluster analysis on its fit states, as
  reference_clusters.py defines it (HDBSCAN / k-means, AMI / ARI, group summaries, c-TF-IDF).

Usage:
    python3 Tests/Fixtures/reference_views.py RUN_DIR [--out FILE] [--views raw,leace,...]
        [--massive-ratio 10] [--keep-massive] [--regress-degree 3] [--regress-fourier 4]
        [--leace-concept basis|onehot|both] [--abtt-components D] [--layers 0,5]
        [--check-leace] [--stable-trust] [--clusters hdbscan|hdbscan:M|kmeans:K|off] [--verbose]
"""

import argparse
import json
import math
import os
import sys
import time

# one BLAS thread: reproducible sums, and no spinning threads on a busy machine
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep Tests/Fixtures free of __pycache__
sys.path.insert(0, HERE)
import reference  # noqa: E402

BASE_VIEWS = ("raw", "position_mean", "regress", "leace", "abtt", "zero_pe")
DEFAULT_VIEWS = ("raw", "raw+z", "position_mean", "position_mean+z", "regress", "leace", "leace+z",
                 "abtt")
KNN_K = 10
TRUST_K = 10
ERASED_ALL = 1e-12   # variance_kept below this: the view kept nothing but rounding noise
PROBE_LAMBDA = 100.0
RANK_TOL = 1e-10
TIE_TOL = 1e-10   # cosine distances this close count as tied (duplicate states, rounding)
TIE_REL = 1e-7    # Euclidean distances, relative to the row's largest: copies of a state end up ~1e-8 apart through the Gram formula
# Cosine measures: rows with norm <= COSINE_ZERO_REL * the largest row norm count as zero rows (cos 0
# with everything), as Forkscope's Neighbours.zeroNormTolerance. A row at its view's fit mean
# (position_mean+z of a shared prefix such as BOS, leace+z with few tokens) is zero in exact arithmetic
# but rounding noise (~1e-15) after +z, whose direction would otherwise decide its neighbours.
COSINE_ZERO_REL = 1e-10
# Below this mean cosine similarity no dimension is called rogue: near isotropy the contributions are
# sampling noise (Forkscope's RogueDimensions.minimumMeanCosine).
ROGUE_MIN_MEAN_COSINE = 0.1


class Options:
    def __init__(self, massive_ratio=10.0, keep_massive=False, regress_degree=3,
                 regress_fourier=4, leace_concept="basis", abtt_components=None,
                 check_leace=False, stable_trust=False):
        self.massive_ratio = float(massive_ratio)
        self.keep_massive = bool(keep_massive)
        self.regress_degree = int(regress_degree)
        self.regress_fourier = int(regress_fourier)
        self.leace_concept = leace_concept
        self.abtt_components = abtt_components
        self.check_leace = bool(check_leace)
        self.stable_trust = bool(stable_trust)


# --------------------------------------------------------------------------
# run structure


def root_groups(run):
    """Root group of every branch: its `group` field, else the id of its root."""
    by_id = {b["id"]: b for b in run.branches}
    out = {}
    for b in run.branches:
        g = b.get("group")
        if isinstance(g, str) or (isinstance(g, (int, float)) and not isinstance(g, bool)):
            # a string names the group, a number by its JSON text; anything else is ignored
            out[b["id"]] = g if isinstance(g, str) else json.dumps(g)
            continue
        cur = b
        seen = set()
        while cur.get("parent") is not None:
            if cur["id"] in seen:
                raise ValueError(f"cycle of parents at branch {cur['id']!r}")
            seen.add(cur["id"])
            cur = by_id[cur["parent"]]
        out[b["id"]] = cur["id"]
    return out


def label_codes(values):
    """Integer codes (first-seen order) for a list of hashable labels."""
    codes = {}
    return np.array([codes.setdefault(v, len(codes)) for v in values], dtype=np.int64)


# --------------------------------------------------------------------------
# massive activations


def top_dimensions(x, k=3):
    order = np.argsort(-np.abs(x), kind="stable")
    return [int(j) for j in order[:k]]


def detect_massive(X, Xz, tau):
    """(mask, median, ratio array, source array) -- source 0 raw, 1 zero_pe."""
    norms = np.linalg.norm(X, axis=1)
    med = float(np.median(norms)) if len(norms) else 0.0
    ratio = norms / med if med > 0 else np.where(norms > 0, np.inf, 0.0)
    mask = norms > tau * med
    source = np.zeros(len(norms), dtype=np.int64)
    ratios = ratio.copy()
    if Xz is not None:
        nz = np.linalg.norm(Xz, axis=1)
        mz = float(np.median(nz)) if len(nz) else 0.0
        rz = nz / mz if mz > 0 else np.where(nz > 0, np.inf, 0.0)
        maskz = nz > tau * mz
        only_z = maskz & ~mask
        source[only_z] = 1
        ratios[only_z] = rz[only_z]
        mask = mask | maskz
    return mask, med, ratios, source


# --------------------------------------------------------------------------
# position basis


def position_basis(positions, P, degree, fourier):
    p = np.asarray(positions, dtype=np.float64)
    u = p / P
    cols = [u ** k for k in range(1, degree + 1)]
    cols.append(np.log1p(p) / math.log1p(P))
    for k in range(1, fourier + 1):
        cols.append(np.sin(2.0 * math.pi * k * p / P))
        cols.append(np.cos(2.0 * math.pi * k * p / P))
    return np.stack(cols, axis=1) if cols else np.zeros((len(p), 0))


def standardised_basis(positions, fit, P, degree, fourier):
    """The basis of every token, standardised on the fit tokens, constant columns dropped."""
    Phi = position_basis(positions, P, degree, fourier)
    mu = Phi[fit].mean(axis=0)
    sd = Phi[fit].std(axis=0)
    keep = sd > 1e-12
    return (Phi[:, keep] - mu[keep]) / sd[keep]


def onehot_positions(positions, fit):
    """One-hot of the distinct positions of the fit tokens (rows for every token)."""
    positions = np.asarray(positions)
    levels = np.unique(positions[fit])
    return (positions[:, None] == levels[None, :]).astype(np.float64)


# --------------------------------------------------------------------------
# views: each returns (covered global indices, states of those tokens)


def view_position_mean(X, positions, branches, fit):
    n = X.shape[0]
    fit_idx = np.nonzero(fit)[0]
    seen = {}
    for i in fit_idx:
        seen.setdefault(int(positions[i]), set()).add(branches[i])
    supported = {p for p, bs in seen.items() if len(bs) >= 2}
    means = {p: X[[i for i in fit_idx if positions[i] == p]].mean(axis=0) for p in supported}
    cov = np.array([i for i in range(n) if int(positions[i]) in supported], dtype=np.int64)
    Y = np.array([X[i] - means[int(positions[i])] for i in cov]).reshape(len(cov), X.shape[1])
    return cov, Y


def view_regress(X, Phi_std, fit):
    n_fit = int(fit.sum())
    xbar = X[fit].mean(axis=0)
    Xc = X[fit] - xbar
    F = Phi_std[fit]
    lam = 1e-3 * n_fit
    B = np.linalg.solve(F.T @ F + lam * np.eye(F.shape[1]), F.T @ Xc)
    Y = X - xbar - Phi_std @ B
    return np.arange(X.shape[0]), Y


def leace_svd(X, Z, fit, rank_tol=RANK_TOL):
    """LEACE eraser in the thin SVD of the centred fit states. Returns (mu, M) with
    r(x) = x - (x - mu) @ M^T, i.e. M = V S Q Q^T S^-1 V^T."""
    mu = X[fit].mean(axis=0)
    Xc = X[fit] - mu
    Zc = Z[fit] - Z[fit].mean(axis=0)
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    d = X.shape[1]
    if len(s) == 0 or s[0] == 0.0 or Zc.shape[1] == 0:
        return mu, np.zeros((d, d))
    r = int(np.sum(s > rank_tol * s[0]))
    U, s, V = U[:, :r], s[:r], Vt[:r].T
    A = U.T @ Zc
    Qa, sa, _ = np.linalg.svd(A, full_matrices=False)
    if len(sa) == 0 or sa[0] == 0.0:
        return mu, np.zeros((d, d))
    # directions of A count against the concept's own size: where the states do not covary
    # with Z (e.g. already erased), A is rounding noise and nothing must be erased
    q = int(np.sum((sa > RANK_TOL * sa[0]) & (sa > RANK_TOL * np.linalg.norm(Zc))))
    Q = Qa[:, :q]
    M = (V * s) @ Q @ (Q.T / s) @ V.T
    return mu, M


def leace_eigh(X, Z, fit):
    """Textbook LEACE: r(x) = x - W+ P W (x - mu), W = (Sigma^+)^(1/2) from eigh(Sigma),
    P the orthogonal projection onto col(W Sigma_xz)."""
    mu = X[fit].mean(axis=0)
    n = int(fit.sum())
    Xc = X[fit] - mu
    Zc = Z[fit] - Z[fit].mean(axis=0)
    d = X.shape[1]
    Sigma = Xc.T @ Xc / n
    Sxz = Xc.T @ Zc / n
    w, E = np.linalg.eigh(Sigma)
    wmax = float(w.max()) if len(w) else 0.0
    if wmax <= 0.0:
        return mu, np.zeros((d, d))
    keep = w > max(n, d) * np.finfo(np.float64).eps * wmax
    Ek, wk = E[:, keep], w[keep]
    W = (Ek / np.sqrt(wk)) @ Ek.T
    Wp = (Ek * np.sqrt(wk)) @ Ek.T
    Mz = W @ Sxz
    Qm, sm, _ = np.linalg.svd(Mz, full_matrices=False)
    if len(sm) == 0 or sm[0] == 0.0:
        return mu, np.zeros((d, d))
    Q = Qm[:, : int(np.sum(sm > RANK_TOL * sm[0]))]
    M = Wp @ Q @ Q.T @ W
    return mu, M


def leace_concept(opts, positions, fit, Phi_std):
    if opts.leace_concept == "basis":
        return Phi_std
    if opts.leace_concept == "onehot":
        return onehot_positions(positions, fit)
    return np.hstack([Phi_std, onehot_positions(positions, fit)])


def check_leace(X, Z, fit, positions, label):
    """Both LEACE formulas agree, erasure leaves no cross-covariance with Z, and the edit
    is no larger than the orthogonal projection eraser's. Returns a dict of the numbers."""
    mu, Ms = leace_svd(X, Z, fit)
    mu2, Me = leace_eigh(X, Z, fit)
    Rs = X - (X - mu) @ Ms.T
    Re = X - (X - mu2) @ Me.T
    scale = max(1.0, float(np.max(np.abs(X - mu)))) if X.size else 1.0
    diff = float(np.max(np.abs(Rs - Re))) if X.size else 0.0
    n = int(fit.sum())
    Xc = X[fit] - mu
    # eigh of the covariance squares the condition number: singular values of the centred
    # states below sqrt(max(n, d) eps) * S_1 (kept by the SVD form, tolerance 1e-10) are
    # beyond its resolution.  Then compare with the SVD form truncated at that level instead.
    s_all = np.linalg.svd(Xc, compute_uv=False)
    resolvable = math.sqrt(max(Xc.shape) * np.finfo(np.float64).eps)
    ill = bool(len(s_all) and s_all[0] > 0 and np.any((s_all > RANK_TOL * s_all[0])
                                                      & (s_all < resolvable * s_all[0])))
    diff_full = diff
    if ill:
        _, Mt = leace_svd(X, Z, fit, rank_tol=resolvable)
        diff = float(np.max(np.abs((X - (X - mu) @ Mt.T) - Re)))
    Zc = Z[fit] - Z[fit].mean(axis=0)
    Sxz = Xc.T @ Zc / n
    Rc = Rs[fit] - Rs[fit].mean(axis=0)
    Srz = Rc.T @ Zc / n
    nxz = float(np.linalg.norm(Sxz))
    cross = float(np.linalg.norm(Srz)) / nxz if nxz > 0 else 0.0
    edit_leace = float(np.mean(np.sum((Rs[fit] - X[fit]) ** 2, axis=1)))
    Qo, so, _ = np.linalg.svd(Sxz, full_matrices=False)
    Qo = Qo[:, : int(np.sum(so > RANK_TOL * so[0]))] if len(so) and so[0] > 0 else Qo[:, :0]
    edit_ortho = float(np.mean(np.sum((Xc @ Qo) ** 2, axis=1)))
    info = {"svd_vs_eigh": diff / scale, "cross_cov_rel": cross,
            "edit_leace": edit_leace, "edit_ortho": edit_ortho, "ill_conditioned": ill,
            "svd_vs_eigh_full_rank": diff_full / scale}
    if ill:
        smin = float(np.min(s_all[s_all > RANK_TOL * s_all[0]]) / s_all[0])
        print(f"check-leace note: {label}: a singular value of the centred fit states is "
              f"{smin:.2g} * S_1 (kept at tolerance 1e-10, below eigh's resolution "
              f"{resolvable:.1g}); the full-rank SVD form differs from eigh by "
              f"{diff_full / scale:.2g} (relative), compared at rank tolerance "
              f"{resolvable:.1g} instead", file=sys.stderr)
    problems = []
    if diff > 1e-6 * scale:
        problems.append(f"SVD and eigh formulas differ by {diff:.3g} (scale {scale:.3g})")
    if cross > 1e-9:
        problems.append(f"cross-covariance after erasure {cross:.3g} of before")
    if edit_leace > edit_ortho * (1 + 1e-9) + 1e-12 * scale * scale:
        problems.append(f"LEACE edit {edit_leace:.6g} > orthogonal eraser's {edit_ortho:.6g}")
    # oracle LEACE with one-hot positions = position_mean (+ mu) on the fit tokens
    Zo = onehot_positions(positions, fit)
    Zoc = Zo[fit] - Zo[fit].mean(axis=0)
    oracle = X[fit] - Zoc @ np.linalg.lstsq(Zoc, Xc, rcond=1e-10)[0]
    pm = np.empty_like(X[fit])
    pf = np.asarray(positions)[fit]
    for p in np.unique(pf):
        sel = pf == p
        pm[sel] = X[fit][sel] - X[fit][sel].mean(axis=0) + mu
    od = float(np.max(np.abs(oracle - pm))) if pm.size else 0.0
    info["oracle_vs_position_mean"] = od / scale
    if od > 1e-8 * scale:
        problems.append(f"oracle LEACE differs from x - m_p + mu by {od:.3g}")
    for p in problems:
        print(f"check-leace FAILED: {label}: {p}", file=sys.stderr)
    return info, problems


def view_abtt(X, fit, D):
    mu = X[fit].mean(axis=0)
    Xc = X[fit] - mu
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    r = int(np.sum(s > RANK_TOL * s[0])) if len(s) and s[0] > 0 else 0
    U = Vt[: min(D, r)].T
    Y = (X - mu) - ((X - mu) @ U) @ U.T
    return np.arange(X.shape[0]), Y


def zscore(Y, fit_local):
    mu = Y[fit_local].mean(axis=0)
    sd = Y[fit_local].std(axis=0)
    smax = float(sd.max()) if sd.size else 0.0
    keep = sd >= 1e-12 * smax if smax > 0 else np.zeros_like(sd, dtype=bool)
    out = np.zeros_like(Y)
    out[:, keep] = (Y[:, keep] - mu[keep]) / sd[keep]
    return out


# --------------------------------------------------------------------------
# measures


def position_r2_sets(Y, positions, branches):
    """position_r2, heldout, chance over rows at positions with >= 2 distinct branches."""
    n = Y.shape[0]
    bypos = {}
    for i in range(n):
        bypos.setdefault(int(positions[i]), set()).add(branches[i])
    sup = np.array([len(bypos[int(positions[i])]) >= 2 for i in range(n)], dtype=bool)
    N = int(sup.sum())
    if N == 0:
        return None, None, None
    Ys = Y[sup]
    ps = np.asarray(positions)[sup]
    bs = [branches[i] for i in np.nonzero(sup)[0]]
    ybar = Ys.mean(axis=0)
    den = float(np.sum((Ys - ybar) ** 2))
    G = len(set(ps.tolist()))
    chance = (G - 1) / (N - 1) if N > 1 else None
    if den == 0.0:
        return None, None, chance
    # within-position means and leave-one-branch-out means
    sum_p, cnt_p, sum_pb, cnt_pb = {}, {}, {}, {}
    for row, (p, b) in enumerate(zip(ps.tolist(), bs)):
        sum_p[p] = sum_p.get(p, 0.0) + Ys[row]
        cnt_p[p] = cnt_p.get(p, 0) + 1
        sum_pb[(p, b)] = sum_pb.get((p, b), 0.0) + Ys[row]
        cnt_pb[(p, b)] = cnt_pb.get((p, b), 0) + 1
    M = np.empty_like(Ys)
    H = np.empty_like(Ys)
    for row, (p, b) in enumerate(zip(ps.tolist(), bs)):
        M[row] = sum_p[p] / cnt_p[p]
        H[row] = (sum_p[p] - sum_pb[(p, b)]) / (cnt_p[p] - cnt_pb[(p, b)])
    r2 = 1.0 - float(np.sum((Ys - M) ** 2)) / den
    r2h = 1.0 - float(np.sum((Ys - H) ** 2)) / den
    return r2, r2h, chance


def ridge_fit_predict(Xtr, ytr, Xte, lam=PROBE_LAMBDA):
    """Ridge with intercept on features z-scored on the training rows (population std;
    std < 1e-12 * the largest std -> feature 0): ybar + xs . w,
    w = (Xs'Xs + lam I)^-1 Xs'(y - ybar)."""
    mu = Xtr.mean(axis=0)
    sd = Xtr.std(axis=0)
    smax = float(sd.max()) if sd.size else 0.0
    ok = sd >= 1e-12 * smax if smax > 0 else np.zeros(sd.shape, dtype=bool)
    scale = np.where(ok, sd, 1.0)
    Xs = np.where(ok, (Xtr - mu) / scale, 0.0)
    Xh = np.where(ok, (Xte - mu) / scale, 0.0)
    ybar = float(ytr.mean())
    w = np.linalg.solve(Xs.T @ Xs + lam * np.eye(Xs.shape[1]), Xs.T @ (ytr - ybar))
    return ybar + Xh @ w


def probe_folds(fit, groups, branches):
    """Fold label of every token (root groups when the fit tokens span >= 2, else branches
    when they span >= 2), or None."""
    fidx = np.nonzero(fit)[0]
    if len({groups[i] for i in fidx}) >= 2:
        return label_codes(groups)
    if len({branches[i] for i in fidx}) >= 2:
        return label_codes(branches)
    return None


def position_probe(view, ctx, fit, groups, branches, cache):
    """Held-out R^2 of the ridge position probe, the view fitted again without each fold."""
    folds = probe_folds(fit, groups, branches)
    if folds is None:
        return None
    n = len(fit)
    y = ctx.positions.astype(np.float64)
    pred_idx, preds = [], []
    for f in np.unique(folds[fit]):
        held = fit & (folds == f)
        train = fit & (folds != f)
        if not train.any():
            continue
        cov, _, Y = fit_view(view, ctx, train, cache, key=("fold", int(f)))
        row = np.full(n, -1, dtype=np.int64)
        row[cov] = np.arange(len(cov))
        tr = np.nonzero(train & (row >= 0))[0]
        te = np.nonzero(held & (row >= 0))[0]
        if len(tr) == 0 or len(te) == 0:
            continue
        preds.append(ridge_fit_predict(Y[row[tr]], y[tr], Y[row[te]]))
        pred_idx.append(te)
    if not preds:
        return None
    idx = np.concatenate(pred_idx)
    p = y[idx]
    phat = np.concatenate(preds)
    den = float(np.sum((p - p.mean()) ** 2))
    if den == 0.0:
        return None
    return 1.0 - float(np.sum((p - phat) ** 2)) / den


def tie_order(d, candidates, tol):
    """candidates (increasing index) ordered by distance d[candidates], where distances that
    chain within tol of each other (after sorting) count as tied and go by lower index."""
    order = candidates[np.argsort(d[candidates], kind="stable")]
    ds = d[order]
    cluster = np.concatenate([[0], np.cumsum(np.diff(ds) > tol)]) if len(ds) else ds
    return order[np.lexsort((order, cluster))]


def unit_rows(Y):
    """Rows scaled to unit norm; zero rows (norm <= COSINE_ZERO_REL * the largest) stay 0."""
    norms = np.linalg.norm(Y, axis=1)
    zero = norms <= COSINE_ZERO_REL * (float(norms.max()) if len(norms) else 0.0)
    return np.where(zero[:, None], 0.0, Y / np.where(zero, 1.0, norms)[:, None])


def cosine_neighbours(Y, k_max=KNN_K):
    """[n, k] indices of each row's k = min(k_max, n - 1) nearest other rows by cosine
    distance 1 - cos (a zero row has cos 0 with every row), ties (distances within TIE_TOL,
    i.e. equal up to rounding, as for duplicate states) by lower row index.
    None when n < 2."""
    n = Y.shape[0]
    if n < 2:
        return None
    k = min(k_max, n - 1)
    Yn = unit_rows(Y)
    D = 1.0 - Yn @ Yn.T
    np.fill_diagonal(D, np.inf)
    kth = np.partition(D, k - 1, axis=1)[:, k - 1]
    nb = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        cand = np.nonzero(D[i] <= kth[i] + 1e-6)[0]  # all that can tie with the k-th
        nb[i] = tie_order(D[i], cand, TIE_TOL)[:k]
    return nb


def trustworthiness_stable(X, E, k):
    """Trustworthiness (Venna & Kaski) with every tie broken by lower index: ranks in the
    original space and neighbours in the layout both ordered by (distance, index), distances
    within 1e-7 of the row's largest counting as tied."""
    n = X.shape[0]
    X = X - X.mean(axis=0)   # distances do not depend on the origin; less cancellation
    sq = np.sum(X * X, axis=1)
    DX = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * (X @ X.T), 0.0))
    DE = np.sqrt(np.sum((E[:, None, :] - E[None, :, :]) ** 2, axis=2))
    np.fill_diagonal(DX, np.inf)
    np.fill_diagonal(DE, np.inf)
    allidx = np.arange(n)
    t = 0
    for i in range(n):
        others = np.delete(allidx, i)
        rx = tie_order(DX[i], others, TIE_REL * float(np.max(DX[i, others])))
        rank = np.empty(n, dtype=np.int64)
        rank[rx] = np.arange(1, n)                 # 1 = nearest
        ne = tie_order(DE[i], others, TIE_REL * float(np.max(DE[i, others])))[:k]
        t += int(np.sum(np.maximum(rank[ne] - k, 0)))
    return 1.0 - t * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))


def knn_purity(nb, labels):
    """(purity, chance) for neighbour lists nb (from cosine_neighbours) and row labels."""
    if nb is None:
        return None, None
    n, k = nb.shape
    codes = label_codes(labels)
    same = codes[nb] == codes[:, None]
    purity = float(np.mean(same.sum(axis=1) / k))
    counts = np.bincount(codes)
    chance = float(np.mean((counts[codes] - 1) / (n - 1)))
    return purity, chance


# --------------------------------------------------------------------------
# issue 18: kNN position R^2 with its control, anisotropy, rogue dimensions, recommendation

MASK64 = (1 << 64) - 1
GOLDEN64 = 0x9E3779B97F4A7C15
CONTROL_SEED = 2019
KNN_QUERIES = 4096
ROGUE_MAX_DIMS = 8


def _mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


class SplitMix64:
    """SplitMix64 (Steele, Lea & Flood 2014) as the spec words it: the seed is mixed once,
    then next() adds the golden gamma and mixes. Python ints, every step mod 2^64."""

    def __init__(self, seed=CONTROL_SEED):
        self.state = _mix64((seed + GOLDEN64) & MASK64)

    def next(self):
        self.state = (self.state + GOLDEN64) & MASK64
        return _mix64(self.state)

    def below(self, n):
        """An integer in [0, n): the top 32 bits scaled by n (Lemire's multiply, no rejection)."""
        return ((self.next() >> 32) * n) >> 32


def permute_within_groups(y, groups, rng):
    """y with its values shuffled (Fisher-Yates, i = m-1 .. 1, j = below(i+1)) within each
    group; groups taken in order of their first row; one stream rng across the groups."""
    y = np.asarray(y, dtype=np.float64)
    out = y.copy()
    codes = label_codes(groups)   # first-seen order = order of first row
    for g in range(int(codes.max()) + 1 if len(codes) else 0):
        idx = np.nonzero(codes == g)[0]
        vals = y[idx].copy()
        for i in range(len(idx) - 1, 0, -1):
            j = rng.below(i + 1)
            vals[i], vals[j] = vals[j], vals[i]
        out[idx] = vals
    return out


def knn_queries(nf, q_max=KNN_QUERIES):
    """The query rows of the kNN measures: all when nf <= q_max, else floor(i nf / q_max)."""
    return np.arange(nf) if nf <= q_max else (np.arange(q_max) * nf) // q_max


def excluded_neighbours(Y, labels, queries, k_max=KNN_K):
    """For each query row, its k = min(k_max, #rows with another label) nearest rows by cosine
    distance among the rows whose label differs from its own, ties (chained within TIE_TOL)
    by lower row index, as cosine_neighbours. None if some query has no such row."""
    codes = label_codes(labels)
    Yn = unit_rows(Y)
    D = 1.0 - Yn[queries] @ Yn.T
    out = []
    for row, i in enumerate(queries):
        cand = np.nonzero(codes != codes[i])[0]
        if len(cand) == 0:
            return None
        out.append(tie_order(D[row], cand, TIE_TOL)[:k_max])
    return out


def knn_r2(y, queries, nbs):
    """1 - sum (y_i - mean y[N(i)])^2 / sum (y_i - ybar)^2 over the queries; None if the
    denominator is 0."""
    yq = y[queries]
    yhat = np.array([y[nb].mean() for nb in nbs])
    den = float(np.sum((yq - yq.mean()) ** 2))
    return None if den == 0.0 else 1.0 - float(np.sum((yq - yhat) ** 2)) / den


def position_knn(Yf, pos_f, excl_f, gr_f, seed=CONTROL_SEED):
    """(position_knn_r2, position_knn_r2_control) of one view's fit rows: R^2 of predicting each
    row's position by the mean position of its 10 nearest rows from other groups (exclusion
    labels excl_f), and the same neighbours with positions permuted within root groups gr_f --
    a control task in the sense of Hewitt & Liang (2019), "Designing and interpreting probes
    with control tasks": what the neighbours recover of a position that carries no structure."""
    nf = Yf.shape[0]
    if nf < 2:
        return None, None
    y = np.asarray(pos_f, dtype=np.float64)
    q = knn_queries(nf)
    nbs = excluded_neighbours(Yf, excl_f, q)
    if nbs is None:
        return None, None
    y_control = permute_within_groups(y, gr_f, SplitMix64(seed))
    return knn_r2(y, q, nbs), knn_r2(y_control, q, nbs)


def cosine_contributions(Xf):
    """(mean_cosine, c) over all ordered pairs i != j of the rows, u_i = x_i / ||x_i|| (0 for a
    zero row): mean_cosine = (||sum u_i||^2 - sum ||u_i||^2) / (n (n-1)), and per dimension
    c_a = ((sum_i u_ia)^2 - sum_i u_ia^2) / (n (n-1)), sum_a c_a = mean_cosine: Timkey & van
    Schijndel (2021), "All bark and no bite: rogue dimensions in transformer language models
    obscure representational quality", their contribution of a dimension to the expected cosine
    similarity, here exact instead of sampled. (None, None) when n < 2."""
    n = Xf.shape[0]
    if n < 2:
        return None, None
    norms = np.linalg.norm(Xf, axis=1)
    U = np.where(norms[:, None] > 0, Xf / np.where(norms > 0, norms, 1.0)[:, None], 0.0)
    s = U.sum(axis=0)
    pairs = n * (n - 1.0)
    mc = (float(s @ s) - float(np.sum(U * U))) / pairs
    return mc, (s * s - np.sum(U * U, axis=0)) / pairs


def anisotropy(Xf, max_dims=ROGUE_MAX_DIMS):
    """(mean_cosine, rogue_dimensions) of a layer's raw fit states: rogue = the fewest dimensions
    (c_a descending, ties by lower index) whose c_a sum to >= half of mean_cosine, as
    [{"dimension", "share" = c_a / mean_cosine}], when there are at most max_dims of them
    (else [], and [] when mean_cosine is null or < ROGUE_MIN_MEAN_COSINE)."""
    mc, c = cosine_contributions(Xf)
    if mc is None or not mc >= ROGUE_MIN_MEAN_COSINE:
        return mc, []
    order = np.argsort(-c, kind="stable")
    reach = np.nonzero(np.cumsum(c[order]) >= 0.5 * mc)[0]
    length = int(reach[0]) + 1 if len(reach) else len(c) + 1
    if length > max_dims:
        return mc, []
    return mc, [{"dimension": int(a), "share": float(c[a] / mc)} for a in order[:length]]


def content_measure(run):
    """The content measure of the recommendation: root_knn_purity when the run's tokens span
    >= 2 root groups, else branch_knn_purity."""
    gmap = root_groups(run)
    return "root_knn_purity" if len({gmap[b] for b in run.token_branch}) >= 2 \
        else "branch_knn_purity"


def middle_means(layers, view, key):
    """Mean of the non-null values of views[view][key] over the middle third of the layers
    (layers[n//3 : n - n//3], all when n < 3); None when there is none."""
    n = len(layers)
    mid = layers if n < 3 else layers[n // 3: n - n // 3]
    vals = [l["views"][view].get(key) for l in mid if view in l.get("views", {})]
    vals = [float(v) for v in vals if v is not None]
    return sum(vals) / len(vals) if vals else None


def choose_view(layers, candidates, content):
    """The recommendation rule over candidate views (build order): tier 1 = mean position_probe
    <= 0.2 and mean position_knn_selectivity undefined or < 0.5, tier 2 = mean position_probe
    <= 0.2; the largest mean content in the first non-empty tier (ties: first), else the
    smallest mean position_probe (ties: first); None with no candidate (a candidate has defined
    mean position_probe and content)."""
    rows = []
    for v in candidates:
        probe, cont = middle_means(layers, v, "position_probe"), middle_means(layers, v, content)
        if probe is not None and cont is not None:
            rows.append((v, probe, cont, middle_means(layers, v, "position_knn_selectivity")))
    tier2 = [r for r in rows if r[1] <= 0.2]
    tier1 = [r for r in tier2 if r[3] is None or r[3] < 0.5]
    for tier in (tier1, tier2):
        if tier:
            best = tier[0]
            for r in tier[1:]:
                if r[2] > best[2]:
                    best = r
            return best[0]
    if not rows:
        return None
    best = rows[0]
    for r in rows[1:]:
        if r[1] < best[1]:
            best = r
    return best[0]


ERASER_VIEWS = ("position_mean+z", "regress+z", "leace+z")


def attribution_rungs(layer, views, content, eraser):
    """One layer's attribution object (None unless raw was built): the raw view, raw+z (the
    rogue-dimensions step) when built, the eraser when there is one; each with that view's own
    numbers at the layer."""
    if "raw" not in views:
        return None
    steps = [("raw", "raw")]
    if "raw+z" in views:
        steps.append(("rogue_dimensions", "raw+z"))
    if eraser is not None:
        steps.append(("position", eraser))
    rungs = []
    for step, v in steps:
        m = layer.get("views", {}).get(v) or {}
        rungs.append({"step": step, "view": v, "content": m.get(content),
                      "position_probe": m.get("position_probe"),
                      "position_knn_r2": m.get("position_knn_r2"),
                      "position_knn_r2_control": m.get("position_knn_r2_control")})
    return {"content_measure": content, "rungs": rungs}


def recommend(layers, views, content):
    """(recommended_view, [attribution of each layer]) for the layer dicts (with "views", in the
    run's layer order, ALL layers: the middle third is taken over them), the views in build order
    and the content measure name. Candidates: views whose base is not raw; the attribution's
    eraser: the same rule over position_mean+z, regress+z, leace+z as built."""
    rec = choose_view(layers, [v for v in views if v not in ("raw", "raw+z")], content)
    eraser = eraser_view(layers, views, content)
    return rec, [attribution_rungs(l, views, content, eraser) for l in layers]


def eraser_view(layers, views, content):
    """The attribution's eraser: the recommendation rule over the built +z erasers."""
    return choose_view(layers, [v for v in views if v in ERASER_VIEWS], content)


def pca_fit(Y):
    """reference.pca2's PCA, also returning the mean and axes. (mean, [v1, v2] or fewer,
    explained) or None when fewer than 2 rows."""
    n, d = Y.shape
    if n < 2:
        return None
    mean = Y.mean(axis=0)
    Xc = Y - mean
    total = float(np.sum(Xc ** 2))
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    lam = s ** 2
    scale = float(np.max(np.abs(Y))) if Y.size else 0.0
    eps = np.finfo(np.float64).eps
    tol = max(s[0] * max(n, d) * eps, scale * max(n, d) * eps * np.sqrt(n))
    rank = int(np.sum(s > tol))
    vecs = []
    explained = [0.0, 0.0]
    for k in range(min(rank, 2)):
        vecs.append(reference._sign_fix(Vt[k].copy()))
        explained[k] = float(lam[k] / total)
    return mean, vecs, explained


def pca_apply(fit_result, Y):
    mean, vecs, _ = fit_result
    C = np.zeros((Y.shape[0], 2))
    for k, v in enumerate(vecs):
        C[:, k] = (Y - mean) @ v
    return C


def measures(Y, Y_pre, X_raw_cov, cov, fit_local, positions, branches, groups, probe,
             stable_trust=False, exclusion=None):
    """All measures of one view. Y: states of the covered tokens; Y_pre: before +z;
    probe: the position_probe value (computed with fold refits, see position_probe);
    exclusion: the kNN position R^2's exclusion label of every token (root groups when the
    layer's fit tokens span >= 2, else branches; default root groups)."""
    from sklearn.manifold import trustworthiness
    from sklearn.metrics import silhouette_score

    out = {k: None for k in ("variance_kept", "position_r2", "position_r2_heldout",
                             "position_r2_chance", "position_probe", "root_knn_purity",
                             "root_knn_chance", "branch_knn_purity", "branch_knn_chance",
                             "pca_explained_variance", "trustworthiness", "silhouette_root",
                             "position_knn_r2", "position_knn_r2_control",
                             "position_knn_selectivity")}
    out["tokens"] = int(len(cov))
    fidx = cov[fit_local]
    out["fit_tokens"] = int(len(fidx))
    coords = None
    nf = len(fidx)
    if nf == 0:
        return out, coords
    Yf = Y[fit_local]
    pos_f = [int(positions[i]) for i in fidx]
    br_f = [branches[i] for i in fidx]
    gr_f = [groups[i] for i in fidx]

    vr = float(np.sum(X_raw_cov[fit_local].var(axis=0)))
    vv = float(np.sum(Y_pre[fit_local].var(axis=0)))
    out["variance_kept"] = vv / vr if vr > 0 else None
    if out["variance_kept"] is not None and out["variance_kept"] < ERASED_ALL:
        return out, coords   # the view erased everything: the rest would measure rounding noise

    r2, r2h, ch = position_r2_sets(Yf, pos_f, br_f)
    out["position_r2"], out["position_r2_heldout"], out["position_r2_chance"] = r2, r2h, ch
    out["position_probe"] = probe
    nb = cosine_neighbours(Yf)
    out["root_knn_purity"], out["root_knn_chance"] = knn_purity(nb, gr_f)
    out["branch_knn_purity"], out["branch_knn_chance"] = knn_purity(nb, br_f)
    ex_f = gr_f if exclusion is None else [exclusion[i] for i in fidx]
    r2k, r2c = position_knn(Yf, pos_f, ex_f, gr_f)
    out["position_knn_r2"], out["position_knn_r2_control"] = r2k, r2c
    if r2k is not None and r2c is not None:
        out["position_knn_selectivity"] = r2k - r2c

    fitted = pca_fit(Yf)
    if fitted is not None:
        out["pca_explained_variance"] = fitted[2]
        coords = pca_apply(fitted, Y)
        Cf = coords[fit_local]
        if TRUST_K < nf / 2:   # as sklearn requires
            if stable_trust:
                out["trustworthiness"] = float(trustworthiness_stable(Yf, Cf, TRUST_K))
            else:
                out["trustworthiness"] = float(trustworthiness(Yf, Cf, n_neighbors=TRUST_K))
        ng = len(set(gr_f))
        if 2 <= ng <= nf - 1:
            out["silhouette_root"] = float(silhouette_score(Cf, label_codes(gr_f)))
    return out, coords


# --------------------------------------------------------------------------
# driver


def parse_views(text, has_zero_pe):
    if text is None:
        names = list(DEFAULT_VIEWS) + (["zero_pe"] if has_zero_pe else [])
    else:
        names = [v.strip() for v in text.split(",") if v.strip()]
    for v in names:
        base = v[:-2] if v.endswith("+z") else v
        if base not in BASE_VIEWS:
            raise ValueError(f"unknown view {v!r} (views: {', '.join(BASE_VIEWS)}, each with +z)")
        if base == "zero_pe" and not has_zero_pe:
            raise ValueError("view zero_pe asked for, but run.json lists no zero_pe variant")
    if len(set(names)) != len(names):
        raise ValueError("a view is listed twice")
    return names


def default_abtt(d):
    return max(1, int(math.floor(d / 100.0 + 0.5)))


class LayerContext:
    """What a view needs besides its fit mask: one layer's states and the run's layout."""

    def __init__(self, X, Xz, positions, branches, P, opts, D_abtt, label, checks):
        self.X, self.Xz = X, Xz
        self.positions, self.branches = positions, branches
        self.P, self.opts, self.D_abtt = P, opts, D_abtt
        self.label, self.checks = label, checks


def fit_base_view(name, ctx, fit):
    """(covered token indices, states) of a base view fitted on the tokens where fit is True."""
    X, n, opts = ctx.X, ctx.X.shape[0], ctx.opts
    if name == "raw":
        return np.arange(n), X
    if name == "zero_pe":
        return np.arange(n), ctx.Xz
    if name == "position_mean":
        return view_position_mean(X, ctx.positions, ctx.branches, fit)
    if name == "abtt":
        return view_abtt(X, fit, ctx.D_abtt)
    Phi = standardised_basis(ctx.positions, fit, ctx.P, opts.regress_degree,
                             opts.regress_fourier)
    if name == "regress":
        return view_regress(X, Phi, fit)
    if name == "leace":
        Z = leace_concept(opts, ctx.positions, fit, Phi)
        mu, M = leace_svd(X, Z, fit)
        return np.arange(n), X - (X - mu) @ M.T
    raise ValueError(name)


def fit_view(view, ctx, fit, cache, key):
    """(covered indices, states before +z, states) of `view` fitted on `fit`; the base view
    is cached under (base name, key)."""
    base = view[:-2] if view.endswith("+z") else view
    ck = (base, key)
    if ck not in cache:
        cache[ck] = fit_base_view(base, ctx, fit)
    cov, Yb = cache[ck]
    Y = zscore(Yb, fit[cov]) if view.endswith("+z") else Yb
    return cov, Yb, Y


def compute(run, views, opts, zrun=None, layers=None, log=None, umap_layouts=None, on_view=None):
    """umap_layouts, if given, is a function (layer, view) -> list of [x, y] or None per token (a
    built site's UMAP columns): the reference then checks that exactly the view's fit tokens have a
    point and adds umap_trustworthiness, computed from those points the same way as trustworthiness.
    on_view, if given, is called as on_view(layer, view, fit token indices (run order), the view's
    fit states, its measures dict) once each view's measures are computed (issue 19: the cluster
    analysis of reference_clusters.py runs on these rows)."""
    positions = np.array(run.token_position, dtype=np.int64)
    branches = list(run.token_branch)
    gmap = root_groups(run)
    groups = [gmap[b] for b in branches]
    n = run.n_tokens
    P = 1 + int(positions.max()) if n else 1
    shows_zpe = any(v in ("zero_pe", "zero_pe+z") for v in views)
    D_abtt = opts.abtt_components if opts.abtt_components is not None \
        else default_abtt(run.hidden_size)
    out_layers = []
    checks = []
    for li, L in enumerate(run.layers):
        if layers is not None and L not in layers:
            continue
        t0 = time.time()
        X = run.states[li]
        Xz = zrun.states[li] if zrun is not None else None
        mask, med, ratios, source = detect_massive(X, Xz if shows_zpe else None,
                                                   opts.massive_ratio)
        massive = []
        for i in np.nonzero(mask)[0]:
            src = X if source[i] == 0 else Xz
            massive.append({"branch": branches[i], "token_index": int(run.token_index[i]),
                            "position": int(positions[i]), "norm_ratio": float(ratios[i]),
                            "top_dimensions": top_dimensions(src[i])})
        fit = np.ones(n, dtype=bool) if opts.keep_massive else ~mask
        ctx = LayerContext(X, Xz, positions, branches, P, opts, D_abtt, f"layer {L}", checks)
        cache = {}
        fidx = np.nonzero(fit)[0]
        # exclusion label of the kNN position R^2: root groups if the layer's fit tokens span >= 2
        exclusion = groups if len({groups[i] for i in fidx}) >= 2 else branches
        mean_cos, rogue = anisotropy(X[fit])

        if opts.check_leace and any(v in ("leace", "leace+z") for v in views):
            Phi = standardised_basis(positions, fit, P, opts.regress_degree, opts.regress_fourier)
            Z = leace_concept(opts, positions, fit, Phi)
            info, problems = check_leace(X, Z, fit, positions, f"layer {L}")
            info["layer"] = L
            checks.append((info, problems))

        vout, cout = {}, {}
        for v in views:
            cov, Yb, Y = fit_view(v, ctx, fit, cache, key="all")
            fit_local = fit[cov]
            probe = position_probe(v, ctx, fit, groups, branches, cache)
            m, coords = measures(Y, Yb, X[cov], cov, fit_local, positions, branches, groups,
                                 probe, opts.stable_trust, exclusion)
            vout[v] = m
            if on_view is not None:
                on_view(L, v, cov[fit_local], Y[fit_local], m)
            layout = umap_layouts(L, v) if umap_layouts is not None else None
            if layout is not None:
                fit_tokens = set(int(i) for i in cov[fit_local])
                wrong = [i for i in range(n) if (layout[i] is not None) != (i in fit_tokens)]
                if wrong:
                    checks.append(({"layer": L, "view": v}, [f"layer {L} {v}: UMAP points do not match the fit tokens (first: token {wrong[0]})"]))
                elif m.get("pca_explained_variance") is not None and TRUST_K < len(fit_tokens) / 2:
                    U = np.array([layout[int(i)] for i in cov[fit_local]], dtype=np.float64)
                    m["umap_trustworthiness"] = float(trustworthiness_stable(Y[fit_local], U, TRUST_K) if opts.stable_trust
                                                      else trustworthiness(Y[fit_local], U, n_neighbors=TRUST_K))
            col = [None] * n
            if coords is not None:
                for row, i in enumerate(cov):
                    col[int(i)] = [float(coords[row, 0]), float(coords[row, 1])]
            cout[v] = col
        out_layers.append({"layer": L, "median_norm": med, "massive": massive,
                           "mean_cosine": mean_cos, "rogue_dimensions": rogue,
                           "views": vout, "coordinates": cout})
        if log:
            log(f"layer {L}: {time.time() - t0:.2f}s, {len(massive)} massive")
    result = {"layers": out_layers}
    if layers is None:   # the middle third needs every layer: only then the recommendation
        rec, attr = recommend(out_layers, views, content_measure(run))
        result["recommended_view"] = rec
        for entry, a in zip(out_layers, attr):
            entry["attribution"] = a
    return result, checks


def main(argv=None):
    ap = argparse.ArgumentParser(description="NumPy reference for Forkscope views and measures")
    ap.add_argument("run_dir")
    ap.add_argument("--out", help="write JSON here (default: stdout)")
    ap.add_argument("--views", help="comma-separated views (default: raw,raw+z,position_mean,"
                    "position_mean+z,regress,leace,leace+z,abtt and zero_pe when the run has it)")
    ap.add_argument("--massive-ratio", type=float, default=10.0)
    ap.add_argument("--keep-massive", action="store_true")
    ap.add_argument("--regress-degree", type=int, default=3)
    ap.add_argument("--regress-fourier", type=int, default=4)
    ap.add_argument("--leace-concept", choices=("basis", "onehot", "both"), default="basis")
    ap.add_argument("--abtt-components", type=int)
    ap.add_argument("--layers", help="comma-separated model layer indices (default: all)")
    ap.add_argument("--check-leace", action="store_true",
                    help="cross-check LEACE (SVD vs eigh formula, erasure, optimality)")
    ap.add_argument("--stable-trust", action="store_true",
                    help="trustworthiness by the NumPy implementation with ties broken by lower "
                    "index (default: sklearn.manifold.trustworthiness, whose tie order is its own)")
    ap.add_argument("--clusters", help="issue 19: add each view's cluster analysis (hdbscan, hdbscan:M, "
                    "kmeans:K or off; reference_clusters.py) as views[v].clusters and cluster_ami_*")
    ap.add_argument("--verbose", action="store_true", help="per-layer timings on stderr")
    args = ap.parse_args(argv)
    try:
        run = reference.load_run(args.run_dir)
        has_zpe = "zero_pe" in (run.meta.get("variants") or {})
        views = parse_views(args.views, has_zpe)
        zrun = None
        if any(v.startswith("zero_pe") for v in views):
            zrun = reference.load_run(args.run_dir, "zero_pe")
            if zrun.states.shape != run.states.shape:
                raise ValueError("zero_pe variant's states do not match the main tensors")
        layers = None
        if args.layers:
            layers = [int(x) for x in args.layers.split(",") if x.strip()]
            unknown = [L for L in layers if L not in run.layers]
            if unknown:
                raise ValueError(f"layers {unknown} are not in the run (have {run.layers})")
    except (OSError, ValueError, KeyError) as e:
        print(f"error: {args.run_dir}: {e}", file=sys.stderr)
        return 2
    if args.abtt_components is not None and args.abtt_components < 1:
        print("error: --abtt-components must be >= 1", file=sys.stderr)
        return 2
    opts = Options(args.massive_ratio, args.keep_massive, args.regress_degree,
                   args.regress_fourier, args.leace_concept, args.abtt_components,
                   args.check_leace, args.stable_trust)
    log = (lambda s: print(s, file=sys.stderr)) if args.verbose else None
    on_view = None
    if args.clusters:
        import reference_clusters
        try:
            reference_clusters.parse_setting(args.clusters)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        gmap = root_groups(run)

        def on_view(L, v, fit_indices, Y_fit, m):
            c, _ = reference_clusters.view_clusters(run, fit_indices, Y_fit, m, args.clusters, gmap)
            m["clusters"] = c
            for key in reference_clusters.SCORE_KEYS:
                m[f"cluster_ami_{key}"] = None if c is None else c[f"ami_{key}"]
    result, checks = compute(run, views, opts, zrun, layers, log, on_view=on_view)
    text = reference.dumps(result)
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    if args.check_leace:
        bad = 0
        for info, problems in checks:
            bad += bool(problems)
            print(f"check-leace layer {info['layer']}: svd-vs-eigh {info['svd_vs_eigh']:.2e}, "
                  f"cross-cov {info['cross_cov_rel']:.2e}, edit leace {info['edit_leace']:.6g} "
                  f"<= ortho {info['edit_ortho']:.6g}, oracle-vs-position_mean "
                  f"{info['oracle_vs_position_mean']:.2e}"
                  + ("  FAILED" if problems else "  ok"), file=sys.stderr)
        if not checks:
            print("check-leace: no leace view computed", file=sys.stderr)
        if bad:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
