"""A fault-injecting HTTP server for the crawler's hardening tests.

Everything listens on loopback only (127.0.0.1, plus 127.0.0.2 for the
"other host"), on port 0, and is stopped by fixture teardown.  The site is
a small tree of good pages whose home page links to one route per fault,
so a test can check both that the fault was recorded on its URL and that
every good page of the same site was still stored.

Large answers are generated while they are sent (a 50 MB body is a
generator, a gzip bomb is a few KB compressed once), so the server itself
never holds them, and it counts bytes sent so a test can prove the crawler
hung up early.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD_PAGES = 6
"""Good pages /good/0 .. /good/5 linked from the home page."""


def page(title: str, body: str = "", classes: str = "") -> bytes:
    """A small valid HTML page."""
    cls = f' class="{classes}"' if classes else ""
    return (
        f"<!DOCTYPE html><html><head><title>{title} | Fault Site</title></head>"
        f"<body{cls}><h1>{title}</h1>{body}</body></html>"
    ).encode()


def _gzip_bomb(decompressed: int) -> bytes:
    """Gzip of ``decompressed`` zero bytes, about 1/1000 of its size.

    Built as repeated gzip members of 1 MiB each (a valid gzip stream that
    every decoder, urllib3's included, reads through), so making it is cheap.
    """
    member = gzip.compress(bytes(1 << 20), compresslevel=9)
    return member * max(1, decompressed >> 20)


BOMB = _gzip_bomb(1 << 30)
"""1 GiB of zeros in about 1 MB: decompressing it whole would take a GiB of memory."""


@dataclass
class Answer:
    """A reply: status, headers and a body (bytes or a chunk iterator)."""

    status: int = 200
    body: bytes | Callable[[], Iterator[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None
    """Content-Length to announce for a generated body (None: close-delimited)."""
    delay: float = 0.0
    """Seconds to wait before answering."""
    reset_after: int | None = None
    """Send this many body bytes, then reset the connection (RST)."""
    trickle: float = 0.0
    """Seconds between single body bytes (a slow-loris server)."""


class FaultSite:
    """Routes and per-test state of the fault site (hit counts, sessions)."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.other_host = ""
        """Base URL of the 127.0.0.2 server (set by the fixture)."""
        # Form-login state: token -> pages served with it.
        self.tokens: dict[str, int] = {}
        self.logins = 0
        self.login_ok_max = 100
        """Logins accepted; later ones are refused (the re-login failure case)."""
        self.session_pages = 3
        """Pages a session serves before it expires."""
        self.expiry = "redirect"
        """How an expired session answers: ``redirect`` (to /user/login) or ``403``."""
        self.flaky: Counter[str] = Counter()
        self.faults: list[str] = list(FAULTS)
        """Fault routes the home page links to (a test narrows it to one)."""
        self.robots = ""
        self.password = "PASSWORD"

    def home_links(self) -> str:
        """Links to the chosen faults and to every good page."""
        links = [*self.faults, *(f"/good/{i}" for i in range(GOOD_PAGES))]
        return "".join(f'<a href="{p}">{p}</a>' for p in links)

    # -- routing ------------------------------------------------------------

    def answer(self, method: str, path: str, headers: Any, body: bytes) -> Answer:
        """The fault (or good page) for a request."""
        route = path.split("?", 1)[0]
        with self.lock:
            self.hits[route] += 1
        if route.startswith("/login-site/") or route.startswith("/user/login"):
            return self._login_site(method, route, headers, body)
        handler = ROUTES.get(route)
        if handler is not None:
            return handler(self, route)
        if route.startswith("/good/") and route[6:].isdigit() and int(route[6:]) < GOOD_PAGES:
            return Answer(body=page(f"Good {route[6:]}"), headers=HTML)
        if route.startswith("/calendar/"):
            return self._calendar(route)
        if route.startswith("/loop/"):
            n = int(route.rsplit("/", 1)[1] or 0)
            return Answer(302, headers={"Location": f"/loop/{n + 1}", "Content-Length": "0"})
        return Answer(404, body=page("Not found"), headers=HTML)

    def _calendar(self, route: str) -> Answer:
        parts = route.strip("/").split("/")
        year, month = int(parts[1]), int(parts[2])
        nxt = (year + (month == 12), month % 12 + 1)
        prev = (year - (month == 1), (month - 2) % 12 + 1)
        links = "".join(f'<a href="/calendar/{y}/{m:02d}">m</a>' for y, m in (nxt, prev))
        return Answer(body=page(f"{year}-{month}", links), headers=HTML)

    def _login_site(self, method: str, route: str, headers: Any, body: bytes) -> Answer:
        """A Drupal-like site behind a form login whose session expires."""
        if route.startswith("/user/login"):
            if method == "POST":
                form = dict(urllib.parse.parse_qsl(body.decode()))
                with self.lock:
                    self.logins += 1
                    ok = self.logins <= self.login_ok_max and form.get("pass") == self.password
                    token = f"tok{self.logins}"
                    if ok:
                        self.tokens[token] = 0
                if not ok:
                    return Answer(body=LOGIN_FORM, headers=HTML)
                return Answer(
                    302,
                    headers={
                        "Location": "/login-site/",
                        "Set-Cookie": f"SESSfault={token}; Path=/; HttpOnly",
                        "Content-Length": "0",
                    },
                )
            return Answer(body=LOGIN_FORM, headers=HTML)
        cookie = headers.get("Cookie", "")
        token = cookie.split("SESSfault=", 1)[1].split(";")[0] if "SESSfault=" in cookie else ""
        with self.lock:
            valid = token in self.tokens and self.tokens[token] < self.session_pages
            if valid:
                self.tokens[token] += 1
        if not valid:
            if self.expiry == "403":
                return Answer(
                    403, body=page("Access denied", classes="not-logged-in"), headers=HTML
                )
            return Answer(302, headers={"Location": "/user/login", "Content-Length": "0"})
        name = route.removeprefix("/login-site/").strip("/") or "home"
        links = ""
        if name == "home":
            links = "".join(f'<a href="/login-site/p{i}">p{i}</a>' for i in range(8))
        return Answer(body=page(f"Private {name}", links, "logged-in"), headers=HTML)


HTML = {"Content-Type": "text/html; charset=utf-8"}
LOGIN_FORM = page(
    "Log in",
    '<form action="/user/login" method="post"><input type="text" name="name">'
    '<input type="password" name="pass"><input type="hidden" name="form_id" value="user_login">'
    '<input type="submit" name="op" value="Log in"></form>',
    "not-logged-in",
)


LATIN1 = "<html><head><title>Café Müller | Fault Site</title></head><body>Grüße</body></html>"
LATIN1_BYTES = LATIN1.encode("latin-1")


def _flaky(status: int) -> Callable[[FaultSite, str], Answer]:
    """Answer ``status`` with Retry-After: 1 the first time, then a good page."""

    def handle(site: FaultSite, route: str) -> Answer:
        with site.lock:
            site.flaky[route] += 1
            first = site.flaky[route] == 1
        if first:
            return Answer(status, body=b"busy", headers={**HTML, "Retry-After": "1"})
        return Answer(body=page(f"Recovered {status}"), headers=HTML)

    return handle


def _always(status: int) -> Callable[[FaultSite, str], Answer]:
    def handle(site: FaultSite, route: str) -> Answer:
        return Answer(status, body=page(f"Error {status}"), headers={**HTML, "Retry-After": "0"})

    return handle


def _big(site: FaultSite, route: str) -> Answer:
    """50 MB of HTML, generated while sent, with no Content-Length to trust."""

    def chunks() -> Iterator[bytes]:
        yield b"<html><body>"
        block = b"<p>filler</p>" * 5000
        for _ in range(50_000_000 // len(block)):
            yield block

    return Answer(body=chunks, headers=HTML)


def _bomb(site: FaultSite, route: str) -> Answer:
    return Answer(
        body=BOMB, headers={**HTML, "Content-Encoding": "gzip", "Content-Length": str(len(BOMB))}
    )


@cache
def _small_bomb() -> bytes:
    """50 MB of zeros in under 64 KB: small enough that a redirect's body is drained."""
    return _gzip_bomb(50 << 20)


def _bomb_redirect(site: FaultSite, route: str) -> Answer:
    """A redirect whose small body is a gzip bomb (only ever drained, never used)."""
    small = _small_bomb()
    return Answer(
        302,
        body=small,
        headers={
            "Location": "/good/0",
            "Content-Type": "text/html",
            "Content-Encoding": "gzip",
            "Content-Length": str(len(small)),
        },
    )


ROUTES: dict[str, Callable[[FaultSite, str], Answer]] = {
    "/": lambda site, route: Answer(body=page("Home", site.home_links()), headers=HTML),
    "/robots.txt": lambda site, route: Answer(
        body=site.robots.encode(), headers={"Content-Type": "text/plain"}
    ),
    "/flaky500": _flaky(500),
    "/flaky503": _flaky(503),
    "/always503": _always(503),
    "/reset": lambda site, route: Answer(
        body=page("Reset", "x" * 20000),
        headers={**HTML, "Content-Length": "40000"},
        reset_after=5000,
    ),
    "/slow": lambda site, route: Answer(body=page("Slow"), headers=HTML, delay=3.0),
    "/trickle": lambda site, route: Answer(
        body=page("Trickle", "x" * 400), headers=HTML, trickle=0.05
    ),
    "/redirect-other": lambda site, route: Answer(
        302, headers={"Location": site.other_host + "stolen", "Content-Length": "0"}
    ),
    "/big": _big,
    "/bomb": _bomb,
    "/bomb-redirect": _bomb_redirect,
    "/latin1": lambda site, route: Answer(
        body=LATIN1_BYTES,
        headers=HTML,
    ),
    "/utf16": lambda site, route: Answer(
        body="<html><head><title>Wide | Fault Site</title></head><body>wide</body></html>".encode(
            "utf-16-le"
        ),
        headers={"Content-Type": "text/html; charset=utf-16"},
    ),
    "/nocharset": lambda site, route: Answer(
        body="<html><head><title>Naïve | Fault Site</title></head><body>ok</body></html>".encode(),
        headers={"Content-Type": "text/html"},
    ),
    "/broken": lambda site, route: Answer(
        body=b"<html><head><title>Broken | Fault Site<body><div><p><b><i></div></table>"
        b"<<<>>><a href='/good/5'>g<div " + b"<div>" * 3000 + b"<!-- never closed",
        headers=HTML,
    ),
    "/binary": lambda site, route: Answer(body=bytes(range(256)) * 200, headers=HTML),
    "/calendar/2024/05": lambda site, route: site._calendar(route),
    "/needs-auth": lambda site, route: Answer(
        401, body=page("Auth"), headers={**HTML, "WWW-Authenticate": 'Basic realm="x"'}
    ),
    "/forbidden": lambda site, route: Answer(403, body=page("Forbidden"), headers=HTML),
}

FAULTS = [p for p in ROUTES if p != "/"] + ["/loop/0"]
GOOD = ["/", *(f"/good/{i}" for i in range(GOOD_PAGES))]
"""Paths of the good pages every fault crawl must store."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A crawler hanging up early is the expected outcome, not an error."""


def make_handler(site: FaultSite) -> type[BaseHTTPRequestHandler]:
    """A request handler class serving ``site``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            ans = site.answer(self.command, self.path, self.headers, body)
            if ans.delay:
                time.sleep(ans.delay)
            self.send_response(ans.status)
            for key, value in ans.headers.items():
                self.send_header(key, value)
            data = ans.body if isinstance(ans.body, bytes) else None
            if "Content-Length" not in ans.headers:
                if data is not None:
                    self.send_header("Content-Length", str(len(data)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
            self.end_headers()
            if self.command == "HEAD":
                return
            route = self.path.split("?", 1)[0]
            try:
                self._write(ans, data, route)
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass

        def _write(self, ans: Answer, data: bytes | None, route: str) -> None:
            if ans.reset_after is not None and data is not None:
                self.wfile.write(data[: ans.reset_after])
                self.wfile.flush()
                # SO_LINGER 0: close() sends RST instead of FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                self.connection.close()
                self.close_connection = True
                return
            if ans.trickle and data is not None:
                for i in range(len(data)):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    with site.lock:
                        site.sent[route] += 1
                    time.sleep(ans.trickle)
                return
            chunks = [data] if data is not None else ans.body()  # type: ignore[operator]
            for chunk in chunks:
                self.wfile.write(chunk)
                with site.lock:
                    site.sent[route] += len(chunk)

        do_GET = do_POST = do_HEAD = _serve  # noqa: N815

    return Handler


class FaultServer:
    """The fault site on 127.0.0.1 (or another loopback address), port 0."""

    def __init__(self, site: FaultSite, host: str = "127.0.0.1") -> None:
        self.site = site
        self.httpd = _Server((host, 0), make_handler(site))
        self.url = f"http://{host}:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.httpd.shutdown()
        self.httpd.server_close()


class Blackhole:
    """Accepts connections and never answers; every socket is closed by `stop`."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.accepted: list[socket.socket] = []
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(conn)

    def stop(self) -> None:
        """Stop accepting and close the listening and every accepted socket."""
        self.running = False
        self.thread.join(timeout=2)
        for conn in self.accepted:
            conn.close()
        self.sock.close()
