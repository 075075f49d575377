"""The hardening figures: faults survived, secrets found, peak memory.

    python bench/bench_faults.py [--pages 2000]

Runs the hardening suite (``tests/hardening``) in a subprocess with a JUnit
XML report in a temporary folder and prints:

* ``faults survived: N of M``: the tests of ``test_faults.py`` that passed,
  each one a fault a loopback server injects into a crawl;
* ``secrets found: N``: counted while ``test_secrets.py`` searches the
  store, the logs and every report format.  This file is also loaded into
  that pytest run as a plugin (``-p bench_faults``): it wraps the tests'
  ``assert_absent`` to count each secret searched for and each place
  searched, and writes the counts (never the secrets) to a JSON side file.
  A secret counts as found when any place holds it, whether or not the
  test then fails, so the figure does not rest on the tests passing;
* peak memory of ``bench/bench_memory.py --pages N`` (a crawl of a
  generated site; the 100,000-page figure is in docs/scaling.md).

Nothing is timed against a threshold; the exit status is 1 when a fault
test failed, a secret was found, or a step did not run.  Loopback only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIDE_FILE_ENV = "BENCH_FAULTS_SECRETS_JSON"
"""Where the plugin writes its secret counts (set only by `main`)."""
_SEARCHES: list[dict[str, Any]] = []


# -- the pytest plugin half (loaded into the hardening run with -p bench_faults) --


def pytest_collection_finish(session: Any) -> None:
    """Wrap test_secrets.assert_absent, once its module is imported, to count searches."""
    if not os.environ.get(SIDE_FILE_ENV):
        return
    module = sys.modules.get("tests.hardening.test_secrets")
    original = getattr(module, "assert_absent", None)
    if module is None or original is None:
        return

    def counting(secrets: list[str], blobs: list[tuple[str, bytes]]) -> None:
        blobs = list(blobs)
        for secret in secrets:
            encoded = {secret.encode(), secret.encode("utf-16-le")}
            _SEARCHES.append(
                {
                    # A short digest tells secrets apart without writing them down.
                    "secret": hashlib.sha256(secret.encode()).hexdigest()[:12],
                    "places": len(blobs),
                    "found": sum(any(e in data for e in encoded) for _, data in blobs),
                }
            )
        original(secrets, blobs)

    module.assert_absent = counting


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Write the counts to the side file named by the environment."""
    path = os.environ.get(SIDE_FILE_ENV)
    if path:
        Path(path).write_text(json.dumps(_SEARCHES))


# -- the benchmark -------------------------------------------------------------------


def run_suite(work: Path) -> tuple[Path, Path, float, str]:
    """Run tests/hardening; returns (junit xml, secrets side file, seconds, last output line)."""
    junit = work / "junit.xml"
    side = work / "secrets.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRUPALSCAN_")}
    env[SIDE_FILE_ENV] = str(side)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "bench"), str(ROOT), env.get("PYTHONPATH", "")) if p
    )
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "tests/hardening",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "bench_faults",
        f"--junitxml={junit}",
    ]
    started = time.monotonic()
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    lines = done.stdout.strip().splitlines()
    return junit, side, time.monotonic() - started, lines[-1] if lines else done.stderr[-300:]


def fault_counts(junit: Path, module: str = "test_faults") -> tuple[int, int]:
    """(passed, total) test cases of one hardening module in a JUnit XML report."""
    cases = [
        case
        for case in ET.parse(junit).getroot().iter("testcase")
        if case.get("classname", "").endswith(f".{module}")
    ]
    passed = sum(
        not any(child.tag in ("failure", "error", "skipped") for child in case) for case in cases
    )
    return passed, len(cases)


def secret_counts(side: Path) -> tuple[int, int, int]:
    """(secrets found, distinct secrets searched for, places searched) from the side file."""
    searches = json.loads(side.read_text())
    found = len({s["secret"] for s in searches if s["found"]})
    return found, len({s["secret"] for s in searches}), sum(s["places"] for s in searches)


def peak_memory(pages: int) -> tuple[float, float]:
    """(peak RSS in MB, pages/s) of bench_memory.py crawling a ``pages``-page site."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_memory.py"), "--pages", str(pages)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    rss = re.search(r"peak RSS:\s+([\d.]+) MB", done.stdout)
    rate = re.search(r"pages/s:\s+([\d.]+)", done.stdout)
    if done.returncode != 0 or not rss or not rate:
        raise RuntimeError(f"bench_memory.py failed: {done.stdout[-300:]}{done.stderr[-300:]}")
    return float(rss.group(1)), float(rate.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=2000, help="pages for the memory figure")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        junit, side, seconds, last = run_suite(Path(tmp))
        print(f"hardening suite: {last} (wall {seconds:.0f} s)")
        if not junit.exists():
            print("faults survived: unknown (no JUnit report)")
            return 1
        passed, total = fault_counts(junit)
        print(f"faults survived: {passed} of {total}")
        ok &= total > 0 and passed == total
        if side.exists():
            found, secrets, places = secret_counts(side)
            s_passed, s_total = fault_counts(junit, "test_secrets")
            print(
                f"secrets found: {found} ({secrets} planted secrets searched for in "
                f"{places:,} places: store files, output, reports; "
                f"{s_passed} of {s_total} secret tests passed)"
            )
            ok &= found == 0 and secrets > 0 and s_passed == s_total
        else:
            print("secrets found: unknown (the secret tests did not run)")
            ok = False
    rss, rate = peak_memory(args.pages)
    print(f"peak memory: {rss:.0f} MB crawling {args.pages:,} pages ({rate:,.0f} pages/s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
