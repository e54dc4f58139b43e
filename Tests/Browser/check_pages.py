#!/usr/bin/env python3
"""Every page of a built site in a real browser: headless Chromium driven by selenium.

    python3 Tests/Browser/check_pages.py SITE_DIR [--screenshots DIR] [--shots PAGE ...]

SITE_DIR is served on 127.0.0.1 (an ephemeral port, this process only) the way a static host
serves it: files as they are, 404.html for any missing path. For every .html file, and for a
missing address (which must show the site's 404 page):
  * the browser's console has no error: no script error, no resource that failed to load, no
    Content-Security-Policy violation (the policy in the page's own meta tag is enforced);
  * every SVG that is not hidden (aria-hidden) renders with a non-zero width and height;
  * every link and resource inside the site resolves: href/src to a file of the site, #fragments
    to an element of the page; no page loads anything from any other address (the browser's
    resource timing lists none);
  * the site's style sheets applied (the body's font is not the browser default's serif).
--screenshots DIR saves full-width screenshots of the pages named by --shots (default: index.html
and the middle layer page) as PNG, each also as a reader with a dark system theme sees it
(prefers-color-scheme: dark, which must change the page's background).

Prints one line per failing page, then exactly `N passed, M failed` (pages); exit 1 on any failure.
"""
import argparse
import functools
import http.server
import os
import sys
import threading
from urllib.parse import unquote, urlparse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser(javascript=True):
    """Headless Chromium; `javascript=False` opens pages with their scripts disabled."""
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1000",
                 "--allow-file-access-from-files"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    binary = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(p)), None)
    if binary:
        options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = next((p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if os.path.exists(p)), None)
    return webdriver.Chrome(service=Service(driver_path) if driver_path else Service(), options=options)


class StaticHost(http.server.SimpleHTTPRequestHandler):
    """Files as they are; the site's 404.html, with status 404, for anything missing."""

    def send_error(self, code, message=None, explain=None):
        page = os.path.join(self.directory, "404.html")
        if code != 404 or not os.path.isfile(page):
            return super().send_error(code, message, explain)
        body = open(page, "rb").read()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(StaticHost, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d/" % server.server_address[1]


CHECK_PAGE = """
const problems = [];
for (const svg of document.querySelectorAll('svg')) {
  if (svg.closest('[aria-hidden="true"]')) continue;
  const r = svg.getBoundingClientRect();
  if (!(r.width > 0 && r.height > 0)) problems.push('svg ' + (svg.getAttribute('aria-label') || svg.getAttribute('class')) + ' renders ' + r.width + 'x' + r.height);
}
const links = [];
for (const el of document.querySelectorAll('[href], [src]')) {
  const raw = el.getAttribute('href') || el.getAttribute('src');
  links.push([el.tagName, raw, el.href && el.href.baseVal === undefined ? el.href : (el.src || raw)]);
}
const remote = performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin + '/'));
const ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id);
// Issue 18's sections: every layer page opens with position-coloured plots (two views, or one when
// raw is the recommended view), each a visible square of coloured dots; the index has the ladder.
const path = location.pathname;
const build = !document.querySelector('[class*="heatmap"], section.view-diff, svg.versions');  // a build's site, not a diff's (or a series')
if (build && /\/layers\/\d+\.html$/.test(path)) {
  const plots = document.querySelectorAll('section.position-pair svg.position-plot');
  if (plots.length < 2) problems.push('position-coloured plots: ' + plots.length);
  for (const svg of plots) {
    const r = svg.getBoundingClientRect();
    const colours = new Set(Array.from(svg.querySelectorAll('.dots path')).map(p => getComputedStyle(p).stroke));
    if (r.width < 150) problems.push('a position plot is ' + r.width + ' px wide');
    if (colours.size < 2) problems.push('a position plot has ' + colours.size + ' colours');
  }
}
// Issue 19's: every layer page has a visible clusters section (a row per view, plots coloured by
// cluster, a cluster table linking to the clusters page); each clusters page lists tokens in context;
// the index has the flow diagram with a column of bars per shown layer.
if (build && /\/layers\/\d+\.html$/.test(path)) {
  const section = document.querySelector('section.clusters');
  if (!section || section.getBoundingClientRect().height <= 0) problems.push('no visible clusters section');
  else {
    if (section.querySelectorAll('table.cluster-agreement tbody tr').length < 2) problems.push('cluster agreement table: fewer than 2 views');
    const plots = section.querySelectorAll('svg.cluster-plot');
    if (plots.length < 2) problems.push('plots coloured by cluster: ' + plots.length);
    for (const svg of plots) if (svg.getBoundingClientRect().width < 150) problems.push('a cluster plot is narrow');
    if (!section.querySelector('table.cluster-table tbody tr th a[href*="-clusters-"]')) problems.push('cluster table rows do not link to a clusters page');
  }
}
if (build && /\/layers\/\d+-clusters-[^/]+\.html$/.test(path)) {
  const tokens = document.querySelectorAll('section.cluster ol.cluster-tokens li a[href*="branches/"]');
  if (tokens.length === 0) problems.push('a clusters page lists no tokens');
  for (const m of document.querySelectorAll('section.cluster mark')) {
    if (m.getBoundingClientRect().height <= 0) { problems.push('a token in context is not visible'); break; }
  }
}
if (build && /\/(index\.html)?$/.test(path) && document.querySelector('h1')) {
  const ladder = document.querySelector('table.ladder');
  if (!ladder || ladder.getBoundingClientRect().height <= 0 || ladder.querySelectorAll('tbody tr').length === 0)
    problems.push('the index has no visible attribution ladder');
  const flow = document.querySelector('section.flow svg.flow');
  if (!flow || flow.getBoundingClientRect().height <= 0) problems.push('the index has no visible flow diagram');
  else if (flow.querySelectorAll('.bars rect').length < 2 || flow.querySelectorAll('.bars text').length < 2)
    problems.push('the flow diagram has fewer than two columns of bars');
}
return {problems, links, remote, ids, font: getComputedStyle(document.body).fontFamily, svgs: document.querySelectorAll('svg').length};
"""


def check(driver, site, origin, page, address=None):
    """Loads `address` (default: the page's own) and checks it; `page` is the file it should show."""
    problems = []
    driver.get(origin + (address or page))
    result = driver.execute_script(CHECK_PAGE)
    problems += result["problems"]
    for entry in driver.get_log("browser"):
        # A missing address is meant to answer 404: that line is the server's status, not a fault.
        if entry["level"] in ("SEVERE", "ERROR") and not (address and "404" in entry["message"] and address in entry["message"]):
            problems.append("console: " + entry["message"][:200])
    problems += ["loads " + url for url in result["remote"]]
    if "serif" == result["font"].strip().lower() or not result["font"]:
        problems.append("style sheet not applied (font %r)" % result["font"])
    ids = set(result["ids"])
    for tag, raw, resolved in result["links"]:
        if raw.startswith("data:"):
            continue
        if raw.startswith("#"):
            if raw[1:] not in ids:
                problems.append("%s %s: no element with that id" % (tag, raw))
            continue
        if not resolved.startswith(origin):
            problems.append("%s %s leaves the site" % (tag, raw))
            continue
        target = os.path.realpath(os.path.join(site, unquote(urlparse(resolved).path).lstrip("/")))
        if not target.startswith(os.path.realpath(site) + os.sep) or not os.path.isfile(target):
            problems.append("%s %s: no such file in the site (%s)" % (tag, raw, target))
    return problems, result["svgs"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("site")
    parser.add_argument("--screenshots")
    parser.add_argument("--shots", nargs="*")
    args = parser.parse_args()
    site = os.path.realpath(args.site)
    pages = sorted(os.path.relpath(os.path.join(d, f), site) for d, _, fs in os.walk(site) for f in fs if f.endswith(".html"))
    if not pages:
        print("no pages under " + site)
        print("0 passed, 1 failed")
        return 1
    layer_pages = [p for p in pages if p.startswith("layers/")]
    shots = args.shots or ["index.html", layer_pages[len(layer_pages) // 2] if layer_pages else pages[0]]
    server, origin = serve(site)
    driver = browser()
    passed = failed = svgs = 0
    visits = [(page, None) for page in pages]
    if "404.html" in pages:
        visits.append(("404.html", "no/such/page.html"))
    try:
        for page, address in visits:
            problems, count = check(driver, site, origin, page, address)
            if address and "Page not found" not in driver.page_source:
                problems.append("a missing address does not show the site's 404 page")
            page = address or page
            svgs += count
            if args.screenshots and page in shots:
                os.makedirs(args.screenshots, exist_ok=True)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(1300, min(max(height, 600), 6000))
                out = os.path.join(args.screenshots, page.replace("/", "_").replace(".html", ".png"))
                driver.save_screenshot(out)
                print("screenshot: " + out)
                # The same page for a reader whose system asks for dark pages.
                driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
                dark = out.replace(".png", "-dark.png")
                driver.save_screenshot(dark)
                background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
                driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
                driver.set_window_size(1300, 1000)
                if background in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"):
                    problems.append("dark mode leaves the page white (%s)" % background)
                print("screenshot: " + dark)
            # A page passes only when every check of it, the dark-mode one included, does.
            if problems:
                failed += 1
                print("%s: %s" % (page, "; ".join(problems[:5])))
            else:
                passed += 1
    finally:
        driver.quit()
        server.shutdown()
    print("%d addresses, %d SVG elements checked" % (len(visits), svgs))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
