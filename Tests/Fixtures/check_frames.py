#!/usr/bin/env python3
"""Checks that every point plot of a built site reads at its size (issue 21): in each scatter,
position, cluster and facet plot of every layer page, the middle half of the drawn points spans
at least a quarter of each axis (the frame), allowing for coordinates written to a tenth of a unit.

    python3 Tests/Fixtures/check_frames.py SITE [SITE ...]

Prints the smallest share per plot kind and exits 1 if any plot falls short. Independent of the
Swift code: it reads the drawn coordinates back from the SVG with regular expressions and NumPy.
"""
import csv, glob, os, re, sys
import numpy as np

SVG = re.compile(r'<svg xmlns="http://www.w3.org/2000/svg" class="([a-z -]+)"(.*?)</svg>', re.S)
FRAME = re.compile(r'<rect class="frame" x="([-0-9.]+)" y="([-0-9.]+)" width="([-0-9.]+)" height="([-0-9.]+)"')
USE = re.compile(r'<use class="(?:pt|out)" href="[^"]*" x="([-0-9.]+)" y="([-0-9.]+)"')
DOT = re.compile(r'M([-0-9.]+) ([-0-9.]+)h0')


def points(kind, body):
    if kind.startswith("scatter"):
        # Massive activations are kept out of the fits and the frame, drawn at its edge with ⊗.
        body = re.sub(r'<g class="massive">.*?</g>\n(?:<circle class="root-start"[^>]*>\n)?<use [^>]*>', "", body)
        return [(float(x), float(y)) for x, y in USE.findall(body)]
    if kind == "facet":
        # A facet's own tokens, in colour; the grid's frame is measured on all its facets' together.
        dots = re.findall(r'<path class="dots"[^>]* d="([^"]*)"', body)
        return [(float(x), float(y)) for d in dots for x, y in DOT.findall(d)]
    body = body.split('<g class="colour-bar"')[0]
    return [(float(x), float(y)) for x, y in DOT.findall(body)]


def plots(html):
    """(kind, frame, points, svg) of each plot of a page; a facet grid (consecutive facets sharing one
    frame, each token in colour in its prompt's facet) counts as one plot of all their points."""
    out = []
    for kind, body in SVG.findall(html):
        frame = FRAME.search(body)
        if frame is None:
            continue
        pts = points(kind, body)
        if kind == "facet" and out and out[-1][0] == "facet" and out[-1][1] == frame.groups() and "<defs>" not in body:
            out[-1][2].extend(pts)
        else:
            out.append((kind, frame.groups(), pts, body))
    return out


TIP = re.compile(r'<use class="pt" href="[^"]*" x="([-0-9.]+)" y="([-0-9.]+)"><title>([^<]*) · position (\d+) · ')


def all_points(body, table):
    """A thinned scatter plot draws a sample of its points as markers: place every token instead,
    from the layer's CSV through the affine map (x → a + b·x, y → c − b·y) fitted on the markers
    (branch and position from their tooltips), with the CSV column pair that fits them best, each
    pinned to the frame as drawn."""
    marks = [(float(x), float(y), b, int(p)) for x, y, b, p in TIP.findall(body)]
    rows = {(r["branch"], int(r["position"])): r for r in table}
    best = None
    columns = [c[:-1] for c in table[0] if c.endswith("_pc1") or c.endswith("_umap1")]
    for c in columns:
        pairs = [(m, rows.get((m[2], m[3]))) for m in marks]
        pairs = [(m, r) for m, r in pairs if r and r[c + "1"] and r[c + "2"]]
        if len(pairs) < 10:
            continue
        d = np.array([[float(r[c + "1"]), float(r[c + "2"])] for _, r in pairs])
        s = np.array([[m[0], m[1]] for m, _ in pairs])
        a = np.vstack([np.concatenate([d[:, 0], -d[:, 1]]), np.concatenate([np.ones(len(d)), np.zeros(len(d))]),
                       np.concatenate([np.zeros(len(d)), np.ones(len(d))])]).T
        coef, res, *_ = np.linalg.lstsq(a, np.concatenate([s[:, 0], s[:, 1]]), rcond=None)
        err = np.median(np.abs(a @ coef - np.concatenate([s[:, 0], s[:, 1]])))
        if best is None or err < best[0]:
            best = (err, c, coef)
    if best is None or best[0] > 0.5:
        return None
    _, c, (b, x0, y0) = best
    return np.array([[x0 + b * float(r[c + "1"]), y0 - b * float(r[c + "2"])] for r in table if r[c + "1"] and r[c + "2"]])


def main(sites):
    worst, failures = {}, []
    for site in sites:
        pages = glob.glob(os.path.join(site, "layers", "*.html"))
        for page in sorted(p for p in pages if re.fullmatch(r"\d+\.html", os.path.basename(p))):
            html = open(page, encoding="utf-8").read()
            table = list(csv.DictReader(open(page[:-5] + ".csv", encoding="utf-8")))
            for n, (kind, frame, pts, body) in enumerate(plots(html)):
                if kind.startswith("scatter") and "density" in body:
                    placed = all_points(body, table)
                    if placed is None:
                        failures.append(f"{page}: plot {n}: its markers match no CSV columns")
                        continue
                    fx, fy, fw, fh = map(float, frame)
                    pts = np.clip(placed, [fx, fy], [fx + fw, fy + fh])
                if len(pts) < 20:
                    continue
                pts = np.array(pts)
                _, _, w, h = map(float, frame)
                q1, q3 = np.percentile(pts, [25, 75], axis=0)
                share = min((q3[0] - q1[0] + 0.1) / w, (q3[1] - q1[1] + 0.1) / h)
                key = kind.split()[0]
                worst[key] = min(worst.get(key, 1.0), share)
                if share < 0.25:
                    failures.append(f"{page}: plot {n} ({kind}, {len(pts)} points): middle half spans {share:.3f} of an axis")
    for key, share in sorted(worst.items()):
        print(f"{key}: the middle half spans at least {share:.3f} of each axis")
    for f in failures[:20]:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
