"""Golden files pin the structure of every text format for the example client.

A change to a template or the view-model shows up here as a diff; when the
change is intended, `pytest tests/render --update-golden` rewrites the files
and the diff goes into review with the code.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from drupalscan import api
from drupalscan.render.report import Report
from tests.render.conftest import GOLDEN, scrub

SITE = "northwind"
CASES = [
    ("html", "report.html"),
    ("md", "report.md"),
    ("json", "report.json"),
    ("csv", "csv"),
]


def _outputs(report: Report, fmt: str, name: str, tmp_path: Path) -> dict[str, str]:
    """Relative golden path -> scrubbed text, for one format."""
    written = api.render(report, fmt, tmp_path / name)
    base = tmp_path
    return {
        str(path.relative_to(base)): scrub(path.read_text(encoding="utf-8")) for path in written
    }


@pytest.mark.parametrize(("fmt", "name"), CASES, ids=[c[0] for c in CASES])
def test_golden(
    example_report: Report, update_golden: bool, tmp_path: Path, fmt: str, name: str
) -> None:
    outputs = _outputs(example_report, fmt, name, tmp_path)
    assert outputs, f"{fmt} wrote nothing"
    for rel, text in sorted(outputs.items()):
        golden = GOLDEN / SITE / rel
        if update_golden:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text, encoding="utf-8")
            continue
        assert golden.exists(), f"{golden} is missing: run pytest tests/render --update-golden"
        expected = golden.read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(
                list(
                    difflib.unified_diff(
                        expected.splitlines(keepends=True),
                        text.splitlines(keepends=True),
                        str(golden),
                        "now",
                    )
                )[:60]
            )
            pytest.fail(
                f"{rel} differs from its golden file (pytest tests/render --update-golden "
                f"refreshes it if the change is intended):\n{diff}"
            )


def test_golden_has_no_machine_specifics() -> None:
    """Goldens must pass on any checkout: no absolute checkout path, no live port."""
    files = [p for p in (GOLDEN / SITE).rglob("*") if p.is_file()]
    assert files, "no golden files yet: run pytest tests/render --update-golden"
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "/work/" not in text and "/tmp/" not in text, path
        assert "2026-01-01 00:00 UTC" in text or path.suffix == ".csv", path
