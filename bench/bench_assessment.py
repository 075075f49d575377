r"""The default remote assessment of a real Drupal 7 site against ``wget --mirror`` of it.

The site is the bundled Northwind HR intranet, a real Drupal 7.79 capture
replayed on 127.0.0.1 as Apache served it (its stock robots.txt with
``Crawl-delay: 10`` and ``Disallow: /CHANGELOG.txt``, 403 for ``.info``
files and module folders, Drupal's 404 page).  Optionally every answer is
delayed by ``--latency`` seconds, as a server across a network would be.

Two things are timed on the same server in the same run, best of ``--repeat``:

* ``drupalscan`` with its defaults, as ``drupalscan crawl URL`` runs it:
  robots.txt obeyed, adaptive politeness, the pages, the site summary, the
  core version and the bounded module probes, into a fresh store;
* ``wget --mirror --no-parent -e robots=on`` of the same site into a fresh
  folder: the transfer floor, one connection, every page and asset it links.

Printed: both times, their ratio, and the requests each made (counted by
the server), plus what the assessment concluded (core version, modules,
extra requests).  wget fetches assets the assessment does not need and
none of the probes; the assessment fetches pages in parallel.

Run: ``python bench/bench_assessment.py [--latency 0.02] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from drupalscan import api
from drupalscan.collect.crawl import CrawlOptions
from drupalscan.examples import server as examples
from drupalscan.inventory import model
from drupalscan.inventory.store import Store


class CountingServer(ThreadingHTTPServer):
    """The example Northwind server, counting requests and adding latency."""

    daemon_threads = True

    def __init__(self, latency: float) -> None:
        super().__init__(("127.0.0.1", 0), examples._Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.site: Any = examples.DrupalCaptureSite(
            examples.EXAMPLES_DIR / "northwind_hr", self.base_url
        )
        self.latency = latency
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        respond = self.site.respond

        def counted(raw_path: str) -> Any:
            with self.lock:
                self.hits[raw_path] += 1
            if self.latency:
                time.sleep(self.latency)
            return respond(raw_path)

        self.site.respond = counted

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up are not errors here."""

    def take(self) -> int:
        """Requests since the last call."""
        with self.lock:
            total = sum(self.hits.values())
            self.hits.clear()
        return total


@contextmanager
def serving(latency: float) -> Iterator[CountingServer]:
    httpd = CountingServer(latency)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def assess(url: str, work: Path) -> tuple[float, model.Site]:
    """One default assessment into a fresh store; (seconds, site)."""
    store_path = work / "assessment.db"
    for leftover in work.glob("assessment.db*"):
        leftover.unlink()
    started = time.perf_counter()
    with Store(store_path) as store:
        (site,) = api.crawl([url + "/"], store, CrawlOptions())
    return time.perf_counter() - started, site


def mirror(url: str, work: Path) -> float:
    """``wget --mirror`` of the site into a fresh folder; seconds."""
    target = work / "mirror"
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        ["wget", "--mirror", "--no-parent", "-e", "robots=on", "-q", "-P", str(target), url + "/"],
        check=False,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(work), "no_proxy": "*"},
    )
    return time.perf_counter() - started


def run(latency: float, repeat: int) -> dict[str, Any]:
    """Best-of-``repeat`` times and request counts of both, on one server."""
    wget = shutil.which("wget")
    if wget is None:
        raise SystemExit("bench_assessment needs wget (apt-get install wget)")
    with tempfile.TemporaryDirectory() as tmp, serving(latency) as httpd:
        work = Path(tmp)
        ours: list[float] = []
        theirs: list[float] = []
        site = None
        our_requests = their_requests = 0
        for _ in range(repeat):
            seconds, site = assess(httpd.base_url, work)
            ours.append(seconds)
            our_requests = httpd.take()
            theirs.append(mirror(httpd.base_url, work))
            their_requests = httpd.take()
        assert site is not None
        probes = [m.name for m in site.modules if any(e.kind == "probe" for e in m.evidence)]
        return {
            "assessment_s": min(ours),
            "wget_s": min(theirs),
            "ratio": min(ours) / min(theirs),
            "assessment_requests": our_requests,
            "wget_requests": their_requests,
            "pages": site.pages,
            "core_version": site.core_version,
            "modules": len(site.modules),
            "found_by_probes": len(probes),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    got = run(args.latency, args.repeat)
    print(f"latency per answer        {args.latency * 1000:.0f} ms")
    print(
        f"default assessment        {got['assessment_s']:.2f} s, "
        f"{got['assessment_requests']} requests, {got['pages']} pages stored"
    )
    print(f"wget --mirror             {got['wget_s']:.2f} s, {got['wget_requests']} requests")
    print(f"assessment / wget         {got['ratio']:.2f}")
    print(
        f"concluded                 Drupal {got['core_version']}, {got['modules']} modules "
        f"({got['found_by_probes']} found by probes)"
    )


if __name__ == "__main__":
    main()
