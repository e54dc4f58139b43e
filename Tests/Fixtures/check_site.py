#!/usr/bin/env python3
"""Check a site written by Forkscope against the independent NumPy / scikit-learn reference.

    python3 Tests/Fixtures/check_site.py RUN_DIR SITE_DIR [--every N]

--every N checks every N-th layer of the run only (the first and last always), to bound the time
the reference takes on long runs.

Reads the settings the build used from SITE_DIR/report.json ("settings": views, massive ratio,
fits), recomputes every layer with reference_views.compute and compares:

* report.json: "format"; (trustworthiness by the reference's tie-stable implementation, as
  Forkscope breaks ties between equal distances by lower index where sklearn's order is its own) per layer "median_norm" (relative 1e-9), the massive tokens (branch,
  token_index, position, top_dimensions exactly; norm_ratio relative 1e-9), and for every view
  every measure: counts exactly, other values within ABS_TOL (null must match None);
* report.json, issue 18: per layer "mean_cosine" (absolute 1e-9) and "rogue_dimensions" (the same
  dimensions in the same order, shares within 1e-9), a missing key failing; the per-view
  position_knn_r2 / _control / _selectivity as every measure; "recommended_view" and each layer's
  "attribution" re-derived by reference_views.recommend from report.json's OWN per-view measures
  of all layers (the middle third needs every layer, --every may skip some; the attribution must
  hold exactly the report's own numbers), those measures being checked against the reference at
  the layers computed, and the attribution's numbers there within ABS_TOL of the reference's;
  with every layer computed, the reference's own recommended_view too; and the verdict's ladder
  sentence and recommendation hold the middle-layer means of those measures, formatted as pages do;
* layers/<L>.csv: one row per token in run order, branch / token_index / position and the token
  text exactly, empty fields exactly where the reference has none, norm and each view's PCA
  coordinates within REL_TOL * max(1, max |value| of that column in that layer);
* UMAP (views whose report entry has a umap_initialisation): the CSV has <view>_umap1/2 columns,
  a point for exactly the view's fit tokens, and umap_trustworthiness equals the reference's
  trustworthiness of those points. (The layout itself is Forkscope's own: stochastic, so compared
  with umap-learn by quality in Benchmarks/umap_bench.py, not point by point.)
* issue 19, clusters (reference_clusters.py; settings.clusters hdbscan | hdbscan:M | kmeans:K | off,
  its absence failing): every view's "clusters" key (null exactly when clustering is off, the view
  has fewer than 2 fit tokens or erased everything), the CSV's <view>_cluster column for the views
  clustered (after the layout columns; an integer for exactly the view's fit tokens, numbered by
  size, -1 for zero rows) and
  (a) from those CSV labels and the run: method, parameters, tokens, sampled, count, noise_share,
  ami_* / ari_* (absolute 1e-9), every group's size, label, positions, roots, branches (shares
  1e-9) and top_tokens (c-TF-IDF, scores 1e-9) exactly, the flat cluster_ami_* equal to
  clusters.ami_*;
  (b) scikit-learn's HDBSCAN pipeline (brute; min_cluster_size, min_samples as the setting gives
  them; the tree's edges sorted stably) on the reference's fit states as unit rows (cosine; zero
  rows unclustered): ARI with the CSV labels >= 0.95 (the smallest printed per layer), the sweep's
  sizes exactly, its counts within 1 and noise shares within 0.05 of sklearn's.  HDBSCAN's result
  at (near-)tied mutual reachabilities depends on rounding and edge order, so sklearn on variants
  that only re-break ties (states x (1 + 1e-12 noise), rows permuted) may match instead, and the
  layer's line says so.  kmeans:K: ARI with sklearn's KMeans >= 0.95 or an inertia within 1% of it;
  (c) each group's exemplars (the members nearest its centroid among the reference's unit rows,
  distances within 1e-7 of the view's largest tied and taken by lower row: branch, token_index,
  position, token, before, after) exactly.

Prints one line per layer with the largest deviations, then exactly `N passed, M failed`
(N, M count layers). Exit status: 0 if everything passed, 1 on any failure, 2 if the run itself
cannot be loaded.
"""

import csv
import io
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep Tests/Fixtures free of __pycache__
sys.path.insert(0, HERE)
import reference  # noqa: E402
import reference_views  # noqa: E402
import reference_clusters  # noqa: E402

np = reference.np

REPORT_FORMAT = "forkscope.report/1"
COUNTS = ("tokens", "fit_tokens")
REL_TOL = 1e-5     # per-token values, scaled by max(1, max |column|)
ABS_TOL = 1e-6     # measures
# Trustworthiness sums ranks over every neighbourhood: two distances that differ by rounding
# (~1e-8 relative through the Gram formula) can swap ranks in one implementation and not the
# other, which moves it by ~1e-6 per swap. A few swaps are rounding; more is a bug.
TRUST_TOL = 1e-4
MAX_PROBLEMS_SHOWN = 8
MEAN_COS_TOL = 1e-9   # mean_cosine and the rogue dimensions' shares
ATTRIBUTION_NUMBERS = ("content", "position_probe", "position_knn_r2", "position_knn_r2_control")
CLUSTER_TOL = 1e-9      # AMI / ARI, noise share, shares, c-TF-IDF scores (issue 19)
CLUSTER_MIN_ARI = 0.95  # ARI of the site's clusters with scikit-learn's on the reference's states
SWEEP_COUNT_TOL, SWEEP_NOISE_TOL = 1, 0.05
KMEANS_INERTIA_SLACK = 1.01


def num(x):
    if x is None or x == "":
        return None
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"non-finite number {x!r}")
    return v


def close(a, b, tol):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol


def compare_measures(name, got, want, problems):
    worst = 0.0
    for key, w in want.items():
        if key not in got:
            problems.append(f"{name}: key {key!r} missing from report.json")
            continue
        g = got[key]
        if key in COUNTS:
            if g != w:
                problems.append(f"{name}.{key}: {g} != {w}")
            continue
        if isinstance(w, list) or isinstance(g, list):
            if (w is None) != (g is None) or (w is not None and len(w) != len(g)):
                problems.append(f"{name}.{key}: {g} != {w}")
                continue
            pairs = list(zip(g or [], w or []))
        else:
            pairs = [(g, w)]
        for a, b in pairs:
            a, b = num(a), num(b)
            if not close(a, b, TRUST_TOL if key in ("trustworthiness", "umap_trustworthiness") else ABS_TOL):
                problems.append(f"{name}.{key}: {a} != {b}")
            elif a is not None:
                worst = max(worst, abs(a - b))
    return worst


def compare_layer_anisotropy(got, want, problems):
    """mean_cosine within MEAN_COS_TOL, rogue_dimensions: the same dimensions in the same order,
    shares within MEAN_COS_TOL. A missing key is a failure. Returns the largest deviation."""
    worst = 0.0
    if "mean_cosine" not in got:
        problems.append("key 'mean_cosine' missing from report.json")
    else:
        a, b = num(got["mean_cosine"]), want["mean_cosine"]
        if not close(a, b, MEAN_COS_TOL):
            problems.append(f"mean_cosine {a} != {b}")
        elif a is not None:
            worst = abs(a - b)
    if "rogue_dimensions" not in got:
        problems.append("key 'rogue_dimensions' missing from report.json")
        return worst
    g, w = got["rogue_dimensions"], want["rogue_dimensions"]
    if not isinstance(g, list) or [r.get("dimension") for r in g] != [r["dimension"] for r in w]:
        problems.append(f"rogue_dimensions {g} != {w}")
        return worst
    for gr, wr in zip(g, w):
        a = num(gr.get("share"))
        if not close(a, wr["share"], MEAN_COS_TOL):
            problems.append(f"rogue_dimensions share of dimension {wr['dimension']}: {a} != {wr['share']}")
        else:
            worst = max(worst, abs(a - wr["share"]))
    return worst


def compare_attribution(name, got, want, tol, problems):
    """A layer's attribution: null where the other is null, the content measure, steps and views
    exactly, every number within tol (0: equal)."""
    if got is None or want is None:
        if (got is None) != (want is None):
            problems.append(f"{name}: {got} != {want}")
        return
    rungs = got.get("rungs") if isinstance(got, dict) else None
    if not isinstance(rungs, list) or got.get("content_measure") != want["content_measure"] \
            or [(r.get("step"), r.get("view")) for r in rungs] != [(r["step"], r["view"]) for r in want["rungs"]]:
        problems.append(f"{name}: {got} != {want}")
        return
    for gr, wr in zip(rungs, want["rungs"]):
        for key in ATTRIBUTION_NUMBERS:
            if key not in gr:
                problems.append(f"{name} {wr['view']}: key {key!r} missing")
                continue
            a, b = num(gr[key]), num(wr[key])
            if not close(a, b, tol):
                problems.append(f"{name} {wr['view']}.{key}: {a} != {b}")


def verdict_problems(report, layers, views, content, eraser, recommended):
    """The verdict's ladder sentence and recommendation carry the middle-layer means of
    report.json's own measures (themselves checked against NumPy), formatted as the page does:
    shares as whole percents, R² with two decimals."""
    verdict = report.get("verdict", "")
    def pct(v):
        return f"{v * 100:.0f}%"
    def fig(v):
        s = f"{v:.2f}"
        return s[1:] if s.startswith("-") and float(s) == 0 else s
    mean = lambda view, key: reference_views.middle_means(layers, view, key)
    want = []
    a = mean("raw", content) if "raw" in views else None
    if a is not None:
        want.append(f"in the raw states {pct(a)} of each token's 10 nearest neighbours share its")
        b = mean("raw+z", content) if "raw+z" in views else None
        if b is not None:
            want.append(f"that to {pct(b)}")
        c = mean(eraser, content) if eraser else None
        if c is not None:
            want.append(f"removing position linearly as well ({eraser})")
            want.append(f"({pct(c)})")
            probe, knn = mean(eraser, "position_probe"), mean(eraser, "position_knn_r2")
            control = mean(eraser, "position_knn_r2_control")
            if None not in (probe, knn, control):
                want.append(f"to {fig(probe)}; a nonlinear reader")
                want.append(f"reaches R² {fig(knn)}")
                want.append(f"against {fig(control)} for shuffled positions")
    if recommended:
        want.append(f"({recommended}).")
    return [f"the verdict lacks {w!r} (middle-layer means of report.json's measures)" for w in want if w not in verdict]


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(io.StringIO(f.read(), newline="")))


def check_csv(run, ref_layer, site_dir, views, with_umap, problems, with_clusters=()):
    path = os.path.join(site_dir, "layers", f"{ref_layer['layer']}.csv")
    if not os.path.exists(path):
        problems.append(f"{path}: missing")
        return 0.0
    rows = read_csv(path)
    header, body = rows[0], rows[1:]
    want_header = ["branch", "token_index", "position", "norm", "dist_to_position_mean"] + \
        [f"{v}_pc{k}" for v in views for k in (1, 2)] + [f"{v}_umap{k}" for v in with_umap for k in (1, 2)] + \
        [f"{v}_cluster" for v in with_clusters] + ["token"]
    if header != want_header:
        problems.append(f"{path}: header {header} != {want_header}")
        return 0.0
    if len(body) != run.n_tokens:
        problems.append(f"{path}: {len(body)} rows for {run.n_tokens} tokens")
        return 0.0
    col = {h: i for i, h in enumerate(header)}
    norms = reference.np.linalg.norm(run.states[run.layers.index(ref_layer["layer"])], axis=1)
    worst = 0.0
    for v in views:
        coords = ref_layer["coordinates"][v]
        for k in (0, 1):
            name = f"{v}_pc{k + 1}"
            values = [c[k] for c in coords if c is not None]
            scale = max([1.0] + [abs(x) for x in values])
            for i, row in enumerate(body):
                got, want = num(row[col[name]]), None if coords[i] is None else coords[i][k]
                if (got is None) != (want is None):
                    problems.append(f"{path}: row {i} {name}: {got!r} vs reference {want!r}")
                elif got is not None:
                    d = abs(got - want)
                    worst = max(worst, d / scale)
                    if d > REL_TOL * scale:
                        problems.append(f"{path}: row {i} {name}: {got} != {want}")
    nscale = max([1.0] + list(norms))
    for i, row in enumerate(body):
        if row[col["branch"]] != run.token_branch[i] or int(row[col["token_index"]]) != run.token_index[i] \
                or int(row[col["position"]]) != int(run.token_position[i]):
            problems.append(f"{path}: row {i}: token identity {row[:3]} differs from the run")
        if row[col["token"]] != run.token_text[i]:
            problems.append(f"{path}: row {i}: token text {row[col['token']]!r} != {run.token_text[i]!r}")
        if abs(num(row[col["norm"]]) - norms[i]) > REL_TOL * nscale:
            problems.append(f"{path}: row {i}: norm {row[col['norm']]} != {norms[i]}")
    return worst


# --------------------------------------------------------------------------
# issue 19: clusters


def cluster_column(site_dir, L, v, cache):
    """The <view>_cluster column of layers/<L>.csv (a string per token), or None without one.
    cache keeps the last layer's rows only."""
    if L not in cache:
        cache.clear()
        path = os.path.join(site_dir, "layers", f"{L}.csv")
        cache[L] = read_csv(path) if os.path.exists(path) else None
    rows = cache[L]
    if not rows or f"{v}_cluster" not in rows[0]:
        return None
    k = rows[0].index(f"{v}_cluster")
    return [r[k] if k < len(r) else "" for r in rows[1:]]


def compare_named_shares(name, got, want, field, problems):
    ok = isinstance(got, list) and all(isinstance(x, dict) for x in got) \
        and [x.get(field) for x in got] == [x[field] for x in want]
    if ok:
        for x, y in zip(got, want):
            if not close(num(x.get("share")), y["share"], CLUSTER_TOL):
                ok = False
    if not ok:
        problems.append(f"{name}: {got} != {want}")


def compare_cluster_groups(name, got, want, problems):
    """report.json's clusters[] against the reference's summaries of the same labels: sizes,
    labels, positions, exemplars exactly; shares and c-TF-IDF scores within CLUSTER_TOL."""
    if not isinstance(got, list) or not all(isinstance(g, dict) for g in got) \
            or [g.get("id") for g in got] != [w["id"] for w in want]:
        ids = [g.get("id") for g in got] if isinstance(got, list) and all(isinstance(g, dict) for g in got) else got
        problems.append(f"{name}: group ids {ids} != {[w['id'] for w in want]} (clusters 0..C-1, then -1 if any noise)")
        return
    ex_keys = ("branch", "token_index", "position", "token", "before", "after")
    for g, w in zip(got, want):
        gname = f"{name} group {w['id']}"
        for key in ("size", "label", "positions"):
            if g.get(key) != w[key]:
                problems.append(f"{gname}.{key}: {g.get(key)!r} != {w[key]!r}")
        compare_named_shares(f"{gname}.roots", g.get("roots"), w["roots"], "root", problems)
        compare_named_shares(f"{gname}.branches", g.get("branches"), w["branches"], "branch", problems)
        gt = g.get("top_tokens")
        ok = isinstance(gt, list) and all(isinstance(x, dict) for x in gt) \
            and [(x.get("token"), x.get("count")) for x in gt] == [(x["token"], x["count"]) for x in w["top_tokens"]] \
            and all(close(num(x.get("score")), y["score"], CLUSTER_TOL) for x, y in zip(gt, w["top_tokens"]))
        if not ok:
            problems.append(f"{gname}.top_tokens: {gt} != {w['top_tokens']}")
        ge = g.get("exemplars")
        if not isinstance(ge, list) or not all(isinstance(x, dict) for x in ge) \
                or [tuple(x.get(k) for k in ex_keys) for x in ge] != [tuple(x[k] for k in ex_keys) for x in w["exemplars"]]:
            problems.append(f"{gname}.exemplars: {ge} != {w['exemplars']} (nearest the centroid in the reference's states)")


def hdbscan_variants(Y, m, ms, cache=None):
    """scikit-learn's HDBSCAN labels on the reference's fit states, then on variants that differ only
    in how ties are broken: states scaled by 1 + 1e-12 (1e-10) noise, rows permuted. Exact and near
    ties of mutual reachability (a point's core distance shared by several edges, a split where a
    min_cluster_size group falls out at the very lambda it is born) are broken by the order of the
    edges, which numpy's unstable argsort and rounding at 1e-15 decide: a clustering correct up to
    those ties matches one of these."""
    cache = {} if cache is None else cache
    if (m, 0) not in cache:
        cache[(m, 0)] = rc_labels(Y, m, ms)
    yield cache[(m, 0)]   # Y: unit rows; the variants keep zero rows zero
    n = Y.shape[0]
    for seed, rel in ((1, 1e-12), (2, 1e-12), (3, 1e-10)):
        yield rc_labels(Y * (1 + np.random.default_rng(seed).normal(0, rel, Y.shape)), m, ms)
    if n <= reference_clusters.SAMPLE_LIMIT:
        for seed in (1, 2):
            perm = np.random.default_rng(seed).permutation(n)
            lab = np.empty(n, dtype=np.int64)
            lab[perm] = rc_labels(Y[perm], m, ms)
            yield lab


def rc_labels(Y, m, ms):
    return reference_clusters.view_hdbscan(Y, m, ms)[0]


def check_view_clusters(run, setting, name, column_name, fidx, Y_fit, ref_m, got_view, column, root_of):
    """Issue 19 for one layer and view. Returns (problems, (ARI with scikit-learn's clustering,
    whether it needed ties re-broken) or None)."""
    from sklearn.metrics import adjusted_rand_score
    rc = reference_clusters
    problems = []
    method, value = rc.parse_setting(setting)
    n = len(fidx)
    want_null = method == "off" or n < 2 or rc.erased(ref_m)
    flat = {k: got_view.get(f"cluster_ami_{k}") for k in rc.SCORE_KEYS}
    if "clusters" not in got_view:
        if method != "off":
            problems.append(f"{name}: key 'clusters' missing from report.json (settings.clusters {setting!r})")
        return problems, None
    gc = got_view["clusters"]
    if want_null:
        if gc is not None:
            why = "clustering is off" if method == "off" else f"the view has {n} fit token(s)" if n < 2 else "the view erased everything"
            problems.append(f"{name}: clusters present where the reference has none ({why})")
        if any(x is not None for x in flat.values()):
            problems.append(f"{name}: cluster_ami_* {flat} where clusters is null")
        return problems, None
    if not isinstance(gc, dict):
        return [f"{name}: clusters is {gc!r}, but the reference clusters {n} fit tokens"], None
    if column is None:
        return [f"{name}: the CSV has no {column_name} column"], None

    # (a) everything recomputed from the CSV's labels and the run
    fit_set = set(int(i) for i in fidx)
    wrong = [i for i, x in enumerate(column) if (x != "") != (i in fit_set)]
    if wrong:
        return [f"{name}: CSV {column_name}: labels expected for exactly the view's {n} fit tokens "
                f"(first wrong: token {wrong[0]}, {column[wrong[0]]!r})"], None
    try:
        labels = np.array([int(column[int(i)]) for i in fidx], dtype=np.int64)
    except ValueError as e:
        return [f"{name}: CSV {column_name}: {e}"], None
    if labels.min() < -1:
        return [f"{name}: CSV {column_name}: label {labels.min()} (noise is -1)"], None
    canon, count = rc.renumber(labels)
    if not np.array_equal(canon, labels):
        problems.append(f"{name}: CSV {column_name}: clusters not numbered 0..C-1 by size, ties by first token")
    meta = rc.fit_meta(run, fidx, root_of)
    U = rc.unit_rows(Y_fit)   # the clustering's geometry: cosine
    _, params = rc.cluster_parameters(setting, n)
    n_rows = len(rc.clustered_rows(U))   # zero rows are not clustered
    zero = np.setdiff1d(np.arange(n), rc.clustered_rows(U))
    if np.any(labels[zero] >= 0):
        problems.append(f"{name}: {int(np.sum(labels[zero] >= 0))} zero row(s) (no direction) clustered; they are -1")
    sampled = len(rc.even_sample(n_rows)) if method == "hdbscan" else n_rows
    noise = float(np.sum(labels < 0) / n)
    got_params = gc.get("parameters")
    got_params = {k: got_params.get(k) for k in params} if isinstance(got_params, dict) else got_params
    for key, want, got in (("method", method, gc.get("method")), ("parameters", params, got_params),
                           ("tokens", n, gc.get("tokens")), ("sampled", sampled, gc.get("sampled")), ("count", count, gc.get("count"))):
        if got != want:
            problems.append(f"{name}.{key}: {got!r} != {want!r}")
    if method == "kmeans" and int(np.sum(labels < 0)) != n - n_rows:
        problems.append(f"{name}: k-means left {int(np.sum(labels < 0))} token(s) unclustered ({n - n_rows} zero rows)")
    if not close(num(gc.get("noise_share")), noise, CLUSTER_TOL):
        problems.append(f"{name}.noise_share: {gc.get('noise_share')} != {noise} (of the CSV's labels)")
    targets = rc.score_targets(meta)
    for key in rc.SCORE_KEYS:
        ami, ari = rc.agreement(targets[key], labels)
        for stem, want in (("ami", ami), ("ari", ari)):
            if f"{stem}_{key}" not in gc:
                problems.append(f"{name}: key '{stem}_{key}' missing")
            elif not close(num(gc[f"{stem}_{key}"]), want, CLUSTER_TOL):
                problems.append(f"{name}.{stem}_{key}: {gc[f'{stem}_{key}']} != {want}")
        if f"cluster_ami_{key}" not in got_view:
            problems.append(f"{name}: measure 'cluster_ami_{key}' missing")
        elif flat[key] != gc.get(f"ami_{key}"):
            problems.append(f"{name}: cluster_ami_{key} {flat[key]} != clusters.ami_{key} {gc.get(f'ami_{key}')}")
    # (a) groups and (c) exemplars
    compare_cluster_groups(name, gc.get("clusters"), rc.summarize(U, labels, meta), problems)

    # (b) scikit-learn on the reference's states
    if method == "hdbscan":
        m, ms = params["min_cluster_size"], params["min_samples"]
        sizes = rc.sweep_sizes(m)
        sweep, cache = gc.get("sweep"), {}
        if not isinstance(sweep, list) or not all(isinstance(e, dict) for e in sweep) \
                or [e.get("min_cluster_size") for e in sweep] != sizes:
            problems.append(f"{name}.sweep: {sweep} (min_cluster_size {sizes} expected)")
            sweep = []
        for mp, e in zip(sizes, sweep):
            if mp == m and (e.get("count") != gc.get("count") or e.get("noise_share") != gc.get("noise_share")):
                problems.append(f"{name}.sweep at {m}: {e} differs from the clustering's count and noise_share")
            if not isinstance(e.get("count"), int) or num(e.get("noise_share")) is None:
                problems.append(f"{name}.sweep at {mp}: {e}")
                continue
            first = None
            for ref in hdbscan_variants(U, mp, ms, cache):
                rcount, rnoise = int(ref.max() + 1), float(np.sum(ref < 0) / n)
                first = first or (rcount, rnoise)
                if abs(e["count"] - rcount) <= SWEEP_COUNT_TOL and abs(num(e["noise_share"]) - rnoise) <= SWEEP_NOISE_TOL:
                    break
            else:
                problems.append(f"{name}.sweep at {mp}: {e} vs scikit-learn's {first[0]} clusters, noise {first[1]:.3f} "
                                f"(nor with ties re-broken)")
        ari, retried = -1.0, False
        for k, ref in enumerate(hdbscan_variants(U, m, ms, cache)):
            a = float(adjusted_rand_score(ref, labels))
            if a > ari:
                ari, retried = a, k > 0
            if ari >= CLUSTER_MIN_ARI:
                break
        if ari < CLUSTER_MIN_ARI:
            problems.append(f"{name}: ARI {ari:.4f} with scikit-learn's HDBSCAN (min_cluster_size {m}, min_samples {ms}) < {CLUSTER_MIN_ARI} "
                            f"(the best of the reference's states and tie-breaking variants)")
    else:
        if gc.get("sweep") is not None:
            problems.append(f"{name}.sweep: {gc.get('sweep')} (null for k-means)")
        ref = rc.view_kmeans(U, value)
        ari, retried = float(adjusted_rand_score(ref, labels)), False

        def inertia(lab):
            return sum(float(np.sum((U[lab == g] - U[lab == g].mean(axis=0)) ** 2)) for g in np.unique(lab) if g >= 0)
        if ari < CLUSTER_MIN_ARI and inertia(labels) > KMEANS_INERTIA_SLACK * inertia(ref):
            problems.append(f"{name}: ARI {ari:.4f} with scikit-learn's KMeans < {CLUSTER_MIN_ARI} and inertia "
                            f"{inertia(labels):.6g} > {KMEANS_INERTIA_SLACK} x its {inertia(ref):.6g}")
    return problems, (ari, retried)


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    every = 1
    if "--every" in args:
        i = args.index("--every")
        every = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2 or every < 1:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    run_dir, site_dir = args
    report_path = os.path.join(site_dir, "report.json")
    try:
        with open(report_path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL {report_path}: {e}")
        print("0 passed, 1 failed")
        return 1
    try:
        run = reference.load_run(run_dir)
        s = report["settings"]
        views = s["views"]
        opts = reference_views.Options(s["massive_ratio"], s["keep_massive"], s["regress_degree"],
                                       s["regress_fourier"], s["leace_concept"], s["abtt_components"], False,
                                       stable_trust=True)
        zrun = reference.load_run(run_dir, "zero_pe") if any(v.startswith("zero_pe") for v in views) else None
    except (OSError, ValueError, KeyError) as e:
        print(f"error: {run_dir}: {e}", file=sys.stderr)
        return 2
    layers = [L for i, L in enumerate(run.layers) if i % every == 0 or i == len(run.layers) - 1]
    by_layer = {l.get("layer"): l for l in report.get("layers", [])}

    # issue 19: each view's clusters are checked as the reference computes the view (on_view)
    cluster_top, cluster_results, csv_cache = [], {}, {}
    cluster_setting = s.get("clusters")
    if "clusters" not in s:
        cluster_top.append("settings.clusters missing from report.json (issue 19: cluster analysis); clusters not checked")
    else:
        try:
            reference_clusters.parse_setting(cluster_setting)
        except ValueError as e:
            cluster_top.append(str(e))
            cluster_setting = None
    if "clusters" not in s or cluster_setting is None:
        cluster_setting = False
    root_of = reference_views.root_groups(run)

    def on_view(L, v, fidx, Y_fit, m):
        probs, aris = cluster_results.setdefault(L, ([], []))
        got_view = (by_layer.get(L) or {}).get("views", {}).get(v)
        if cluster_setting is False or not isinstance(got_view, dict):
            return   # a missing layer or view is reported below
        try:
            p, a = check_view_clusters(run, cluster_setting, f"layer {L} {v} clusters", f"{v}_cluster", fidx, Y_fit, m,
                                       got_view, cluster_column(site_dir, L, v, csv_cache), root_of)
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            p, a = [f"layer {L} {v} clusters: malformed ({type(e).__name__}: {e})"], None
        probs.extend(p)
        if a is not None:
            aris.append(a)   # (ARI, matched only with ties re-broken)

    def umap_layouts(L, v):
        """The site's UMAP points of view v at layer L (from the CSV), or None if it has none."""
        rows = read_csv(os.path.join(site_dir, "layers", f"{L}.csv"))
        header, body = rows[0], rows[1:]
        if f"{v}_umap1" not in header:
            return None
        a, b = header.index(f"{v}_umap1"), header.index(f"{v}_umap2")
        return [None if r[a] == "" else [float(r[a]), float(r[b])] for r in body]

    ref, checks = reference_views.compute(run, views, opts, zrun, layers, umap_layouts=umap_layouts, on_view=on_view)
    umap_problems = {}
    for info, probs in checks:
        if "view" in info:
            umap_problems.setdefault(info["layer"], []).extend(probs)
    passed = failed = 0
    if report.get("format") != REPORT_FORMAT:
        print(f"FAIL report.json format {report.get('format')!r}")
        failed += 1

    # The recommendation takes the middle third of ALL layers, which --every may not compute: the
    # rule is re-applied to report.json's own per-view measures (each compared with the reference
    # below at the layers computed), and each attribution must hold exactly the report's own numbers.
    content = reference_views.content_measure(run)
    report_layers = [l for l in report.get("layers", []) if isinstance(l, dict)]
    computed = {l["layer"] for l in ref["layers"]}
    top_problems, layer_problems = [], {}
    if [l.get("layer") for l in report_layers] != list(run.layers):
        top_problems.append(f"layers {[l.get('layer') for l in report_layers]} != the run's {list(run.layers)}")
    own_rec, own_attr = reference_views.recommend(report_layers, views, content)
    eraser = reference_views.eraser_view(report_layers, views, content)
    if "recommended_view" not in report:
        top_problems.append("key 'recommended_view' missing from report.json")
    elif report["recommended_view"] != own_rec:
        top_problems.append(f"recommended_view {report['recommended_view']!r} != {own_rec!r} "
                            f"(the rule over report.json's own measures)")
    if len(computed) == len(run.layers):   # every layer computed: the reference's own choice too
        ref_rec, _ = reference_views.recommend(ref["layers"], views, content)
        if report.get("recommended_view") != ref_rec:
            top_problems.append(f"recommended_view {report.get('recommended_view')!r} != the reference's {ref_rec!r}")
    for l, want in zip(report_layers, own_attr):
        probs = layer_problems.setdefault(l.get("layer"), []) if l.get("layer") in computed else top_problems
        if "attribution" not in l:
            probs.append(f"layer {l.get('layer')}: key 'attribution' missing from report.json")
        else:
            compare_attribution(f"layer {l.get('layer')} attribution (vs report.json's own measures)",
                                l["attribution"], want, 0.0, probs)
    top_problems += verdict_problems(report, report_layers, views, content, eraser, own_rec)
    top_problems += cluster_top
    if top_problems:
        failed += 1
        print(f"FAIL report.json: {len(top_problems)} problem(s)")
        for p in top_problems[:MAX_PROBLEMS_SHOWN]:
            print(f"     {p}")
    for ref_layer in ref["layers"]:
        L = ref_layer["layer"]
        problems = list(umap_problems.get(L, [])) + layer_problems.get(L, []) + cluster_results.get(L, ([], []))[0]
        aris = cluster_results.get(L, ([], []))[1]
        got = by_layer.get(L)
        if got is None:
            problems.append(f"layer {L} missing from report.json")
            worst_m = worst_c = 0.0
        else:
            if not close(num(got.get("median_norm")), ref_layer["median_norm"], 1e-9 * max(1, ref_layer["median_norm"])):
                problems.append(f"median_norm {got.get('median_norm')} != {ref_layer['median_norm']}")
            want_massive = [(m["branch"], m["token_index"], m["position"], m["top_dimensions"]) for m in ref_layer["massive"]]
            got_massive = [(m["branch"], m["token_index"], m["position"], m["top_dimensions"]) for m in got.get("massive", [])]
            if got_massive != want_massive:
                problems.append(f"massive {got_massive} != {want_massive}")
            for gm, wm in zip(got.get("massive", []), ref_layer["massive"]):
                if abs(gm["norm_ratio"] - wm["norm_ratio"]) > 1e-9 * wm["norm_ratio"]:
                    problems.append(f"massive norm_ratio {gm['norm_ratio']} != {wm['norm_ratio']}")
            worst_m = compare_layer_anisotropy(got, ref_layer, problems)
            if "attribution" in got:
                compare_attribution(f"layer {L} attribution", got["attribution"],
                                    reference_views.attribution_rungs(ref_layer, views, content, eraser), ABS_TOL, problems)
            for v in views:
                if v not in got.get("views", {}):
                    problems.append(f"view {v} missing from report.json")
                    continue
                worst_m = max(worst_m, compare_measures(f"layer {L} {v}", got["views"][v], ref_layer["views"][v], problems))
            with_umap = [v for v in views if got.get("views", {}).get(v, {}).get("umap_initialisation") is not None]
            with_clusters = [v for v in views if isinstance(got.get("views", {}).get(v, {}).get("clusters"), dict)]
            worst_c = check_csv(run, ref_layer, site_dir, views, with_umap, problems, with_clusters)
        if problems:
            failed += 1
            print(f"FAIL layer {L}: {len(problems)} problem(s)")
            for p in problems[:MAX_PROBLEMS_SHOWN]:
                print(f"     {p}")
        else:
            passed += 1
            print(f"ok   layer {L}: max |diff| measures {worst_m:.2e}, coordinates {worst_c:.2e} (relative)"
                  + (f", clusters min ARI with scikit-learn {min(a for a, _ in aris):.4f}" if aris else "")
                  + (f" ({sum(r for _, r in aris)} view(s) matched with ties re-broken)" if any(r for _, r in aris) else ""))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
