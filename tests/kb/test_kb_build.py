"""tools/build_kb.py is deterministic and matches the bundled data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tools" / "kb-sources"
"""The fact files the knowledge base is built from, kept in the repository."""


def build(out: Path) -> dict[str, bytes]:
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "build_kb.py"), str(DATA), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_build_is_deterministic(tmp_path: Path) -> None:
    first = build(tmp_path / "a")
    second = build(tmp_path / "b")
    assert first.keys() == second.keys()
    assert first == second


def test_bundled_data_is_current(tmp_path: Path) -> None:
    built = build(tmp_path / "c")
    bundled = REPO / "drupalscan" / "kb" / "data"
    for name, content in built.items():
        assert (bundled / name).read_bytes() == content, f"{name} is stale: rerun build_kb.py"
