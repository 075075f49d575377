"""Crawl a generated site of N pages on a loopback server; print peak memory and pages/s.

    python bench/bench_memory.py --pages 100000     # the scaling figure (minutes)
    python bench/bench_memory.py --pages 500        # the smoke size

The site is generated per request (page i links to its children 10i+1 ..
10i+10, a few "menu" links and an asset), so the server holds nothing and
the figure is the crawler's: frontier, seen set and site summary must not
grow with the site.  Peak RSS is the whole process (server threads
included; they hold no pages); ``--tracemalloc`` also reports the Python
heap peak, at a large cost in speed.  Loopback only.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from drupalscan.collect.crawl import CrawlOptions, crawl_site
from drupalscan.inventory.store import Store

FANOUT = 10


def make_server(pages: int) -> ThreadingHTTPServer:
    """A threaded server generating page i of a ``pages``-page tree on the fly."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            n = 0 if path == "/" else int(path[3:]) if path[3:].isdigit() else -1
            if n < 0 or n >= pages:
                body, status = b"<html><body>not found</body></html>", 404
            else:
                kids = range(FANOUT * n + 1, min(FANOUT * n + FANOUT + 1, pages))
                links = "".join(f'<a href="/p/{k}">page {k}</a>' for k in kids)
                menu = '<a href="/">Home</a><a href="/p/1">About</a><a href="/p/2">News</a>'
                body = (
                    f"<!DOCTYPE html><html><head><title>Page {n} | Bench</title>"
                    '<link rel="stylesheet" href="/sites/all/themes/bench/style.css"></head>'
                    f'<body class="page-node node-type-article"><nav>{menu}</nav>'
                    f"<h1>Page {n}</h1><p>{'lorem ipsum ' * 40}</p>{links}</body></html>"
                ).encode()
                status = 200
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far, in MB (Linux: KiB units).

    ``RUSAGE_CHILDREN`` gives the largest finished child: here the crawl's
    parse helper (the server runs in this process).
    """
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(who).ru_maxrss * scale / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap")
    parser.add_argument("--store", type=Path, help="store file (default: a temporary one)")
    args = parser.parse_args(argv)

    server = make_server(args.pages)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    options = CrawlOptions(
        retries=0,
        concurrency=args.concurrency,
        max_pages=args.pages,
        max_depth=100,
        ignore_robots=True,
    )
    rss_before = peak_rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or Path(tmp) / "bench.db"
        if args.tracemalloc:
            tracemalloc.start()
        started = time.monotonic()
        with Store(path) as store:
            site = crawl_site(url, store, options)
        elapsed = time.monotonic() - started
        heap = tracemalloc.get_traced_memory()[1] / 1e6 if args.tracemalloc else None
        size = path.stat().st_size / 1e6
    server.shutdown()
    server.server_close()
    print(f"pages stored:   {site.pages} of {args.pages}")
    print(f"wall time:      {elapsed:.1f} s")
    print(f"pages/s:        {site.pages / elapsed:.0f}")
    print(f"peak RSS:       {peak_rss_mb():.0f} MB (before the crawl: {rss_before:.0f} MB)")
    helper = peak_rss_mb(resource.RUSAGE_CHILDREN)
    print(f"largest child:  {helper:.0f} MB peak RSS (the parse helper, if one started)")
    if heap is not None:
        print(f"peak Python heap: {heap:.0f} MB")
    print(f"store size:     {size:.0f} MB")
    return 0 if site.pages == args.pages else 1


if __name__ == "__main__":
    sys.exit(main())
