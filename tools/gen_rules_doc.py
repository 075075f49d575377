"""Write docs/rules.md from the rule files, so the doc cannot drift from checks/.

Run `python tools/gen_rules_doc.py`; tests/test_docs.py fails when the
committed file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from drupalscan.rules.loader import load_rules

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def render() -> str:
    """The Markdown text of docs/rules.md."""
    rules = load_rules()
    lines = [
        "# Rules",
        "",
        "Generated from `checks/*.toml` by `tools/gen_rules_doc.py`; do not edit by hand.",
        "",
        "| Rule | Severity | Applies to | Effort | Title |",
        "|---|---|---|---|---|",
    ]
    for r in rules:
        effort = r.effort_text()
        lines.append(
            f"| [{r.id}](#{r.id.lower()}) | {r.severity} | {r.applies_to} | {effort} | {r.title} |"
        )
    for r in rules:
        lines += [
            "",
            f"## {r.id}",
            "",
            f"**{r.title}** — severity {r.severity}, category {r.category}, "
            f"confidence {r.confidence}.",
            "",
            f"Effort: {r.effort_text()}.",
            "",
            r.rationale,
            "",
            f"Remedy: {r.remedy}",
        ]
        if r.match:
            cond = ", ".join(f"`{k}` {v!r}" for k, v in r.match.items())
            lines += ["", f"Fires when: {cond}."]
        else:
            lines += ["", f"Fires when: predicate `{r.predicate}` returns evidence."]
        if r.settings:
            lines += [
                "",
                "Settings: " + ", ".join(f"`{k}` = {v!r}" for k, v in r.settings.items()) + ".",
            ]
        if r.references:
            lines += ["", "References: " + ", ".join(f"<{ref}>" for ref in r.references)]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write the file (or, with --check, exit 1 when it is stale)."""
    text = render()
    if "--check" in sys.argv:
        return 0 if DOC.read_text(encoding="utf-8") == text else 1
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
