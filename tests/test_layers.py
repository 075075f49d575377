"""Imports point one way: a stage imports only the stages before it (STYLE 1).

collect -> inventory -> rules (with the knowledge base) -> graph -> render;
the api sits above them all and the CLI above the api.  Checked on every
import in the package, including the ones inside functions, so a lazy
import cannot hide a dependency on a later stage.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "drupalscan"

RANK = {
    "__init__": 0,
    "__version__": 0,
    "errors": 0,
    "config": 0,
    "progress": 0,
    "inventory": 1,
    "kb": 2,
    "collect": 3,
    "examples": 3,
    "rules": 4,
    "graph": 5,
    "render": 6,
    "kit": 6,
    "api": 7,
    "cli": 8,
}
"""Each top-level part of the package, by stage: a part may import lower or equal ranks."""


def stage_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imported_stages(path: Path) -> set[str]:
    """The drupalscan parts one file imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] != "drupalscan":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "drupalscan" and len(parts) > 1:
                    found.add(parts[1])
    return found


def test_every_part_of_the_package_has_a_stage() -> None:
    parts = {stage_of(p) for p in PACKAGE.rglob("*.py")}
    assert parts <= set(RANK), parts - set(RANK)


def test_no_module_imports_a_later_stage() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        stage = stage_of(path)
        for target in imported_stages(path):
            if RANK.get(target, 99) > RANK[stage]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {target}")
    assert not wrong, wrong
