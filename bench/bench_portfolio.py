"""`drupalscan plan --sources FILE` over N local sites: at once against one after another.

    python bench/bench_portfolio.py [--sites 50] [--pages 20] [--latency 0.05]
                                    [--sites-at-once 4] [--max-requests 16]

N small Drupal-like sites (page i links to 2i+1 and 2i+2) are served by
threaded servers on 127.0.0.1, one port each, in a child process so that
serving does not compete for our GIL.  Each answer waits ``--latency``
seconds, the time a real Drupal 7 server takes (50-200 ms), because that
waiting is what collecting several sites at once wins back.  The same
sources file is then planned twice through the CLI, each run on a fresh
store: once with ``--sites-at-once 1`` (the baseline: one site after
another, measured in the same run) and once at ``--sites-at-once``.
Printed: wall times, sites per hour, and the speed-up (baseline / at once).
Loopback only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def page(n: int, pages: int) -> bytes:
    """Page n of a ``pages``-page tree: a title, two child links, a menu."""
    kids = "".join(f'<a href="/p{c}">Page {c}</a>' for c in (2 * n + 1, 2 * n + 2) if c < pages)
    return (
        f"<!DOCTYPE html><html><head><title>Page {n} | Portfolio bench</title>"
        '<meta name="generator" content="Drupal 7 (https://www.drupal.org)">'
        '<link rel="stylesheet" href="/modules/system/system.base.css?x"></head>'
        f'<body class="html not-front page-node node-type-page"><a href="/">Home</a>'
        f"<h1>Page {n}</h1><p>{'lorem ipsum ' * 30}</p>{kids}</body></html>"
    ).encode()


def serve(conn: Any, stop: Any, sites: int, pages: int, latency: float) -> None:
    """Serve ``sites`` sites until ``stop`` is set (runs in a child process)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            n = 0 if path == "/" else int(path[2:]) if path[2:].isdigit() else -1
            time.sleep(latency)
            body, status = (page(n, pages), 200) if 0 <= n < pages else (b"not found", 404)
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    servers = []
    for _ in range(sites):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    conn.send([srv.server_address[1] for srv in servers])
    stop.wait(7200)


@contextmanager
def local_sites(sites: int, pages: int, latency: float) -> Iterator[list[str]]:
    """The URLs of ``sites`` generated sites served by a child process."""
    parent, child = multiprocessing.Pipe()
    stop = multiprocessing.Event()
    proc = multiprocessing.Process(
        target=serve, args=(child, stop, sites, pages, latency), daemon=True
    )
    proc.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the site server did not start")
        ports = parent.recv()
        yield [f"http://127.0.0.1:{port}/" for port in ports]
    finally:
        stop.set()
        parent.close()
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)


@dataclass
class Run:
    """One `plan --sources` run."""

    sites_at_once: int
    seconds: float
    sites: int

    @property
    def per_hour(self) -> float:
        return self.sites / self.seconds * 3600


def plan(sources: Path, work: Path, sites_at_once: int, max_requests: int, pages: int) -> float:
    """Wall seconds of one `drupalscan plan --sources` on a fresh store."""
    store = work / f"at-once-{sites_at_once}.db"
    argv = [
        sys.executable,
        "-m",
        "drupalscan.cli",
        "--store",
        str(store),
        "-q",
        "plan",
        "--sources",
        str(sources),
        "--sites-at-once",
        str(sites_at_once),
        "--max-requests",
        str(max_requests),
        "--max-pages",
        str(pages),
        "--ignore-robots",
        "--format",
        "json",
        "-o",
        str(work / f"report-{sites_at_once}.json"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRUPALSCAN_")}
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, env=env, timeout=3600, check=False)
    elapsed = time.monotonic() - started
    # Any warning means a source failed (a "database is locked" would show here).
    if done.returncode != 0 or b"warning:" in done.stderr:
        raise RuntimeError(f"plan failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def measure(
    sites: int, pages: int, latency: float, sites_at_once: int, max_requests: int
) -> tuple[Run, Run]:
    """(baseline one after another, at once), on the same servers and sources."""
    with tempfile.TemporaryDirectory() as tmp, local_sites(sites, pages, latency) as urls:
        work = Path(tmp)
        sources = work / "sources.txt"
        sources.write_text("\n".join(urls) + "\n")
        base = plan(sources, work, 1, max_requests, pages)
        fast = plan(sources, work, sites_at_once, max_requests, pages)
    return Run(1, base, sites), Run(sites_at_once, fast, sites)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--sites-at-once", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=16)
    args = parser.parse_args(argv)
    base, fast = measure(
        args.sites, args.pages, args.latency, args.sites_at_once, args.max_requests
    )
    print(
        f"portfolio: {args.sites} sites x {args.pages} pages, {args.latency * 1000:.0f} ms "
        f"per answer, --max-requests {args.max_requests}"
    )
    for run in (base, fast):
        print(
            f"--sites-at-once {run.sites_at_once:<3} wall {run.seconds:7.1f} s  "
            f"{run.per_hour:9,.0f} sites/hour"
        )
    print(f"speed-up (one after another / at once): {base.seconds / fast.seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
