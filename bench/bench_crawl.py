"""How close the crawler gets to a raw concurrent fetch of the same pages.

A 5,000-page Drupal-like site is served by a ThreadingHTTPServer in a
separate process (so the server does not compete for our GIL).  The page
list is fetched raw with requests at the crawler's concurrency (the
ceiling: no discovery, no parsing, no storing), twice: with plain
``requests.Session()`` objects, and with sessions that read the proxy and
CA settings from the environment once (``trust_env = False``), as the
crawler's do.  Then ``crawl_site`` discovers, fetches, parses and stores
the same site with its default options.  The ratio of the rates is printed
against both baselines; the aim is >= 0.8.  CPU seconds are printed for
each side, including the crawl's parse helper processes, which the raw
fetch does not have: the crawl is not free, it uses the second core.

``--latency 0.02`` gives each request the 20 ms a real server would take.

Run: ``python bench/bench_crawl.py [--pages 5000] [--concurrency 4] [--latency 0.02]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from drupalscan.collect.crawl import CrawlOptions, crawl_site, parse_helpers
from drupalscan.inventory.store import Store

TYPES = ("article", "page", "policy", "news", "event")
HEAD = """<!DOCTYPE html><html lang="en"><head>
<meta charset="utf-8"><meta name="generator" content="Drupal 7 (https://www.drupal.org)">
<title>{title} | Bench Intranet</title>
<meta name="description" content="Bench page {n} of the synthetic intranet.">
<link rel="canonical" href="/p/{n}">
<style type="text/css" media="all">
@import url("/modules/system/system.base.css?x");
@import url("/modules/node/node.css?x");
@import url("/sites/all/modules/ctools/css/ctools.css?x");
@import url("/sites/all/modules/views/css/views.css?x");
@import url("/sites/all/themes/bench/css/style.css?x");
</style>
<script src="/misc/jquery.js?v=1.4.4"></script><script src="/misc/drupal.js?x"></script>
<script>jQuery.extend(Drupal.settings, {{"basePath":"\\/","ajaxPageState":{{"theme":"bench",
"js":{{"misc\\/drupal.js":1}},"css":{{"modules\\/system\\/system.base.css":1}}}}}});</script>
</head>"""
BODY = """<body class="html not-front not-logged-in one-sidebar page-node page-node-{n}
 node-type-{type}"><div id="page"><div id="header"><a href="/">Home</a>
<ul class="menu">{menu}</ul></div>
<div id="main"><h1>{title}</h1><div class="node node-{type}"><div class="content">
{paras}</div></div><ul class="links">{links}</ul></div>
<div class="region-sidebar"><div class="block block-menu-block"><h2>Quick links</h2>
<div class="menu-block-wrapper"><ul>{menu}</ul></div></div>
<div class="block block-views"><div class="view view-id-recent view-display-id-block">
<div class="views-row">Recent</div></div></div></div>
<div id="footer">Bench footer</div></div></body></html>"""
PARA = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>"


def render(n: int, total: int) -> bytes:
    """Page n links to its ten children (a tree every page of which is reachable)."""
    kids = [c for c in range(10 * n + 1, 10 * n + 11) if c < total]
    links = "".join(f'<li><a href="/p/{c}">Page {c}</a></li>' for c in kids)
    menu = "".join(f'<li><a href="/p/{m}">Menu {m}</a></li>' for m in range(1, 6))
    title = f"Page {n}"
    page = HEAD.format(title=title, n=n) + BODY.format(
        n=n, type=TYPES[n % len(TYPES)], menu=menu, title=title, paras=PARA * 8, links=links
    )
    return page.encode()


def serve(port_out: Any, total: int, latency: float = 0.0) -> None:
    """Serve the synthetic site until killed (runs in a child process)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # one segment per reply, no 40 ms ACK stalls

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            if latency:
                time.sleep(latency)
            path = self.path.split("?")[0]
            n = 0 if path == "/" else None
            if path.startswith("/p/") and path[3:].isdigit() and int(path[3:]) < total:
                n = int(path[3:])
            if n is None:
                body, status = b"not found", 404
            else:
                body, status = render(n, total), 200
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Generator", "Drupal 7 (https://www.drupal.org)")
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    httpd = Server(("127.0.0.1", 0), Handler)
    port_out.put(httpd.server_address[1])
    httpd.serve_forever()


def raw_fetch(urls: list[str], concurrency: int, trust_env: bool = True) -> float:
    """Seconds to GET every URL with one session per thread, bodies read."""
    local = threading.local()

    def get(url: str) -> int:
        sess = getattr(local, "s", None)
        if sess is None:
            sess = local.s = requests.Session()
            sess.trust_env = trust_env
        return len(sess.get(url, timeout=10).content)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        sizes = list(pool.map(get, urls))
    elapsed = time.perf_counter() - start
    assert all(sizes)
    return elapsed


def _cpu_since(before: os.times_result) -> tuple[float, float]:
    """(this process, finished child processes) CPU seconds since ``before``."""
    now = os.times()
    own = now.user - before.user + now.system - before.system
    children = now.children_user - before.children_user
    children += now.children_system - before.children_system
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the server waits per request (a real site's network + render time)",
    )
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    port_q = ctx.Queue()
    proc = ctx.Process(target=serve, args=(port_q, args.pages, args.latency), daemon=True)
    proc.start()
    try:
        base = f"http://127.0.0.1:{port_q.get(timeout=30)}/"
        urls = [base] + [f"{base}p/{n}" for n in range(1, args.pages)]
        raw_fetch(urls[:200], args.concurrency)  # warm up both sides
        cpu = os.times()
        raw = raw_fetch(urls, args.concurrency)
        raw_cpu = _cpu_since(cpu)
        raw_once = raw_fetch(urls, args.concurrency, trust_env=False)
        with tempfile.TemporaryDirectory() as tmp:
            with Store(Path(tmp) / "bench.db") as store:
                options = CrawlOptions(
                    concurrency=args.concurrency,
                    max_pages=args.pages,
                    retries=0,
                    ignore_robots=True,
                )
                cpu = os.times()
                start = time.perf_counter()
                site = crawl_site(base, store, options, fingerprints={})
                crawl = time.perf_counter() - start
                crawl_cpu = _cpu_since(cpu)
                stored = store.page_count(site.id)
        crawl_rate = stored / crawl
        print(
            f"site: {args.pages} pages, concurrency {args.concurrency}, "
            f"latency {args.latency * 1000:.0f} ms, server in a subprocess, "
            f"{os.cpu_count()} cores, parse helpers {parse_helpers(options)}"
        )
        for label, seconds in (
            ("raw fetch, plain sessions (no parsing)", raw),
            ("raw fetch, environment read once     ", raw_once),
        ):
            rate = len(urls) / seconds
            print(f"{label}: {len(urls)} pages in {seconds:.2f} s = {rate:.0f} pages/s")
        print(
            f"crawl_site (fetch+parse+store):         {stored} pages in {crawl:.2f} s"
            f" = {crawl_rate:.0f} pages/s  (kind {site.kind}, {len(site.templates)} templates)"
        )
        print(
            f"CPU seconds: raw fetch {raw_cpu[0]:.2f}; crawl {crawl_cpu[0]:.2f} in this process"
            f" + {crawl_cpu[1]:.2f} in parse helpers"
        )
        print(f"ratio crawl/raw (plain sessions):        {raw / crawl:.2f}  (aim >= 0.8)")
        print(f"ratio crawl/raw (environment read once): {raw_once / crawl:.2f}")
    finally:
        proc.terminate()
        proc.join(5)


if __name__ == "__main__":
    main()
