#!/usr/bin/env python3
"""`forkscope serve` end to end: a real server, a real browser, real edits.

    python3 Tests/Browser/check_serve.py FORKSCOPE_BINARY [--run Examples/topics-mini]

Copies the run, the demo's commentary and an empty templates folder into a temporary folder,
starts `forkscope serve` on a free port of 127.0.0.1 (port 0, the address read from its output)
and checks:
  * http: pages carry the live-reload script and `connect-src 'self'`; the built folder, which is
    what `build` publishes, has neither; GET and HEAD only; the script and event stream are served;
  * path traversal: `/../`, `%2e%2e` in any case, encoded slashes and backslashes, absolute-form
    and `//` targets, NUL, and symbolic links out of the site never reach a file outside it;
  * loopback only: the server is not reachable on this machine's other addresses;
  * in Chromium: a commentary edit shows in the open page by itself within 2 s; a broken template
    shows the error page naming the template; fixing it brings the page back; no console errors
    and no CSP violations on the served pages;
  * the server stops on SIGTERM.
Prints one line per check, then exactly `N passed, M failed`; exit 1 on any failure.
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_pages import browser  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))


def request(port, target, method="GET"):
    """The status and body of one request, the target sent exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", "127.0.0.1")
    conn.endheaders()
    response = conn.getresponse()
    body = response.read() if method != "HEAD" else b""
    conn.close()
    return response.status, body, dict(response.getheaders())


def start(binary, run, content, templates, out, cache):
    process = subprocess.Popen([binary, "serve", run, "--content", content, "--templates", templates, "--out", out,
                                "--cache", cache, "--port", "0", "--threads", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found = re.match(r"Serving http://127\.0\.0\.1:(\d+)/", line)
        if found:
            return process, int(found.group(1))
    process.kill()
    raise SystemExit("serve did not start: " + process.stderr.read()[-2000:])


def wait_for(driver, predicate, timeout):
    """Seconds until `predicate(driver)` held (polled every 50 ms), or None."""
    started = time.time()
    while time.time() - started < timeout:
        try:
            if predicate(driver):
                return time.time() - started
        except Exception:  # the page is reloading
            pass
        time.sleep(0.05)
    return None


def shows(text):
    """Whether the page's text holds `text` (textContent: no layout, so polling stays cheap)."""
    return lambda d: d.execute_script("return document.body !== null && document.body.textContent.indexOf(arguments[0]) >= 0", text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--run", default=os.path.join(ROOT, "Examples/topics-mini"))
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    tmp = tempfile.mkdtemp(prefix="forkscope-serve-check-")
    try:
        run, content, templates = (os.path.join(tmp, n) for n in ("run", "content", "templates"))
        out, cache = os.path.join(tmp, "site"), os.path.join(tmp, "cache")
        shutil.copytree(args.run, run)
        shutil.copytree(os.path.join(ROOT, "Site/commentary"), content)
        os.makedirs(templates)
        with open(os.path.join(tmp, "secret.txt"), "w") as f:
            f.write("SECRET-OUTSIDE-THE-SITE")
        process, port = start(binary, run, content, templates, out, cache)
        try:
            checks(port, process, out, content, templates, tmp)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
                check("stops on SIGTERM", True)
                for line in process.stderr.read().splitlines():
                    print("server: " + line)
            except subprocess.TimeoutExpired:
                process.kill()
                check("stops on SIGTERM", False, "still running 10 s after SIGTERM")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


def checks(port, process, out, content, templates, tmp):
    layer_pages = sorted((p for p in os.listdir(os.path.join(out, "layers")) if re.fullmatch(r"\d+\.html", p)), key=lambda p: int(p[:-5]))
    layer = layer_pages[len(layer_pages) // 2]
    page = "/layers/" + layer

    # HTTP: what the server adds, and only it.
    status, body, headers = request(port, page)
    text = body.decode()
    check("page served", status == 200 and headers.get("Content-Type", "").startswith("text/html"), f"{status}")
    check("live-reload script in served pages", '<script src="/__forkscope/live.js"' in text)
    check("connect-src 'self' in served pages", re.search(r"Content-Security-Policy\" content=\"[^\"]*connect-src 'self'", text) is not None)
    published = []
    for folder, _, files in os.walk(out):
        for name in files:
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            if b"__forkscope" in data or b"connect-src" in data:
                published.append(name)
    check("the built site has no live reload", not published, ", ".join(published[:5]))
    status, body, headers = request(port, "/__forkscope/live.js")
    check("live.js served", status == 200 and b"EventSource" in body and headers.get("Content-Type", "").startswith("text/javascript"))
    status, _, _ = request(port, "/", "HEAD")
    check("HEAD", status == 200, f"{status}")
    status, _, _ = request(port, "/", "POST")
    check("POST refused", status == 405, f"{status}")
    status, body, _ = request(port, "/no/such/page.html")
    check("missing page: 404 with the site's page", status == 404 and b"<html" in body, f"{status}")

    # Path traversal: never the secret, whatever the spelling.
    os.symlink(os.path.join(tmp, "secret.txt"), os.path.join(out, "leak.txt"))
    os.symlink(tmp, os.path.join(out, "up"))
    for target in ["/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt", "/..%2fsecret.txt",
                   "/layers/%2e%2e/%2e%2e/secret.txt", "/layers/..%5c..%5csecret.txt", "//" + tmp.lstrip("/") + "/secret.txt",
                   tmp + "/secret.txt", "http://127.0.0.1" + tmp + "/secret.txt", "/%00/../secret.txt", "/leak.txt",
                   "/up/secret.txt"]:
        try:
            status, body, _ = request(port, target)
        except (http.client.HTTPException, OSError) as e:
            status, body = f"closed ({e.__class__.__name__})", b""
        check(f"traversal {target}", b"SECRET-OUTSIDE" not in body and status != 200, f"{status}")
    os.remove(os.path.join(out, "leak.txt"))
    os.remove(os.path.join(out, "up"))

    # Loopback only.
    others = [a for a in subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split() if ":" not in a]
    for address in others[:2]:
        with socket.socket() as s:
            s.settimeout(2)
            reached = s.connect_ex((address, port)) == 0
        check(f"not reachable on {address}", not reached)
    if not others:
        print("note: no address but loopback here; the loopback-only check was not run")

    # In the browser.
    driver = browser()
    try:
        base = f"http://127.0.0.1:{port}"
        driver.get(base + page)
        driver.execute_script("window.__forkscopeOpened = 1")
        stem = layer[:-len(".html")]
        note = os.path.join(content, "layers", stem + ".md")
        token = f"Edited-{int(time.time())}"
        edited = time.time()
        with open(note, "a") as f:
            f.write(f"\n\nA new line: {token}.\n")
        seen = wait_for(driver, shows(token), 15)
        check("commentary edit shown within 2 s, without a manual reload", seen is not None and seen <= 2.0,
              "not seen in 15 s" if seen is None else f"{seen:.2f} s")
        if seen is not None:
            start = driver.execute_script("return performance.timeOrigin") / 1000 - edited
            print(f"note: commentary edit visible after {seen:.2f} s (the reload started {start:.2f} s after the edit)")
        reloaded = driver.execute_script("return window.__forkscopeOpened === undefined")
        check("the page reloaded itself", reloaded)
        logs = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        check("no console error", not logs, "; ".join(logs[:3]))

        with open(os.path.join(templates, "layer.mustache"), "w") as f:
            f.write("{{#broken}} never closed\n")
        seen = wait_for(driver, lambda d: "The build failed" in d.find_element("tag name", "h1").text, 15)
        check("broken template: error page", seen is not None, "not shown in 15 s")
        if seen is not None:
            error = driver.find_element("id", "forkscope-error").text
            check("error page names the template", "layer.mustache" in error, error[:200])
        status, body, _ = request(port, page + "?last-good")
        check("last good page still served", status == 200 and token.encode() in body, f"{status}")

        os.remove(os.path.join(templates, "layer.mustache"))
        seen = wait_for(driver, shows(token), 15)
        check("fixed template: page back", seen is not None, "not back in 15 s")
        # The error page itself comes with status 500, which the console notes; nothing else may.
        logs = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        csp = [m for m in logs if "Content Security Policy" in m or "Refused" in m]
        check("no CSP violation", not csp, "; ".join(csp[:3]))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
