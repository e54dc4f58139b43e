#!/usr/bin/env python3
"""The explorer's page weight and interaction latency, in headless Chromium.

    python3 Benchmarks/explorer_bench.py SITE [SITE ...] [--repeat 7]

For each site's middle layer page (opened from file://, as a reader who downloaded the site does):
  * page weight: the HTML, its explorer data block and the script, raw and gzip-compressed (what a
    static host sends);
  * time until the explorer is ready (performance mark `forkscope-explorer-ready`, from navigation);
  * per interaction, the median over --repeat runs of the time from the change to the next painted
    frame (requestAnimationFrame, then a task): the JavaScript alone and the whole, rendering
    included. Interactions: search (a one-letter query: the most marks), colour by position and
    back, isolate a root prompt, pin a token, zoom and pan the first plot, hover (nearest token).
Figures are printed side by side per site, against RAIL's budget of 100 ms for a response to input
(web.dev/rail). The machine is shared: read medians and ratios, not single runs.
"""
import argparse
import gzip
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Browser"))
from check_pages import browser  # noqa: E402

INTERACTIONS = """
const [repeat, done] = [arguments[0], arguments[arguments.length - 1]];
const ex = window.forkscopeExplorer;
const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
async function time(f) {
  await frame();
  const t0 = performance.now(); f(); const t1 = performance.now();
  await frame();
  return [t1 - t0, performance.now() - t0];
}
const p = ex.plots[0];
p.svg.scrollIntoView({block: 'center'});
await frame(); await frame();
const c = [(p.inner.x0 + p.inner.x1) / 2, (p.inner.y0 + p.inner.y1) / 2];
const root = ex.data.roots[0].id, token = Math.floor(ex.n / 2);
const steps = {
  'search "e"': [() => { ex.state.q = 'e'; ex.apply(); }, () => { ex.state.q = ''; ex.apply(); }],
  'colour by position': [() => { ex.state.colour = 'position'; ex.apply(); }, () => { ex.state.colour = 'branch'; ex.apply(); }],
  'isolate a root': [() => { ex.state.only = root; ex.apply(); }, () => { ex.state.only = ''; ex.apply(); }],
  'pin a token': [() => ex.pin(token), () => ex.pin(-1)],
  'zoom in (wheel step)': [() => p.zoomAbout(c, 1.25), () => { p.setWindow(null); ex.zoomed(p, null); }],
  'pan (drag step)': [() => p.panBy(12, 8), () => p.panBy(-12, -8)],
  'hover (nearest token)': [() => p.nearest(c[0], c[1], 8), () => {}],
};
const out = {};
for (const [name, [go, back]] of Object.entries(steps)) {
  const js = [], all = [];
  for (let i = 0; i < repeat; i++) {
    const [a, b] = await time(go); js.push(a); all.push(b);
    await time(back);
  }
  out[name] = [js, all];
}
const mark = performance.getEntriesByName('forkscope-explorer-ready')[0];
done({interactions: out, ready: mark ? mark.startTime : null, tokens: ex.n, plots: ex.plots.length,
      canvas: ex.plots.filter(q => q.canvasMode).length});
"""


def weights(site, layer):
    html = open(os.path.join(site, "layers", "%d.html" % layer), "rb").read()
    block = re.search(rb'<script type="application/json" id="explore-data">(.*?)</script>', html, re.S).group(1)
    script = open(os.path.join(site, "explore.js"), "rb").read()
    return {name: (len(b), len(gzip.compress(b, 6))) for name, b in (("page", html), ("data block", block), ("explore.js", script))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sites", nargs="+")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    results = []
    driver = browser()
    try:
        for site in args.sites:
            site = os.path.realpath(site)
            layers = [entry["layer"] for entry in json.load(open(os.path.join(site, "report.json")))["layers"]]
            layer = layers[len(layers) // 2]
            driver.set_script_timeout(600)
            driver.get("about:blank")
            driver.get("file://" + os.path.join(site, "layers", "%d.html" % layer))
            driver.execute_async_script("const done = arguments[0]; (function wait() { window.forkscopeExplorer ? done() : setTimeout(wait, 50); })();")
            body = "const run = async () => {" + INTERACTIONS + "}; run();"
            measured = driver.execute_async_script(body, args.repeat)
            results.append((os.path.basename(site), layer, weights(site, layer), measured))
    finally:
        driver.quit()

    names = [r[0] for r in results]
    print("%-28s" % "" + "".join("%26s" % n[:25] for n in names))
    print("%-28s" % "tokens, plots (canvas)" + "".join("%26s" % ("%d, %d (%d)" % (r[3]["tokens"], r[3]["plots"], r[3]["canvas"])) for r in results))
    for key in ("page", "data block", "explore.js"):
        print("%-28s" % (key + " KB (gzip)") + "".join("%26s" % ("%.0f (%.0f)" % (r[2][key][0] / 1024, r[2][key][1] / 1024)) for r in results))
    print("%-28s" % "explorer ready, ms" + "".join("%26s" % ("%.0f" % r[3]["ready"] if r[3]["ready"] else "-") for r in results))
    print("\nmedian ms over %d, script / to the next painted frame (RAIL budget: 100 ms)" % args.repeat)
    for name in results[0][3]["interactions"]:
        cells = []
        for r in results:
            js, total = r[3]["interactions"][name]
            cells.append("%.0f / %.0f" % (statistics.median(js), statistics.median(total)))
        print("%-28s" % name + "".join("%26s" % c for c in cells))


if __name__ == "__main__":
    main()
