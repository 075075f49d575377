"""Generated documentation stays in step with what it documents."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_rules_doc_is_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_rules_doc", REPO / "tools" / "gen_rules_doc.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == module.render(), "docs/rules.md is stale: run python tools/gen_rules_doc.py"
