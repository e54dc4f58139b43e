#!/usr/bin/env python3
"""The layer pages' explorer (Templates/explore.js) in headless Chromium, driven by selenium.

    python3 Tests/Browser/check_explorer.py SITE [--run RUN_DIR] [--hostile FORKSCOPE_BINARY]

For a layer page of SITE (the middle one), opened both from a local static server and from the
file system (file://), every interaction is checked against what Python computes independently
from the layer's CSV (coordinates, ids, positions) and the run's run.json (token text, root prompts):
  * #q=…: the announced count is the number of tokens whose text matches (substring, case-
    insensitive; /regex/), and every plot marks (class is-match) exactly its matching tokens;
  * #pin=branch/index: the token's mark (is-pinned) in every plot that has it, none in those that
    do not, at its CSV coordinates; → goes to the next layer keeping the pin;
  * #colour=position: the raw PCA's fills get lighter with position (viridis); #colour=root uses one
    colour per root prompt;
  * #zoom=plot:x0,y0,x1,y1: the tokens in that box are drawn inside the frame, fewer than before;
    the wheel, + and double-click change the fragment's zoom;
  * #only=root: exactly the other root prompts' tokens are greyed out;
  * box and lasso selection: the downloaded CSV holds exactly the tokens inside the shape;
  * hover shows the token in context;
  * no console error and no CSP violation anywhere; with scripts disabled the page has every
    plot and table of its HTML and no explorer controls.
--hostile BINARY also builds the synthetic fixture with hostile token text (</script>, <!--,
U+2028, a right-to-left override) and checks the data block stays inert and searchable, and a
run of 2,880 tokens whose plots paint on a canvas (search, pin, and the canvas's colours).
Prints a line per failed check, then `N passed, M failed` (checks); exit 1 on any failure.
"""
import argparse
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_pages import browser, serve  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def layer_table(site, layer):
    with open(os.path.join(site, "layers", "%d.csv" % layer), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def data_block(site, layer):
    html = open(os.path.join(site, "layers", "%d.html" % layer), encoding="utf-8").read()
    m = re.search(r'<script type="application/json" id="explore-data">(.*?)</script>', html, re.S)
    return json.loads(m.group(1)), html


def coordinates(rows, plot):
    """Each token's (x, y) in a plot from the CSV, None where the view has none."""
    view, layout = plot.rsplit("-", 1)
    cx, cy = (view + "_pc1", view + "_pc2") if layout == "pca" else (view + "_umap1", view + "_umap2")
    return [(float(r[cx]), float(r[cy])) if r.get(cx) not in (None, "") else None for r in rows]


def run_tokens(run):
    """Token text in run order and each token's root prompt (run.json's group, else the root branch's id)."""
    manifest = json.load(open(os.path.join(run, "run.json"), encoding="utf-8"))
    branches = manifest["branches"]
    by_id = {b["id"]: b for b in branches}

    def root(b):
        while b.get("parent"):
            b = by_id[b["parent"]]
        return b["id"]
    texts, roots = [], []
    for b in branches:
        group = b.get("group") or root(b)
        texts += b["tokens"]
        roots += [group] * len(b["tokens"])
    return texts, roots


def matches(texts, query):
    if query.startswith("/") and query.endswith("/") and len(query) > 2:
        pattern = re.compile(query[1:-1])
        return [t for t, s in enumerate(texts) if pattern.search(s)]
    return [t for t, s in enumerate(texts) if query.lower() in s.lower()]


def luminance(hex_colour):
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def inside_polygon(x, y, polygon):
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


class Check:
    def __init__(self, driver, site, layer, url, rows, data, texts, roots):
        self.driver, self.site, self.layer, self.url = driver, site, layer, url
        self.rows, self.data, self.texts, self.roots = rows, data, texts, roots
        self.plots = [p["id"] for p in data["plots"]]
        self.coords = {p: coordinates(rows, p) for p in self.plots}

    def open(self, fragment=""):
        self.driver.get("about:blank")
        self.driver.get(self.url + ("#" + fragment if fragment else ""))
        self.wait(lambda: self.js("return !!window.forkscopeExplorer"))

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, condition, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if condition():
                return True
            time.sleep(0.05)
        raise AssertionError("timed out waiting")

    def show(self, plot):
        """Scrolls a plot into view: plots draw their points when near the screen."""
        self.js("document.querySelector('svg[data-plot=\"' + arguments[0] + '\"]').scrollIntoView({block: 'center'})", plot)
        time.sleep(0.3)

    def fills(self, plot):
        """A plot's points drawn by the explorer, as (token, fill)."""
        return self.js("return Array.from(document.querySelectorAll('svg[data-plot=\"' + arguments[0] + '\"] circle.fs-pt')).map(c => [Number(c.dataset.t), c.getAttribute('fill')])", plot)

    def console(self):
        return [e["message"][:200] for e in self.driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]

    def marks(self, plot, cls):
        return self.js("return Array.from(document.querySelector('svg[data-plot=\"' + arguments[0] + '\"]').querySelectorAll('.' + arguments[1])).map(e => Number(e.dataset.t))", plot, cls)

    # ---- the checks; each returns a list of problems ----

    def search(self):
        problems = []
        common = max(set(s.strip() for s in self.texts if len(s.strip()) >= 2), key=lambda w: sum(w.lower() in s.lower() for s in self.texts))
        for query in (common[:3], r"/^\s/", "/[0-9]/"):
            expected = matches(self.texts, query)
            self.open("q=" + _quote(query))
            count = int(self.js("return document.querySelector('.fs-status').dataset.count"))
            if count != len(expected):
                problems.append("search %r: %d announced, %d tokens match" % (query, count, len(expected)))
            status = self.js("return document.querySelector('.fs-status').textContent")
            if expected and not status.startswith("%d token" % len(expected)):
                problems.append("search %r: status says %r" % (query, status))
            for plot in self.plots:
                want = sorted(t for t in expected if self.coords[plot][t] is not None)
                got = sorted(self.marks(plot, "is-match"))
                if got != want:
                    problems.append("search %r, %s: %d marked, %d expected" % (query, plot, len(got), len(want)))
            listed = self.js("return document.querySelectorAll('.fs-matches li button').length")
            if listed != min(200, len(expected)):
                problems.append("search %r lists %d" % (query, listed))
        return problems

    def pin(self):
        problems = []
        branches = self.data["branches"]
        b = next((b for b in branches if b.get("fork") is not None and b["count"] > 2), branches[0])
        j = b["count"] // 2
        t = b["start"] + j
        row = self.rows[t]
        if (row["branch"], int(row["token_index"])) != (b["id"], j):
            return ["the CSV's row %d is not %s/%d" % (t, b["id"], j)]
        self.open("pin=" + _quote(b["id"] + "/" + str(j)))
        frames = {p["id"]: p["frame"] for p in self.data["plots"]}
        for plot in self.plots:
            got = self.marks(plot, "is-pinned")
            want = [t] if self.coords[plot][t] is not None else []
            if got != want:
                problems.append("pin %s/%d in %s: marks %s, expected %s" % (b["id"], j, plot, got, want))
                continue
            if not want:
                continue
            cx, cy = self.js("const c = document.querySelector('svg[data-plot=\"' + arguments[0] + '\"] .is-pinned'); return [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]", plot)
            f = frames[plot]
            x, y = self.coords[plot][t]
            ex = f["left"] + f["inset"] + (x - f["xMin"]) * f["scale"]
            ey = f["top"] + f["height"] - f["inset"] - (y - f["yMin"]) * f["scale"]
            ex, ey = min(max(ex, f["left"]), f["left"] + f["width"]), min(max(ey, f["top"]), f["top"] + f["height"])
            if abs(cx - ex) > 0.2 or abs(cy - ey) > 0.2:
                problems.append("pin in %s drawn at (%.1f, %.1f), the CSV puts it at (%.1f, %.1f)" % (plot, cx, cy, ex, ey))
            if not self.js("return !!document.querySelector('svg[data-plot=\"' + arguments[0] + '\"] .fs-pin-line')", plot):
                problems.append("pin in %s: its branch's line is not emphasised" % plot)
        layers = self.data["layers"]
        i = layers.index(self.layer)
        if i + 1 < len(layers):
            self.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
            self.wait(lambda: ("/%d.html" % layers[i + 1]) in self.driver.current_url)
            self.wait(lambda: self.js("return !!window.forkscopeExplorer"))
            if "pin=" not in self.driver.current_url:
                problems.append("→ to layer %d lost the pin (%s)" % (layers[i + 1], self.driver.current_url))
            pinned = self.js("return Array.from(document.querySelectorAll('.is-pinned')).map(e => Number(e.dataset.t))")
            if not pinned or set(pinned) != {t}:
                problems.append("layer %d: pinned marks %s, expected token %d" % (layers[i + 1], pinned[:5], t))
        return problems

    def colour(self):
        problems = []
        self.open("colour=position")
        plot = self.plots[0]
        self.show(plot)
        fills = self.fills(plot)
        want = [t for t in range(len(self.rows)) if self.coords[plot][t] is not None]
        if sorted(t for t, _ in fills) != want:
            problems.append("colour by position: %d points drawn in %s, %d expected" % (len(fills), plot, len(want)))
        ordered = sorted(fills, key=lambda f: int(self.rows[f[0]]["position"]))
        lum = [luminance(c) for _, c in ordered]
        drops = sum(1 for a, b in zip(lum, lum[1:]) if b < a - 1e-9)
        if drops:
            problems.append("colour by position: luminance falls %d times along position" % drops)
        if len(set(c for _, c in fills)) < 3:
            problems.append("colour by position: %d colours" % len(set(c for _, c in fills)))
        if not self.js("const b = document.querySelector('.fs-bar'); return !!b && b.getBoundingClientRect().width > 50"):
            problems.append("colour by position: no colour bar")
        self.open("colour=root")
        self.show(plot)
        fills = self.fills(plot)
        by_root = {}
        for t, c in fills:
            by_root.setdefault(self.roots[t], set()).add(c)
        if any(len(c) != 1 for c in by_root.values()) or (len(by_root) <= 9 and len(set().union(*by_root.values())) != len(by_root)):
            problems.append("colour by root: colours per root %s" % {k: sorted(v) for k, v in list(by_root.items())[:4]})
        return problems

    def zoom(self):
        problems = []
        plot = self.plots[0]
        pts = [p for p in self.coords[plot] if p is not None]
        xs, ys = sorted(p[0] for p in pts), sorted(p[1] for p in pts)
        box = (xs[len(xs) // 4], ys[len(ys) // 4], xs[len(xs) // 2], ys[len(ys) // 2])
        self.open()
        static_ticks = self.js("return Array.from(document.querySelectorAll('svg[data-plot=\"' + arguments[0] + '\"] .axes .tick')).map(t => t.textContent)", plot)
        self.open("zoom=%s:%s" % (_quote(plot), ",".join("%.6g" % v for v in box)))
        self.show(plot)
        drawn = self.js("return Array.from(document.querySelectorAll('svg[data-plot=\"' + arguments[0] + '\"] circle.fs-pt')).map(c => [Number(c.dataset.t), c.classList.contains('fs-out')])", plot)
        inside = {t for t, out in drawn if not out}
        want = {t for t, p in enumerate(self.coords[plot]) if p and box[0] <= p[0] <= box[2] and box[1] <= p[1] <= box[3]}
        if not want <= inside:
            problems.append("zoom: %d tokens in the box are not drawn inside the frame" % len(want - inside))
        if not len(inside) < len(drawn):
            problems.append("zoom: every token still inside the frame (%d)" % len(inside))
        ticks = self.js("return Array.from(document.querySelectorAll('svg[data-plot=\"' + arguments[0] + '\"] .fs-axes .tick')).map(t => t.textContent)", plot)
        if not ticks or ticks == static_ticks:
            problems.append("zoom: tick labels unchanged")
        # The wheel, the keyboard and a double-click.
        self.open()
        svg = self.driver.find_element(By.CSS_SELECTOR, 'svg[data-plot="%s"]' % plot)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", svg)
        ActionChains(self.driver).scroll_to_element(svg).perform()
        ActionChains(self.driver).scroll_from_origin(ScrollOrigin.from_element(svg), 0, -300).perform()
        time.sleep(0.2)
        if "zoom=" not in self.driver.current_url:
            problems.append("the wheel did not zoom (%s)" % self.driver.current_url)
        ActionChains(self.driver).double_click(svg).perform()
        time.sleep(0.2)
        if "zoom=" in self.driver.current_url:
            problems.append("double-click did not reset the zoom")
        self.js("arguments[0].focus()", svg)
        ActionChains(self.driver).send_keys("+").perform()
        time.sleep(0.1)
        if "zoom=" not in self.driver.current_url:
            problems.append("+ on a focused plot did not zoom")
        return problems

    def only(self):
        problems = []
        root = self.data["roots"][0]["id"]
        self.open("only=" + _quote(root) + "&colour=position")
        plot = self.plots[0]
        self.show(plot)
        faded = set(self.marks(plot, "fs-pt.is-faded"))
        want = {t for t, p in enumerate(self.coords[plot]) if p is not None and self.roots[t] != root}
        if faded != want:
            problems.append("only=%s: %d greyed, %d tokens of other roots" % (root, len(faded), len(want)))
        return problems

    def select(self, download_dir):
        problems = []
        plot = self.plots[0]
        for mode in ("box", "lasso"):
            self.open()
            for f in os.listdir(download_dir):
                os.remove(os.path.join(download_dir, f))
            Select(self.driver.find_element(By.ID, "fs-mode")).select_by_value(mode)
            svg = self.driver.find_element(By.CSS_SELECTOR, 'svg[data-plot="%s"]' % plot)
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", svg)
            w, h = svg.size["width"], svg.size["height"]
            chain = ActionChains(self.driver).move_to_element_with_offset(svg, int(-w * 0.25), int(-h * 0.25)).click_and_hold()
            path = [(0.1, 0.15), (0.2, 0.2)] if mode == "box" else [(0.25, -0.2), (0.2, 0.25), (-0.2, 0.2)]
            for dx, dy in path:
                chain = chain.move_to_element_with_offset(svg, int(w * dx), int(h * dy))
            chain.release().perform()
            shape = self.js("const s = document.querySelector('.fs-selection'); return s.hidden ? null : s.dataset.shape")
            if not shape:
                problems.append("%s selection: nothing selected" % mode)
                continue
            kind, numbers = shape.split(":", 1)
            f = next(p["frame"] for p in self.data["plots"] if p["id"] == plot)
            eps = 0.02 / f["scale"]
            pts = self.coords[plot]
            if kind == "box":
                x0, y0, x1, y1 = map(float, numbers.split(","))
                inside = lambda p: x0 <= p[0] <= x1 and y0 <= p[1] <= y1  # noqa: E731
                near = lambda p: min(abs(p[0] - x0), abs(p[0] - x1), abs(p[1] - y0), abs(p[1] - y1)) < eps  # noqa: E731
            else:
                polygon = [tuple(map(float, q.split(" "))) for q in numbers.split(",")]
                inside = lambda p: inside_polygon(p[0], p[1], polygon)  # noqa: E731
                near = lambda p: any(inside_polygon(p[0] + dx, p[1] + dy, polygon) != inside(p) for dx in (-eps, eps) for dy in (-eps, eps))  # noqa: E731
            want = {(self.rows[t]["branch"], int(self.rows[t]["token_index"])) for t, p in enumerate(pts) if p and inside(p)}
            edge = {(self.rows[t]["branch"], int(self.rows[t]["token_index"])) for t, p in enumerate(pts) if p and near(p)}
            self.driver.find_element(By.CSS_SELECTOR, ".fs-download").click()
            self.wait(lambda: any(f.endswith(".csv") for f in os.listdir(download_dir)))
            name = next(f for f in os.listdir(download_dir) if f.endswith(".csv"))
            time.sleep(0.2)
            with open(os.path.join(download_dir, name), newline="", encoding="utf-8") as fh:
                got_rows = list(csv.DictReader(fh))
            got = {(r["branch"], int(r["token_index"])) for r in got_rows}
            if not want:
                problems.append("%s selection: the shape holds no token (test set-up)" % mode)
            if (got ^ want) - edge:
                problems.append("%s selection: CSV has %d tokens, %d inside the shape; differing: %s" % (mode, len(got), len(want), sorted((got ^ want) - edge)[:4]))
            shown = self.js("return document.querySelectorAll('.fs-selection tbody tr').length")
            if shown != min(500, len(got)):
                problems.append("%s selection: the table lists %d of %d" % (mode, shown, len(got)))
        return problems

    def canvas(self):
        """A plot over 2,500 tokens paints them on a canvas: every token, recoloured by position."""
        problems = []
        plot = self.plots[0]
        counts = {}
        for colour in ("branch", "position"):
            self.open("" if colour == "branch" else "colour=" + colour)
            self.show(plot)
            counts[colour] = self.js("""
                const c = document.querySelector('svg[data-plot="' + arguments[0] + '"] canvas');
                if (!c || !c.width) return -1;
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, seen = new Set();
                for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
                return seen.size;""", plot)
        if counts["branch"] != -1:
            problems.append("colour by branch: the static drawing should show, not the canvas (%d colours)" % counts["branch"])
        if counts["position"] < 12:
            problems.append("colour by position: the canvas shows %d opaque colours" % counts["position"])
        return problems

    def hover(self):
        self.open("colour=position")
        plot = self.plots[0]
        circle = self.driver.find_element(By.CSS_SELECTOR, 'svg[data-plot="%s"] circle.fs-pt:not(.fs-out)' % plot)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", circle)
        ActionChains(self.driver).move_to_element(circle).perform()
        time.sleep(0.1)
        tip = self.js("const t = document.querySelector('.fs-tip'); return t.hidden ? null : [t.querySelector('mark').textContent, t.textContent]")
        if not tip:
            return ["hover shows no tooltip"]
        if "position" not in tip[1] or "norm" not in tip[1]:
            return ["the tooltip lacks position or norm: %r" % tip[1][:100]]
        return []


def _quote(text):
    from urllib.parse import quote
    return quote(text, safe="")


def scripts_off(site, layer, html):
    """The page with JavaScript disabled: every plot and table of its HTML, drawn; no controls."""
    driver = browser(javascript=False)
    problems = []
    try:
        driver.get("file://" + os.path.join(site, "layers", "%d.html" % layer))
        # execute_script is the driver's, not the page's: it runs with the page's scripts off.
        counts = driver.execute_script(
            "return [document.querySelectorAll('svg').length, document.querySelectorAll('table').length, !!document.querySelector('form.explorer'),"
            " Array.from(document.querySelectorAll('svg.scatter')).filter(s => s.getBoundingClientRect().width > 0).length, !!window.forkscopeExplorer]")
        svgs, tables, form, drawn, ran = counts
        if form or ran:
            problems.append("scripts off: the explorer ran")
        if svgs != html.count("<svg") or tables != html.count("<table"):
            problems.append("scripts off: %d svgs and %d tables, the HTML has %d and %d" % (svgs, tables, html.count("<svg"), html.count("<table")))
        if drawn != html.count('class="scatter'):
            problems.append("scripts off: %d scatter plots drawn of %d" % (drawn, html.count('class="scatter')))
    finally:
        driver.quit()
    return problems


def hostile(binary, workdir):
    """A run whose tokens try to end the data block, open a comment, break a line in JavaScript
    and reorder text: the page must parse them back as text and run nothing else."""
    run = os.path.join(workdir, "hostile-run")
    here = os.path.dirname(os.path.abspath(__file__))
    shutil.copytree(os.path.join(here, "..", "Fixtures", "runs", "synthetic"), run)
    manifest = json.load(open(os.path.join(run, "run.json"), encoding="utf-8"))
    evil = ["</script><script>alert(1)</script>", "<!--", "\u2028x\u2029", "a\u202eb", "</SCRIPT >", "&amp;<b>"]
    tokens = manifest["branches"][0]["tokens"]
    for i, e in enumerate(evil[:len(tokens)]):
        tokens[i] = e
    json.dump(manifest, open(os.path.join(run, "run.json"), "w", encoding="utf-8"))
    site = os.path.join(workdir, "hostile-site")
    subprocess.run([binary, "build", run, "--out", site, "--quiet", "--views", "raw,position_mean"], check=True)
    layer = json.load(open(os.path.join(site, "report.json")))["layers"][0]["layer"]
    driver = browser()
    problems = []
    try:
        driver.get("file://" + os.path.join(site, "layers", "%d.html" % layer) + "#q=" + _quote("</script>"))
        time.sleep(0.5)
        try:
            driver.switch_to.alert.dismiss()
            problems.append("hostile tokens: an alert ran")
        except Exception:
            pass
        texts = driver.execute_script("return JSON.parse(document.getElementById('explore-data').textContent).text")
        expected = [t for b in manifest["branches"] for t in b["tokens"]]
        if texts != expected:
            problems.append("hostile tokens: the data block parses to other text")
        if driver.execute_script("return document.querySelectorAll('script').length") != 2:
            problems.append("hostile tokens: the page has %d script elements" % driver.execute_script("return document.querySelectorAll('script').length"))
        count = driver.execute_script("return document.querySelector('.fs-status') && document.querySelector('.fs-status').dataset.count")
        if count != str(sum("</script>" in t.lower() for t in expected)):
            problems.append("hostile tokens: search for </script> counts %s" % count)
        problems += [e["message"][:200] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    finally:
        driver.quit()
    return problems


def canvas_site(binary, workdir):
    """A run of 2,880 tokens (over the 2,500 a plot draws as SVG points): built raw only, one layer."""
    run, site = os.path.join(workdir, "canvas-run"), os.path.join(workdir, "canvas-site")
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run([sys.executable, os.path.join(here, "..", "..", "scripts", "synth_run.py"), run, "--roots", "10", "--samples", "16",
                    "--prompt-len", "32", "--cont-len", "16", "--layers", "1", "--hidden", "48", "--force"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([binary, "build", run, "--out", site, "--quiet", "--views", "raw,position_mean", "--projections", "pca"], check=True)
    return run, site


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("site")
    parser.add_argument("--run", help="the run the site was built from (token text and root prompts); default: the CSV's text")
    parser.add_argument("--hostile", metavar="FORKSCOPE_BINARY")
    args = parser.parse_args()
    site = os.path.realpath(args.site)
    layers = [p["layer"] for p in json.load(open(os.path.join(site, "report.json")))["layers"]]
    layer = layers[len(layers) // 2]
    rows = layer_table(site, layer)
    data, html = data_block(site, layer)
    if args.run:
        texts, roots = run_tokens(args.run)
    else:
        texts = [r["token"] for r in rows]
        roots = [data["roots"][data["branches"][next(i for i, b in enumerate(data["branches"]) if b["start"] <= t < b["start"] + b["count"])]["root"]]["id"] for t in range(len(rows))]
    passed = failed = 0

    def report(name, problems):
        nonlocal passed, failed
        if problems:
            failed += 1
            print("%s: %s" % (name, "; ".join(problems[:4])))
        else:
            passed += 1

    if texts != [r["token"] for r in rows]:
        report("run", ["the CSV's tokens are not the run's"])
    server, origin = serve(site)
    download_dir = tempfile.mkdtemp()
    driver = browser()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir})
    try:
        for where, url in (("http", origin + "layers/%d.html" % layer), ("file", "file://" + os.path.join(site, "layers", "%d.html" % layer))):
            check = Check(driver, site, layer, url, rows, data, texts, roots)
            for name in ("search", "pin", "colour", "zoom", "only", "select", "hover"):
                try:
                    problems = check.select(download_dir) if name == "select" else getattr(check, name)()
                except Exception as e:  # a check that cannot run is a failed check
                    problems = ["%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")]
                report("%s, %s" % (where, name), problems + ["console: " + m for m in check.console()])
        report("scripts off", scripts_off(site, layer, html))
        if args.hostile:
            work = tempfile.mkdtemp()
            try:
                report("hostile tokens", hostile(args.hostile, work))
                run, big = canvas_site(args.hostile, work)
                big_layer = json.load(open(os.path.join(big, "report.json")))["layers"][0]["layer"]
                big_rows, (big_data, _) = layer_table(big, big_layer), data_block(big, big_layer)
                texts, roots = run_tokens(run)
                check = Check(driver, big, big_layer, "file://" + os.path.join(big, "layers", "%d.html" % big_layer), big_rows, big_data, texts, roots)
                for name in ("search", "pin", "canvas"):
                    report("canvas plots (%d tokens), %s" % (len(big_rows), name), getattr(check, name)() + ["console: " + m for m in check.console()])
            finally:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(download_dir, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
