"""Keep the benchmarks from rotting: each generator and one measurement, tiny.

The benchmarks live in ``bench/`` (not a package), so they are imported by
path.  Nothing here asserts a timing: a smoke test on a shared CI machine
would only measure the neighbours.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load_bench(name: str) -> ModuleType:
    """Import ``bench/<name>.py`` as a module (registered, so dataclasses work)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(shutil.which("grep") is None, reason="needs grep")
def test_bench_scan_tiny(tmp_path: Path) -> None:
    bench = load_bench("bench_scan")
    doc = bench.generate_docroot(tmp_path, modules=10, files=200, seed=3)
    assert doc.files == 200
    assert sum(doc.modules.values()) == 10 and doc.modules["custom"] >= 1
    assert (tmp_path / "includes" / "bootstrap.inc").read_text().count("'7.98'") == 1

    result = bench.measure(tmp_path, repeat=1)
    assert result.facts.docroot.core_version == "7.98"
    assert len(result.facts.modules) == 10
    custom = [m for m in result.facts.modules if m.type == "custom"]
    assert custom and all(m.code and m.code.api_uses for m in custom)
    assert result.grep_lines > 0
    assert result.scan_s > 0 and result.grep_s > 0

    # Deterministic: the same seed writes the same tree.
    again = bench.generate_docroot(tmp_path / "again", modules=10, files=200, seed=3)
    assert (again.files, again.bytes) == (doc.files, doc.bytes)


def test_bench_plan_tiny() -> None:
    bench = load_bench("bench_plan")
    sites = bench.make_portfolio(3, seed=2)
    assert len(sites) == 3
    assert all(len(s.modules) == bench.MODULES_PER_SITE for s in sites)
    assert all(len(s.content_types) == bench.CONTENT_TYPES_PER_SITE for s in sites)
    assert all(m.status != "unknown" or m.type == "contrib" for s in sites for m in s.modules)

    timing = bench.measure(sites, repeat=1)
    assert timing.sites == 3 and timing.findings > 0 and timing.waves >= 1
    assert min(timing.json_s, timing.rules_s, timing.plan_s, timing.both_s) > 0


def test_bench_crawl_pages() -> None:
    bench = load_bench("bench_crawl")
    page = bench.render(1, 30).decode()
    assert 'href="/p/11"' in page and 'href="/p/20"' in page
    assert "Drupal 7" in page


@pytest.mark.skipif(shutil.which("wget") is None, reason="needs wget")
@pytest.mark.slow
def test_bench_assessment_tiny() -> None:
    bench = load_bench("bench_assessment")
    got = bench.run(latency=0.0, repeat=1)
    assert got["core_version"] == "7.79"
    assert got["assessment_requests"] > got["pages"] and got["wget_requests"] > 0
