"""Tiny local HTTP servers for crawler tests (127.0.0.1, port 0, one thread).

A server is a dict of routes (path or path?query -> `Reply`, bytes or str)
or a function taking a `Req` and returning a `Reply`.  It counts hits per
path so tests can prove what was (not) fetched, and it is stopped by the
``server`` fixture's teardown or the context manager.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Reply:
    """What the server answers."""

    body: bytes | str = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0


@dataclass
class Req:
    """What the server was asked."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str]


Handler = Callable[[Req], Reply]
Routes = Mapping[str, Reply | bytes | str]


class Hold:
    """Wraps a handler so a test can stop a crawl's requests at a point of its choosing.

    Once `arm` ed with ``after``, the ``after``-th request and every later
    one wait (at most ``hold_for`` seconds) until `release`; `reached` is set
    when the first one is held.  A test then acts in the middle of a crawl
    (kills it, reads the store) at a point fixed by events, not by a sleep
    that a busy machine outlasts.  Disarmed, it only passes requests on.
    """

    def __init__(self, handler: Handler, hold_for: float = 60.0) -> None:
        self.handler = handler
        self.hold_for = hold_for
        self.lock = threading.Lock()
        self.after = 0
        self.count = 0
        self.reached = threading.Event()
        self.released = threading.Event()
        self.released.set()

    def arm(self, after: int) -> None:
        """Hold from the ``after``-th request counted from now."""
        with self.lock:
            self.after, self.count = after, 0
            self.reached = threading.Event()
            self.released = threading.Event()

    def __call__(self, req: Req) -> Reply:
        with self.lock:
            self.count += 1
            held = bool(self.after) and self.count >= self.after
            reached, released = self.reached, self.released
        if held:
            reached.set()
            released.wait(self.hold_for)
        return self.handler(req)

    def release(self) -> None:
        """Let every held and later request through, and disarm."""
        with self.lock:
            self.after = 0
            self.released.set()


class _QuietServer(ThreadingHTTPServer):
    """Clients hanging up early (the crawler's size cap) are not test failures."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 with a free port."""

    def __init__(self, routes: Routes | Handler) -> None:
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.requests: list[Req] = []
        self.lock = threading.Lock()
        self.inflight = 0
        """Requests being answered right now (delays included)."""
        self.max_inflight = 0
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one segment per reply, no 40 ms ACK stalls

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                jar = SimpleCookie(self.headers.get("Cookie", ""))
                req = Req(
                    self.command,
                    self.path,
                    dict(self.headers.items()),
                    body,
                    {k: m.value for k, m in jar.items()},
                )
                with outer.lock:
                    outer.hits[self.path] += 1
                    outer.requests.append(req)
                    outer.inflight += 1
                    outer.max_inflight = max(outer.max_inflight, outer.inflight)
                try:
                    reply = outer.answer(req)
                    if reply.delay:
                        time.sleep(reply.delay)  # the server's own latency
                finally:
                    with outer.lock:
                        outer.inflight -= 1
                data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                names = {k.lower() for k in reply.headers}
                if "content-type" not in names and reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if "content-length" not in names:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    try:
                        self.wfile.write(data)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

            do_GET = do_POST = do_HEAD = _serve  # noqa: N815

        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def answer(self, req: Req) -> Reply:
        """The reply for a request: route lookup (path?query, then path) or handler."""
        if callable(self.routes):
            return self.routes(req)
        route = self.routes.get(req.path)
        if route is None:
            route = self.routes.get(req.path.split("?", 1)[0])
        if route is None:
            return Reply("<html><body><h1>Not found</h1></body></html>", status=404)
        if isinstance(route, Reply):
            return route
        return Reply(route)

    def start(self) -> Server:
        """Serve in a daemon thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def page_hits(self) -> Counter[str]:
        """Hits on page paths only (robots, sitemaps and fingerprint files left out)."""
        skip = ("/robots.txt", "/sitemap.xml", "/CHANGELOG.txt", "/core/CHANGELOG.txt")
        return Counter({p: n for p, n in self.hits.items() if p not in skip})


@pytest.fixture
def server() -> Iterator[Callable[[Routes | Handler], Server]]:
    """Start servers on demand; every one is stopped at teardown."""
    started: list[Server] = []

    def make(routes: Routes | Handler) -> Server:
        srv = Server(routes).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


def html(title: str, body: str = "", body_class: str = "", head: str = "") -> str:
    """A small HTML page."""
    cls = f' class="{body_class}"' if body_class else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{title}</title>{head}</head>'
        f"<body{cls}>{body}</body></html>"
    )


NORTHWIND = Path(__file__).resolve().parents[2] / "fixtures" / "sites" / "northwind_hr"
"""The real Drupal 7 HR intranet crawl copied into the repository."""
INFO_TREE = Path(__file__).resolve().parents[2] / "fixtures" / "northwind" / "info"
"""Every .info file of the same real site, in their folders: which folders it had."""


def northwind_headers() -> dict[str, dict[str, str]]:
    """Captured response headers per path from the fixture's headers.txt."""
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in (NORTHWIND / "headers.txt").read_text().splitlines():
        if line.startswith("### GET "):
            url = line.split()[2]
            path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
            current = out.setdefault(path, {})
        elif current is not None and ": " in line and not line.startswith("HTTP/"):
            key, value = line.split(": ", 1)
            if key.lower() not in ("host", "date", "connection", "content-length", "vary"):
                current[key] = value
    return out


_TYPES = {
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".png": "image/png",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".pdf": "application/pdf",
    ".css": "text/css",
    ".js": "application/javascript",
    ".ico": "image/vnd.microsoft.icon",
}


def northwind_handler(root: Path = NORTHWIND) -> Handler:
    """Serve the captured Northwind pages as the live site did.

    Bodies and headers name the capture's address (127.0.0.1:8708); they
    are rewritten to the test server's, as the site would print its own
    base URL.  Pages whose canonical URL is another path (``/node/7``,
    ``/hr/handbook``) answer with the 301 the live site sent; ``.info``
    files get the 403 of Drupal's .htaccess (its ``<FilesMatch>`` refuses the
    name whether or not the file exists), and so do folders the real site had
    (``Options -Indexes``), known from its captured ``.info`` tree; other
    unknown paths a 404.
    """
    captured = northwind_headers()
    aliases: dict[str, Path] = {}
    for file in root.rglob("*.html"):
        match = re.search(
            r'<link rel="canonical" href="http://127.0.0.1:8708(/[^"]*)"', file.read_text("utf-8")
        )
        if match and not (root / (match.group(1).strip("/") + ".html")).is_file():
            aliases.setdefault(match.group(1), file)
    page_headers = {
        k: v for k, v in captured["/"].items() if k not in ("Etag", "Link", "Last-Modified")
    }

    def handle(req: Req) -> Reply:
        base = "http://" + req.headers.get("Host", "127.0.0.1")
        path = req.path.split("?", 1)[0]
        rel = path.strip("/") or "index"
        headers = {
            k: v.replace("http://127.0.0.1:8708", base) for k, v in captured.get(path, {}).items()
        }
        if path.endswith(".info"):
            return Reply("<h1>Forbidden</h1>", status=403, headers=headers)
        if path == "/hr-portal":
            return Reply((root / "index.html").read_bytes(), status=403, headers=headers)
        html_file = aliases.get(path) or root / (rel + ".html")
        if html_file.is_file() and ".." not in rel:
            body = html_file.read_text("utf-8").replace("http://127.0.0.1:8708", base)
            match = re.search(r'<link rel="canonical" href="([^"]+)"', body)
            if match and match.group(1) != base + path and path != "/":
                return Reply("", status=301, headers={**page_headers, "Location": match.group(1)})
            headers = headers or {**page_headers, "Link": f'<{base}{path}>; rel="canonical"'}
            return Reply(body, headers=headers)
        file = root / rel
        if file.is_file() and ".." not in rel:
            ctype = _TYPES.get(file.suffix, "application/octet-stream")
            data = file.read_bytes()
            if file.suffix in (".txt", ".xml"):
                data = data.replace(b"http://127.0.0.1:8708", base.encode())
            return Reply(data, content_type=ctype, headers={"Content-Type": ctype})
        if path.endswith("/") and rel and (INFO_TREE / rel).is_dir() and ".." not in rel:
            return Reply("<h1>Forbidden</h1>", status=403, headers={"Content-Type": "text/html"})
        return Reply((root / "index.html").read_bytes()[:2000], status=404, headers=page_headers)

    return handle
