"""Write docs/rules.md from the rule files, so the doc cannot drift from checks/.

Run `python tools/gen_rules_doc.py`; tests/test_docs.py fails when the
committed file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from drupalscan.rules.loader import load_rules

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


EFFORT_MODEL = """
## The effort model

Every finding's hours are its rule's rate times what it counts, so each
estimate traces to a rule, a unit and inputs a reader can check:

- **Units.** `module` and `theme` (one per finding), `kloc` (thousand lines of
  hand-written PHP), `template` (PHPTemplate files to redo in Twig), `use` (one
  call of a changed Drupal 7 API), `patch` (one patch to re-check), `item` (one
  item a Features module exports), `content_type`, `1000_nodes`, `site`. A floor
  (`at least ...`) covers the fixed part of small pieces of work.
- **Custom code is sized by what it holds.** Only PHP someone wrote counts:
  files Features generated (`*.features*.inc`, `*.views_default.inc`,
  `*.strongarm.inc` ...) are configuration (the D7-FEAT rules cost them per
  exported item, by what the work is: views and layouts rebuilt, content types
  and permissions checked after the migration). Modules of 500 lines or more are
  D7-CUS-001 (high), smaller ones D7-CUS-003 (medium, a 100-line floor), at the
  same rate per KLOC; each changed API call adds its D7-API-001 use, so hooks,
  forms, entity and field API and theme functions weigh by how often they occur.
- **What is not counted.** Disabled modules (a database or drush output says
  so) are listed but cost nothing beyond D7-MOD-009; with only the tree scanned
  nobody knows, so every module counts as enabled and the report says so. Work
  the target does once (a module installed on the consolidated site) counts once
  across sites (rules marked `[plan] shared = true`), and code the sites of one
  multisite codebase share (sites/all, an install profile, core) counts once for
  all of them (`[plan] shared = "codebase"`).
- **What moves the total.** The report's "What drives the estimate" table lists
  the rules with the most hours, what each counted and at which rate.
- **Your own rates.** In `drupalscan.toml`, `[effort.RULE-ID]` with `low` and
  `high` (hours per the rule's unit) replaces a rule's rate everywhere:

  ```toml
  [effort.D7-FEAT-001]   # exported views: hours per view
  low = 1.5
  high = 4
  ```
"""


def render() -> str:
    """The Markdown text of docs/rules.md."""
    rules = load_rules()
    lines = [
        "# Rules",
        "",
        "Generated from `checks/*.toml` by `tools/gen_rules_doc.py`; do not edit by hand.",
        "",
        *EFFORT_MODEL.strip().splitlines(),
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
