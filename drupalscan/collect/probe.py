"""Finding a Drupal site's modules by asking for their files, with no false positives.

Passive evidence (asset paths, ``Drupal.settings`` keys, classes, form ids)
finds the modules that put something on the pages; many do not (pathauto,
token, ctools' plumbing, admin modules).  So the assessment asks, within a
fixed budget, for the ``.info`` file of the most used projects where Drupal
7 sites keep them, as droopescan does, but stricter about what counts:

* **Calibrated first.**  An invented module is asked for before any real
  one, and its answers decide how to ask (`Prober.calibrate`): Apache with
  Drupal's ``.htaccess`` refuses every ``.info`` name whether the file
  exists or not, so there a module's *folder* is asked for (403 when it
  exists, 404 when not), as droopescan does; a server without Drupal's
  rules serves ``.info`` files, which then also give the version.
* **A 200 must be the file itself.**  A catch-all server answers 200 with
  an HTML page for any path: a 200 counts only when the body is what the
  file must contain (an ``.info`` file's keys, the GPL text of
  LICENSE.txt, which drupal.org packages into every project).
* **Where projects live.**  ``sites/all/modules/``, its ``contrib/``
  folder, ``sites/default/modules/`` and an install profile's modules; the
  layout the site's own asset paths use is tried first, and a project's
  directory and module names may differ (``google_analytics/googleanalytics.info``).

Each conclusion keeps its evidence: the request and the answer.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from drupalscan.inventory.model import Evidence

Get = Callable[[str], tuple[int, bytes]]
"""GET a path below the docroot URL: (status, body); 0 failed, -1 robots.txt forbids."""

LAYOUTS: tuple[tuple[str, str], ...] = (
    ("sites/all/modules", "unknown"),
    ("sites/all/modules/contrib", "contrib"),
    ("sites/default/modules", "unknown"),
    ("sites/default/modules/contrib", "contrib"),
)
"""Where Drupal 6/7 sites keep contributed modules, most common first, with
the module type each place implies."""

DISCOVERY_NAMES = 5
"""Top candidates tried in every layout to find where the site keeps its modules."""

_INFO_LINE = re.compile(rb"^\s*(name|core|description|package|version)\s*=", re.MULTILINE)
_VERSION = re.compile(rb"^\s*version\s*=\s*[\"']?([0-9]+\.x-[^\"'\s]+)", re.MULTILINE)
_MACHINE = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A project to look for, and the module file that proves it is there."""

    project: str
    """Its directory (the drupal.org project name)."""
    module: str
    """A module of the project; its ``.info`` is the file asked for."""


@dataclass(slots=True)
class Found:
    """A module a probe proved present."""

    name: str
    project: str
    type: str
    evidence: Evidence
    version: str | None = None


@dataclass(slots=True)
class ProbeResult:
    """What probing found, what it cost and why it stopped early."""

    found: list[Found] = field(default_factory=list)
    requests: int = 0
    warnings: list[str] = field(default_factory=list)


def looks_like_info(body: bytes, module: str) -> bool:
    """Whether a body is a Drupal ``.info`` file (not an HTML page served for any URL)."""
    head = body[:20000]
    if b"<html" in head.lower() or b"<!doctype" in head.lower():
        return False
    keys = {m.group(1) for m in _INFO_LINE.finditer(head)}
    return b"name" in keys and (b"core" in keys or b"description" in keys)


def looks_like_license(body: bytes) -> bool:
    """Whether a body is the GPL text drupal.org packages as LICENSE.txt."""
    head = body[:4000]
    return b"GNU GENERAL PUBLIC LICENSE" in head and b"<html" not in head.lower()


def info_version(body: bytes) -> str | None:
    """``version = "7.x-1.3"`` from a packaged .info file, if there."""
    match = _VERSION.search(body[:20000])
    return match.group(1).decode("ascii", "replace") if match else None


def layouts_for(asset_paths: Iterable[str]) -> list[tuple[tuple[str, str], int]]:
    """The layouts to try with how many of the site's asset paths use each, most used first.

    An install profile's module folders (``profiles/NAME/modules[/contrib]``)
    join the list when assets show that profile, since distributions keep
    their contrib there.  An asset counts for the most specific folder it
    sits in (``sites/all/modules/contrib/views/...`` for ``contrib``).
    """
    paths = list(asset_paths)
    layouts = list(LAYOUTS)
    for path in paths:
        profile = re.search(r"/profiles/([a-z][a-z0-9_]*)/modules/", path)
        if profile:
            base = f"profiles/{profile.group(1)}/modules"
            for layout in ((base, "unknown"), (f"{base}/contrib", "contrib")):
                if layout not in layouts:
                    layouts.append(layout)
    used: Counter[tuple[str, str]] = Counter()
    for path in paths:
        inside = [layout for layout in layouts if f"/{layout[0]}/" in path]
        if inside:
            used[max(inside, key=lambda layout: len(layout[0]))] += 1
    ordered = sorted(layouts, key=lambda layout: -used[layout])
    return [(layout, used[layout]) for layout in ordered]


class Prober:
    """Probes for modules through ``get`` within ``budget`` requests."""

    def __init__(self, get: Get, budget: int, concurrency: int = 4) -> None:
        self.get = get
        self.budget = budget
        self.concurrency = max(1, concurrency)
        self.lock = threading.Lock()
        self.result = ProbeResult()
        self.mode = "info"
        """How a module is asked for: ``info``, ``folder`` or ``license`` (see `calibrate`)."""

    def _ask(self, path: str) -> tuple[int, bytes] | None:
        """One probe request, or None when the budget is spent."""
        with self.lock:
            if self.result.requests >= self.budget:
                return None
            self.result.requests += 1
        return self.get(path)

    def calibrate(self, layout: str) -> bool:
        """Learn how this server answers for a module that does not exist; False: stop.

        Three ways to ask, chosen by what the invented module gets:

        * ``info``: the invented ``.info`` is a 404, so the server serves
          ``.info`` files as they are (no Drupal rules): a real one answers
          200 with its text, and its packaged version comes with it.
        * ``folder``: the ``.info`` is refused (Apache with Drupal's
          ``.htaccess`` refuses every ``.info`` name, existing or not) but the
          invented folder is a 404: a real module's folder answers 403 (no
          listings) or 200 (a listing).  droopescan relies on the same rule.
        * ``license``: neither tells, so LICENSE.txt is asked for, which
          drupal.org packages into every project; only the GPL text counts.
        """
        bogus = f"drupalscan_absent_{uuid.uuid4().hex[:8]}"
        answer = self._ask(f"{layout}/{bogus}/{bogus}.info")
        if answer is None:
            return False
        info_status = answer[0]
        if self._unusable(info_status):
            return False
        if info_status == 404:
            self.mode = "info"
            return True
        answer = self._ask(f"{layout}/{bogus}/")
        if answer is None or self._unusable(answer[0]):
            return False
        self.mode = "folder" if answer[0] == 404 else "license"
        return True

    def _unusable(self, status: int) -> bool:
        """Whether an answer means probing cannot work here (and say why)."""
        if status in (0, -1) or status >= 500:
            why = "robots.txt forbids it" if status == -1 else f"the server answered {status}"
            self.result.warnings.append(f"module probing skipped: {why}")
            return True
        return False

    def check(self, candidate: Candidate, layout: tuple[str, str]) -> Found | None:
        """Whether the candidate is in this layout; None when not (or unknown)."""
        directory, type_ = layout
        folder = f"{directory}/{candidate.project}/"
        path = {
            "info": f"{folder}{candidate.module}.info",
            "folder": folder,
            "license": f"{folder}LICENSE.txt",
        }[self.mode]
        answer = self._ask(path)
        if answer is None:
            return None
        status, body = answer
        version = None
        if self.mode == "info":
            present = status == 200 and looks_like_info(body, candidate.module)
            version = info_version(body) if present else None
            why = "the file itself" + (f", version {version}" if version else "")
        elif self.mode == "folder":
            present = status in (200, 403)
            why = "an invented module's folder gave 404"
        else:
            present = status == 200 and looks_like_license(body)
            why = "drupal.org's packaged LICENSE.txt"
        if not present:
            return None
        return Found(
            name=candidate.module,
            project=candidate.project,
            type=type_,
            evidence=Evidence(
                kind="probe", detail=f"GET /{path} -> {status} ({why})", location=path
            ),
            version=version,
        )

    def run(
        self, candidates: Sequence[Candidate], layouts: Sequence[tuple[tuple[str, str], int]]
    ) -> ProbeResult:
        """Probe every candidate: find where the site keeps modules, then ask in parallel.

        The layouts the site's assets use are asked for every candidate (in
        order, until one answers); when no asset names one, the first few
        candidates are tried everywhere and the layout that answers is used.
        """
        wanted = [
            c for c in candidates if _MACHINE.fullmatch(c.module) and _MACHINE.fullmatch(c.project)
        ]
        order = [layout for layout, _ in layouts]
        active = [layout for layout, uses in layouts if uses]
        if not wanted or not order or not self.calibrate(order[0][0]):
            return self.result
        rest = list(wanted)
        if not active:
            while rest and len(wanted) - len(rest) < DISCOVERY_NAMES and not active:
                candidate = rest.pop(0)
                for layout in order:
                    hit = self.check(candidate, layout)
                    if hit is not None:
                        self.result.found.append(hit)
                        active = [layout]
                        break
            active = active or order[:1]

        def look(candidate: Candidate) -> Found | None:
            for layout in active:
                hit = self.check(candidate, layout)
                if hit is not None:
                    return hit
            return None

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            hits = list(pool.map(look, rest))
        self.result.found.extend(h for h in hits if h is not None)
        if self.result.requests >= self.budget:
            self.result.warnings.append(
                f"module probing used its budget of {self.budget} requests "
                f"({len(wanted)} projects were candidates)"
            )
        return self.result
