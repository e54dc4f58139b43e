#!/usr/bin/env python3
"""Independent NumPy / scikit-learn reference for Forkscope's cluster analysis (issue 19;
docs/views-and-measures.md#clusters).

Clustering runs per layer and per view on the view's FIT states (reference_views: the fit tokens
in run order, the view's full-dimensional states after debiasing and optional +z), in the geometry
of the neighbourhood measures, cosine: every row scaled to unit length (reference_views.unit_rows:
rows of norm <= 1e-10 * the largest stay zero), then Euclidean distance sqrt(2 - 2 cos).  Zero rows
have no direction: they are not clustered (label -1; at the origin, at distance 1 +- rounding from
every unit row, their near-ties would decide the tree: ARI 0.3 between runs that differ by 1e-15
on the shared topics run's position_mean views).  "Rows" below are the other, clustered rows.

* HDBSCAN (Campello, Moulavi & Sander 2013; McInnes, Healy & Astels 2017) is scikit-learn's
  pipeline of HDBSCAN(min_cluster_size=m, min_samples=min(5, m), metric="euclidean", alpha=1,
  "eom", allow_single_cluster=False, algorithm="brute") -- pairwise_distances, core distance to the
  min_samples-th nearest row counting itself, Prim's tree from row 0 -- with ONE change: the tree's
  edges are sorted with a STABLE sort (sklearn's np.argsort is an unstable quicksort, so tied
  edges, common since many weigh some row's core distance, go in an order of its own; Forkscope
  keeps Prim's order).  Default m = max(5, min(100, floor(sqrt(n)/2 + 0.5))), n = all fit rows
  (zero rows included), or "hdbscan:M".  m > r (r clustered rows) or r < 2: every row is noise.
  Above SAMPLE_LIMIT = 2048 clustered rows, HDBSCAN runs on EvenSample(r, 2048) =
  [(2k+1) r // 4096] of them and every other clustered row takes the label (noise included) of
  its nearest sampled row (||u - s||^2, exact ties to the lower row); "sampled" = the rows
  HDBSCAN ran on.
* Labels are renumbered: clusters by size descending, ties by smallest member row; 0..C-1, noise -1.
* Sweep: m' in dedupe([max(2, floor(m/2+.5)), floor(3m/4+.5), m, floor(3m/2+.5), 2m]), each with
  min_samples = min(5, m) (the same for all), on the same rows (sampled and extended as above);
  count and noise share over all n fit rows (zero rows count as noise).  Null for k-means.
* k-means (Lloyd; k-means++ seeds, Arthur & Vassilvitskii 2007) on the unit rows: sklearn
  KMeans(n_clusters=min(K, rows), n_init=10, random_state=0); Forkscope's own is compared by ARI.
  "sampled" is the number of clustered rows.
* AMI (Vinh, Epps & Bailey 2010; sklearn adjusted_mutual_info_score, arithmetic) and ARI (Hubert &
  Arabie 1985; adjusted_rand_score) of (target, clusters) over the fit tokens, noise one group,
  always numbers (sklearn's conventions: 1 when neither side splits the tokens).  Targets: root
  group, branch, position decile, token text (told apart by code points).  Position decile:
  edges = np.quantile(fit positions, [k/10 for k in 1..9]) (linear), bucket =
  np.searchsorted(edges, p, side="right") in 0..9.
* No clusters (None): clustering off, fewer than 2 fit rows, or the view erased everything.
* Groups: clusters 0..C-1, then the noise group -1 last if any noise.  Per group: size;
  positions {min, max, histogram: 10 bins, bin = 10 (p - lo) // (hi - lo + 1), lo/hi the view's
  fit positions' min/max}; roots and branches [{name, share = count/size}] by share descending,
  ties by name in code-point order (Python str order); top_tokens: c-TF-IDF (below), up to 5;
  exemplars: up to 5 members nearest the group's centroid c (mean of its members' UNIT rows),
  Euclidean ||u - c||, order as reference_views.tie_order with tolerance 1e-7 * the largest
  ||u - c|| over ALL the view's fit rows (distances chaining within it count as tied and go by
  lower row; a group of identical states ties throughout), each {branch, token_index, position,
  token, before, after}: before = the up to 3 tokens preceding it in its branch's full sequence
  (ancestors' prefix included; oldest first), after = the up to 3 following tokens of the
  branch's own token list.
* Label: "unclustered" for noise; else the first of
  "position": p90 - p10 of the group's positions (np.percentile, linear) <= 0.1 * (max - min of the
              view's fit positions) and the group holds tokens of >= max(2, ceil(U/2)) units
              (units = root groups if the fit tokens span >= 2, else branches; U their number);
  "token":    2 * (count of the commonest token text) >= size;
  "content":  4 * (count of the largest unit) >= 3 * size;
  "mixed".
* c-TF-IDF (Grootendorst 2022, BERTopic's ClassTfidfTransformer with its defaults): classes = the
  groups (noise included), term = exact token text; tf = count[c][t] / total_c (L1 rows),
  avg = int(mean_c total_c) (truncated), f_t = sum_c count[c][t],
  score = (count / total_c) * log(avg / f_t + 1).  Top 5 of the class's terms by score desc, count
  desc, text in code-point order.

Module use: view_clusters(run, fit_indices, Y_fit, measures, setting) -> (structure as report.json's
"clusters" or None, labels of the fit rows).

    python3 Tests/Fixtures/reference_clusters.py      # self-test on planted data
"""

import math
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

SAMPLE_LIMIT = 2048
KMEANS_RESTARTS = 10
TOP_TOKENS = 5
EXEMPLARS = 5
CONTEXT = 3
EXEMPLAR_TIE_REL = 1e-7   # as reference_views.TIE_REL / Forkscope's Neighbours.euclideanTieTolerance
DECILE_Q = [k / 10 for k in range(1, 10)]
UNCLUSTERED, POSITION, TOKEN, CONTENT, MIXED = "unclustered", "position", "token", "content", "mixed"
SCORE_KEYS = ("root", "branch", "position", "token")


# --------------------------------------------------------------------------
# settings and parameters


def parse_setting(text):
    """settings.clusters -> (method, value): ("hdbscan", None | M), ("kmeans", K), ("off", None)."""
    if text is None or text == "off":
        return "off", None
    if text == "hdbscan":
        return "hdbscan", None
    method, sep, value = text.partition(":")
    if sep and method in ("hdbscan", "kmeans") and value.isdigit() and int(value) >= (2 if method == "hdbscan" else 1):
        return method, int(value)
    raise ValueError(f"settings.clusters {text!r}: expected hdbscan, hdbscan:M (M >= 2), kmeans:K (K >= 1) or off")


def default_min_cluster_size(n):
    return max(5, min(100, int(math.floor(math.sqrt(n) / 2 + 0.5))))


def default_min_samples(m):
    return min(5, m)


def sweep_sizes(m):
    out = []
    for v in (max(2, int(math.floor(m / 2 + 0.5))), int(math.floor(3 * m / 4 + 0.5)), m,
              int(math.floor(3 * m / 2 + 0.5)), 2 * m):
        if v not in out:
            out.append(v)
    return out


def even_sample(n, limit=SAMPLE_LIMIT):
    if n <= limit:
        return list(range(n))
    return [(2 * k + 1) * n // (2 * limit) for k in range(limit)]


# --------------------------------------------------------------------------
# clusterings


def renumber(labels):
    """Clusters by size descending, ties by smallest member row -> 0..C-1; noise stays -1."""
    labels = np.asarray(labels, dtype=np.int64)
    ids = [int(l) for l in np.unique(labels) if l >= 0]
    first = {l: int(np.argmax(labels == l)) for l in ids}
    size = {l: int(np.sum(labels == l)) for l in ids}
    order = sorted(ids, key=lambda l: (-size[l], first[l]))
    new = {l: k for k, l in enumerate(order)}
    return np.array([new[int(l)] if l >= 0 else -1 for l in labels], dtype=np.int64), len(order)


def sklearn_hdbscan(Y, m, min_samples=None, stable=True):
    """HDBSCAN's raw labels at min_cluster_size m, min_samples (default min(5, m)): scikit-learn's
    own steps, the spanning tree's edges sorted stably (stable=False: sklearn.cluster.HDBSCAN as
    is).  Every row is noise when n < 2 or m > n."""
    from sklearn.cluster import HDBSCAN
    from sklearn.cluster._hdbscan._linkage import make_single_linkage, mst_from_mutual_reachability
    from sklearn.cluster._hdbscan._reachability import mutual_reachability_graph
    from sklearn.cluster._hdbscan._tree import tree_to_labels
    from sklearn.metrics import pairwise_distances
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    n = Y.shape[0]
    ms = default_min_samples(m) if min_samples is None else min_samples
    if n < 2 or m > n:
        return np.full(n, -1, dtype=np.int64)
    if not stable:
        model = HDBSCAN(min_cluster_size=m, min_samples=ms, metric="euclidean", alpha=1.0,
                        cluster_selection_method="eom", allow_single_cluster=False, algorithm="brute", copy=True)
        return model.fit(Y).labels_.astype(np.int64)
    # _hdbscan_brute with alpha 1, then _process_mst with kind="stable"
    mr = mutual_reachability_graph(pairwise_distances(Y, metric="euclidean"), min_samples=min(ms, n))
    mst = mst_from_mutual_reachability(mr)
    mst = mst[np.argsort(mst["distance"], kind="stable")]
    labels, _ = tree_to_labels(make_single_linkage(mst), m, "eom", False, 0.0, None)
    return labels.astype(np.int64)


def extend_to_all(Y, sample, sample_labels):
    """Every row outside the sample takes the label of its nearest sampled row (||y - s||^2 from
    the differences; exact ties to the lower row)."""
    n = Y.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    sample = np.asarray(sample, dtype=np.int64)
    out[sample] = sample_labels
    S = Y[sample]
    rest = np.setdiff1d(np.arange(n), sample)
    for start in range(0, len(rest), 256):
        rows = rest[start:start + 256]
        D = np.sum((Y[rows][:, None, :] - S[None, :, :]) ** 2, axis=2)
        out[rows] = sample_labels[np.argmin(D, axis=1)]   # argmin: first (lower row) on ties
    return out


def hdbscan_labels(Y, m, min_samples=None):
    """(renumbered labels of all rows, rows HDBSCAN ran on); Y in the clustering's geometry."""
    n = Y.shape[0]
    sample = even_sample(n)
    if len(sample) == n:
        raw = sklearn_hdbscan(Y, m, min_samples)
    else:
        raw = extend_to_all(Y, sample, sklearn_hdbscan(Y[sample], m, min_samples))
    labels, _ = renumber(raw)
    return labels, len(sample)


def unit_rows(Y):
    """The clustering's geometry: rows at unit length, as reference_views' cosine measures (rows of
    norm <= 1e-10 * the largest are zero rows: no direction)."""
    import reference_views
    return reference_views.unit_rows(np.asarray(Y, dtype=np.float64))


def clustered_rows(U):
    """The rows that are clustered: every unit row but the zero rows.  A zero row (a state at its
    view's fit mean, e.g. a prompt token every root shares after position_mean) has no direction;
    kept at the origin it lies at distance 1 +- rounding from every other row, and those near-ties
    would decide the tree.  Zero rows are unclustered (-1)."""
    return np.nonzero(np.linalg.norm(U, axis=1) > 0)[0]


def view_hdbscan(U, m, min_samples):
    """(renumbered labels of every row, rows HDBSCAN ran on): HDBSCAN (sampled above 2048) over
    the clustered rows, zero rows -1."""
    rows = clustered_rows(U)
    labels = np.full(U.shape[0], -1, dtype=np.int64)
    lab, sampled = hdbscan_labels(U[rows], m, min_samples)
    labels[rows] = lab
    return renumber(labels)[0], sampled


def view_kmeans(U, K):
    rows = clustered_rows(U)
    labels = np.full(U.shape[0], -1, dtype=np.int64)
    labels[rows] = kmeans_labels(U[rows], K)
    return renumber(labels)[0]


def kmeans_labels(Y, K):
    from sklearn.cluster import KMeans
    n = Y.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    km = KMeans(n_clusters=min(K, n), n_init=KMEANS_RESTARTS, random_state=0).fit(Y)
    return renumber(km.labels_)[0]


# --------------------------------------------------------------------------
# scores


def position_deciles(positions):
    """Decile bucket 0..9 of each fit position (numpy's linear quantiles as edges, side right)."""
    p = np.asarray(positions, dtype=np.int64)
    edges = np.quantile(p, DECILE_Q)
    return np.searchsorted(edges, p, side="right").astype(np.int64)


def agreement(target, labels):
    """(AMI, ARI) of a target labelling against the clusters (sklearn's, always numbers)."""
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score
    target = list(target)
    labels = np.asarray(labels)
    return (float(adjusted_mutual_info_score(target, labels)),
            float(adjusted_rand_score(target, labels)))


def score_targets(meta):
    return {"root": meta["roots"], "branch": meta["branches"],
            "position": position_deciles(meta["positions"]).tolist(), "token": meta["tokens"]}


# --------------------------------------------------------------------------
# group summaries


def group_order(labels):
    """Cluster ids ascending, then -1 last if any row is noise."""
    ids = sorted({int(l) for l in labels if l >= 0})
    return ids + ([-1] if any(l < 0 for l in labels) else [])


def ctfidf(labels, tokens, top=TOP_TOKENS):
    """{group id: [(token, score, count), ...]} by BERTopic's class-based TF-IDF."""
    groups = group_order(labels)
    counts = {g: {} for g in groups}
    for l, t in zip(labels, tokens):
        c = counts[int(l) if l >= 0 else -1]
        c[t] = c.get(t, 0) + 1
    totals = {g: sum(c.values()) for g, c in counts.items()}
    avg = int(np.mean([totals[g] for g in groups])) if groups else 0   # int(): truncation, as BERTopic
    f = {}
    for c in counts.values():
        for t, k in c.items():
            f[t] = f.get(t, 0) + k
    out = {}
    for g in groups:
        rows = [(t, (k / totals[g]) * math.log(avg / f[t] + 1), k) for t, k in counts[g].items()]
        rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
        out[g] = rows[:top]
    return out


def shares(names, total):
    counts = {}
    for x in names:
        counts[x] = counts.get(x, 0) + 1
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(name, k / total, k) for name, k in rows]


def content_units(meta):
    """The unit of each fit row: root groups when the fit tokens span >= 2, else branches."""
    return meta["roots"] if len(set(meta["roots"])) >= 2 else meta["branches"]


def tie_order(d, candidates, tol):
    """As reference_views.tie_order: by distance, distances chaining within tol as one group,
    each group by lower index."""
    order = candidates[np.argsort(d[candidates], kind="stable")]
    ds = d[order]
    cluster = np.concatenate([[0], np.cumsum(np.diff(ds) > tol)]) if len(ds) else ds
    return order[np.lexsort((order, cluster))]


def exemplar_rows(Y, members):
    """Up to EXEMPLARS member rows nearest the members' centroid."""
    members = np.asarray(members, dtype=np.int64)
    c = Y[members].mean(axis=0)
    d = np.sqrt(np.sum((Y - c) ** 2, axis=1))
    # the tie scale is the view's, not the group's: a group of identical states (one token's
    # embedding) has member distances that are all rounding noise
    tol = EXEMPLAR_TIE_REL * float(d.max())
    return [int(i) for i in tie_order(d, members, tol)[:EXEMPLARS]]


def group_label(g, rows, meta, units):
    if g < 0:
        return UNCLUSTERED
    pos = np.asarray(meta["positions"], dtype=np.int64)
    allp = pos
    gp = pos[rows]
    p10, p90 = np.percentile(gp, [10, 90])
    span = float(allp.max() - allp.min())
    U = len(set(units))
    held = len({units[i] for i in rows})
    if float(p90 - p10) <= 0.1 * span and held >= max(2, math.ceil(U / 2)):
        return POSITION
    size = len(rows)
    texts = [meta["tokens"][i] for i in rows]
    if 2 * max(texts.count(t) for t in set(texts)) >= size:
        return TOKEN
    unit_rows = [units[i] for i in rows]
    if 4 * max(unit_rows.count(u) for u in set(unit_rows)) >= 3 * size:
        return CONTENT
    return MIXED


def summarize(Y, labels, meta):
    """report.json's clusters[] for given labels (renumbered or not; -1 noise), in group order;
    Y: the rows in the clustering's geometry (unit rows), used as given for the exemplars.
    Exemplars carry before/after when meta has them."""
    labels = np.asarray(labels, dtype=np.int64)
    pos = np.asarray(meta["positions"], dtype=np.int64)
    lo, hi = int(pos.min()), int(pos.max())
    units = content_units(meta)
    top = ctfidf(labels.tolist(), meta["tokens"])
    out = []
    for g in group_order(labels.tolist()):
        rows = np.nonzero(labels == g)[0] if g >= 0 else np.nonzero(labels < 0)[0]
        size = len(rows)
        hist = [0] * 10
        for p in pos[rows]:
            hist[min(9, 10 * (int(p) - lo) // (hi - lo + 1))] += 1
        ex = []
        for i in exemplar_rows(Y, rows):
            e = {"branch": meta["branches"][i], "token_index": int(meta["token_index"][i]),
                 "position": int(pos[i]), "token": meta["tokens"][i]}
            if "before" in meta:
                e["before"] = list(meta["before"][i])
                e["after"] = list(meta["after"][i])
            ex.append(e)
        out.append({
            "id": int(g), "size": int(size), "label": group_label(g, rows, meta, units),
            "positions": {"min": int(pos[rows].min()), "max": int(pos[rows].max()), "histogram": hist},
            "roots": [{"root": r, "share": s} for r, s, _ in shares([meta["roots"][i] for i in rows], size)],
            "branches": [{"branch": b, "share": s} for b, s, _ in shares([meta["branches"][i] for i in rows], size)],
            "top_tokens": [{"token": t, "score": s, "count": k} for t, s, k in top[g]],
            "exemplars": ex})
    return out


# --------------------------------------------------------------------------
# run metadata


def branch_contexts(run):
    """{branch id: (full prefix before the branch's own tokens, own tokens)}."""
    by_id = {b["id"]: b for b in run.branches}
    memo = {}

    def prefix(bid):
        if bid not in memo:
            b = by_id[bid]
            if b.get("parent") is None:
                memo[bid] = []
            else:
                parent = by_id[b["parent"]]
                memo[bid] = prefix(parent["id"]) + list(parent["tokens"][: int(b["fork_at"])])
        return memo[bid]

    return {b["id"]: (prefix(b["id"]), list(b["tokens"])) for b in run.branches}


def fit_meta(run, fit_indices, root_of=None):
    """Per fit row (global token indices in run order): positions, roots, branches, tokens,
    token_index, before, after."""
    if root_of is None:
        import reference_views
        root_of = reference_views.root_groups(run)
    ctx = branch_contexts(run)
    meta = {k: [] for k in ("positions", "roots", "branches", "tokens", "token_index", "before", "after")}
    for i in fit_indices:
        i = int(i)
        b, j = run.token_branch[i], int(run.token_index[i])
        pre, own = ctx[b]
        meta["positions"].append(int(run.token_position[i]))
        meta["roots"].append(root_of[b])
        meta["branches"].append(b)
        meta["tokens"].append(run.token_text[i])
        meta["token_index"].append(j)
        meta["before"].append((pre + own[:j])[-CONTEXT:])
        meta["after"].append(own[j + 1: j + 1 + CONTEXT])
    return meta


# --------------------------------------------------------------------------
# one view


def cluster_parameters(setting, n):
    """(method, report.json's parameters) for n fit rows."""
    method, value = parse_setting(setting)
    if method == "hdbscan":
        m = value if value is not None else default_min_cluster_size(n)
        return method, {"min_cluster_size": m, "min_samples": default_min_samples(m), "k": None, "restarts": None}
    return method, {"min_cluster_size": None, "min_samples": None, "k": value, "restarts": KMEANS_RESTARTS}


def cluster_view(Y, meta, setting):
    """(report.json's "clusters" of one view, labels of its fit rows) from the view's fit states
    (scaled to unit rows here); (None, None) when the setting is off or there are < 2 rows."""
    method, value = parse_setting(setting)
    U = unit_rows(Y)
    n = U.shape[0]
    if method == "off" or n < 2:
        return None, None
    method, params = cluster_parameters(setting, n)
    if method == "hdbscan":
        m, ms = params["min_cluster_size"], params["min_samples"]
        sweep = []
        labels = sampled = None
        for mp in sweep_sizes(m):
            lab, samp = view_hdbscan(U, mp, ms)
            sweep.append({"min_cluster_size": mp, "count": int(lab.max() + 1),
                          "noise_share": float(np.sum(lab < 0) / n)})
            if mp == m:
                labels, sampled = lab, samp
    else:
        labels, sampled, sweep = view_kmeans(U, value), len(clustered_rows(U)), None
    out = {"method": method, "parameters": params, "tokens": n, "sampled": sampled,
           "count": int(labels.max() + 1), "noise_share": float(np.sum(labels < 0) / n),
           "sweep": sweep}
    scores = score_targets(meta)
    for key in SCORE_KEYS:
        out[f"ami_{key}"], out[f"ari_{key}"] = agreement(scores[key], labels)
    out["clusters"] = summarize(U, labels, meta)
    return out, labels


def erased(measures):
    """The view erased everything (reference_views.measures stopped early): no clusters."""
    import reference_views
    vk = measures.get("variance_kept")
    return vk is not None and vk < reference_views.ERASED_ALL


def view_clusters(run, fit_indices, Y_fit, measures, setting, root_of=None):
    """cluster_view for one view of reference_views.compute (its on_view hook's arguments):
    (None, None) when clustering is off, the view has fewer than 2 fit tokens or erased everything."""
    if parse_setting(setting)[0] == "off" or len(fit_indices) < 2 or erased(measures):
        return None, None
    return cluster_view(Y_fit, fit_meta(run, fit_indices, root_of), setting)


# --------------------------------------------------------------------------
# self-test on planted data


def _planted(seed=19):
    """4 roots x 2 branches x 60 tokens (positions 0..59).  Positions in four 3-wide windows sit
    at a per-window centre whatever the root (positional clusters); a scattered fifth of the rest
    are the token ' the' at one centre (a token cluster); the remaining tokens sit at their
    root's centre (topical clusters)."""
    rng = np.random.default_rng(seed)
    d = 16
    win_c = rng.normal(0, 1, (4, d)) * 12
    root_c = rng.normal(0, 1, (4, d)) * 12
    the_c = rng.normal(0, 1, d) * 12
    words = [f"w{k}" for k in range(200)]
    windows = [range(5, 8), range(20, 23), range(35, 38), range(50, 53)]
    Y, meta = [], {k: [] for k in ("positions", "roots", "branches", "tokens", "token_index")}
    truth = []
    for r in range(4):
        for b in range(2):
            for p in range(60):
                w = next((k for k, rg in enumerate(windows) if p in rg), None)
                if w is not None:
                    centre, tok, kind = win_c[w], words[rng.integers(200)], ("position", w)
                elif rng.random() < 0.2:
                    centre, tok, kind = the_c, " the", ("token", 0)
                else:
                    centre, tok, kind = root_c[r], words[rng.integers(200)], ("content", r)
                Y.append(centre + rng.normal(0, 0.5, d))
                meta["positions"].append(p)
                meta["roots"].append(f"root{r}")
                meta["branches"].append(f"root{r}.b{b}")
                meta["tokens"].append(tok)
                meta["token_index"].append(p)
                truth.append(kind)
    return np.array(Y), meta, truth


def _ctfidf_bertopic_style(labels, tokens):
    """The same scores by BERTopic's matrix steps (sklearn normalize, idf row vector)."""
    from sklearn.preprocessing import normalize
    groups = group_order(labels)
    terms = sorted(set(tokens))
    X = np.zeros((len(groups), len(terms)))
    for l, t in zip(labels, tokens):
        X[groups.index(l if l >= 0 else -1), terms.index(t)] += 1
    avg = int(X.sum(axis=1).mean())
    idf = np.log((avg / X.sum(axis=0)) + 1)
    return groups, terms, normalize(X, axis=1, norm="l1") * idf, X


def self_test():
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    # parameters
    expect(default_min_cluster_size(600) == 12 and default_min_cluster_size(4096) == 32
           and default_min_cluster_size(10) == 5 and default_min_cluster_size(10 ** 6) == 100, "default m")
    expect(sweep_sizes(12) == [6, 9, 12, 18, 24] and sweep_sizes(2) == [2, 3, 4] and sweep_sizes(3) == [2, 3, 5, 6],
           f"sweep sizes {sweep_sizes(2)} {sweep_sizes(3)}")
    s = even_sample(5000)
    expect(len(s) == 2048 and len(set(s)) == 2048 and s[0] == 1 and s[-1] == 4998, "even sample")
    expect([parse_setting(x) for x in ("hdbscan", "hdbscan:7", "kmeans:3", "off")] ==
           [("hdbscan", None), ("hdbscan", 7), ("kmeans", 3), ("off", None)], "settings")
    expect(renumber([5, 5, -1, 2, 2, 9, 9, 9])[0].tolist() == [1, 1, -1, 2, 2, 0, 0, 0], "renumber")
    expect(position_deciles(list(range(10))).tolist() == list(range(10)), "deciles of 0..9")
    expect(position_deciles([3] * 7).tolist() == [9] * 7, "deciles of a constant")

    # planted structure
    Y, meta, truth = _planted()
    out, labels = cluster_view(Y, meta, "hdbscan")
    m = out["parameters"]["min_cluster_size"]
    expect(m == 11 and out["parameters"]["min_samples"] == 5 and out["tokens"] == 480 and out["sampled"] == 480,
           f"parameters {out['parameters']}")
    U = unit_rows(Y)
    expect(np.array_equal(renumber(sklearn_hdbscan(U, m, stable=False))[0], labels),
           "the stable-sort pipeline = sklearn.cluster.HDBSCAN where no tie decides")
    expect(out["count"] == 9, f"count {out['count']} (planted 4 position + 4 content + 1 token)")
    got = sorted(c["label"] for c in out["clusters"] if c["id"] >= 0)
    expect(got == sorted([POSITION] * 4 + [CONTENT] * 4 + [TOKEN]), f"labels {got}")
    from sklearn.metrics import adjusted_rand_score
    expect(adjusted_rand_score([str(t) for t in truth], labels) > 0.99, "planted clusters recovered")
    for c in out["clusters"]:
        if c["label"] == TOKEN:
            expect(c["top_tokens"][0]["token"] == " the", "token cluster's top c-TF-IDF term")
        if c["label"] == CONTENT:
            expect(c["roots"][0]["share"] >= 0.75 and len(c["roots"]) == 1, "content cluster roots")
        if c["label"] == POSITION:
            expect(c["positions"]["max"] - c["positions"]["min"] == 2 and len(c["roots"]) == 4, "position cluster")
        expect(sum(c["positions"]["histogram"]) == c["size"], "histogram total")
        expect(len(c["exemplars"]) == min(5, c["size"]), "exemplar count")
    expect(out["sweep"][2] == {"min_cluster_size": m, "count": out["count"], "noise_share": out["noise_share"]},
           "sweep entry at m")
    expect(out["ami_root"] is not None and 0 < out["ami_root"] < 1, "ami_root")
    expect(sum(c["size"] for c in out["clusters"]) == 480, "group sizes")
    sizes = [c["size"] for c in out["clusters"] if c["id"] >= 0]
    expect(sizes == sorted(sizes, reverse=True), "clusters by size")

    # the same data shuffled: same partition (labels by size, ties by first row)
    perm = np.random.default_rng(3).permutation(len(Y))
    _, lab2 = cluster_view(Y[perm], {k: [v[i] for i in perm] for k, v in meta.items()}, "hdbscan")
    expect(adjusted_rand_score(labels[perm], lab2) == 1.0, "HDBSCAN on permuted rows")

    # mixed: a cluster of two roots (neither >= 3/4) with positions everywhere, texts varied
    labels_mixed = np.array([0] * 8 + [1] * 4)
    mm = {"positions": list(range(12)), "roots": ["a", "b"] * 4 + ["a"] * 4,
          "branches": ["a", "b"] * 4 + ["a"] * 4, "tokens": [f"t{i}" for i in range(12)],
          "token_index": list(range(12))}
    summ = summarize(np.arange(24.0).reshape(12, 2), labels_mixed, mm)
    expect([c["label"] for c in summ] == [MIXED, CONTENT], f"mixed/content {[c['label'] for c in summ]}")
    expect(summ[0]["roots"] == [{"root": "a", "share": 0.5}, {"root": "b", "share": 0.5}], "share ties by name")

    # c-TF-IDF against BERTopic's matrix form
    rng = np.random.default_rng(5)
    lab = rng.integers(-1, 4, 300).tolist()
    tok = [f"t{k}" for k in rng.integers(0, 25, 300)]
    top = ctfidf(lab, tok, top=10 ** 6)
    groups, terms, S, X = _ctfidf_bertopic_style(lab, tok)
    for gi, g in enumerate(groups):
        for t, sc, k in top[g]:
            ti = terms.index(t)
            expect(abs(S[gi, ti] - sc) <= 1e-12 and X[gi, ti] == k, f"c-TF-IDF {g} {t}")
        expect(len(top[g]) == int(np.sum(X[gi] > 0)), "c-TF-IDF terms present")

    # kmeans on the planted data (k = 9) recovers the planted structure as well
    outk, labk = cluster_view(Y, meta, "kmeans:9")
    expect(outk["sweep"] is None and outk["parameters"]["k"] == 9 and outk["parameters"]["restarts"] == 10
           and outk["count"] == 9 and outk["noise_share"] == 0.0, "kmeans")
    expect(adjusted_rand_score([str(t) for t in truth], labk) > 0.99, "kmeans recovers the planted clusters")

    # sampling: above 2048 rows HDBSCAN runs on 2048 and the rest follow their nearest sampled row
    big = np.repeat(Y, 5, axis=0) + np.random.default_rng(8).normal(0, 0.05, (2400, Y.shape[1]))
    bmeta = {k: [x for x in v for _ in range(5)] for k, v in meta.items()}
    outb, labb = cluster_view(big, bmeta, "hdbscan:11")
    expect(outb["sampled"] == 2048 and outb["tokens"] == 2400, "sampled")
    expect(adjusted_rand_score(np.repeat(labels, 5), labb) > 0.97, "sampled clustering")

    # contexts: a child's token 0 follows parent token fork_at - 1, across generations
    class FakeRun:
        branches = [{"id": "r", "parent": None, "tokens": list("abcd")},
                     {"id": "r.x", "parent": "r", "fork_at": 2, "tokens": list("ef")},
                     {"id": "r.x.y", "parent": "r.x", "fork_at": 1, "tokens": list("ghijk")}]
        token_branch = ["r"] * 4 + ["r.x"] * 2 + ["r.x.y"] * 5
        token_index = [0, 1, 2, 3, 0, 1, 0, 1, 2, 3, 4]
        token_position = [0, 1, 2, 3, 2, 3, 3, 4, 5, 6, 7]
        token_text = list("abcdefghijk")
    fm = fit_meta(FakeRun, range(11), {"r": "r", "r.x": "r", "r.x.y": "r"})
    expect(fm["before"][4] == ["a", "b"] and fm["after"][4] == ["f"], f"context of e {fm['before'][4]}")
    expect(fm["before"][6] == ["a", "b", "e"] and fm["after"][6] == ["h", "i", "j"], f"context of g {fm['before'][6]}")
    expect(fm["before"][7] == ["b", "e", "g"] and fm["after"][10] == [] and fm["before"][0] == [], "context of h, k, a")

    # tiny inputs
    two = {"positions": [0, 0], "roots": ["r", "s"], "branches": ["r", "s"], "tokens": ["a", "a"], "token_index": [0, 0]}
    o2, _ = cluster_view(np.ones((2, 3)), two, "hdbscan")
    expect(o2["count"] == 0 and o2["noise_share"] == 1.0 and o2["ami_root"] == 0.0 and o2["ami_token"] == 1.0
           and [c["id"] for c in o2["clusters"]] == [-1] and o2["clusters"][0]["exemplars"][0]["branch"] == "r", "two rows")
    expect(cluster_view(np.zeros((1, 3)), {}, "hdbscan") == (None, None), "one row: no clusters")
    # zero rows are unclustered and leave the others' clustering as it was
    Yz = np.vstack([Y, np.zeros((12, Y.shape[1])), 1e-13 * np.ones((1, Y.shape[1]))])
    mz = {k: v + v[:13] for k, v in meta.items()}
    oz, lz = cluster_view(Yz, mz, "hdbscan:11")
    expect(np.array_equal(lz[:480], labels) and np.all(lz[480:] == -1) and oz["sampled"] == 480, "zero rows")
    # cosine geometry: scaling a row changes nothing
    Ys = Y * np.random.default_rng(4).uniform(0.5, 20, (len(Y), 1))
    expect(np.array_equal(cluster_view(Ys, meta, "hdbscan")[1], labels), "clusters of unit rows")

    for f in failures:
        print(f"FAILED: {f}")
    print(f"reference_clusters self-test: {'ok' if not failures else f'{len(failures)} failure(s)'} "
          f"(planted: {out['count']} clusters, labels {got}, noise {out['noise_share']:.3f}, "
          f"AMI root {out['ami_root']:.3f} position {out['ami_position']:.3f} token {out['ami_token']:.3f})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(self_test())
