"""CSV: findings, modules, pages and the redirect map, one file each.

`out` is a directory (created if needed); a path ending in .csv writes the
findings there and the other tables beside it with a suffix, so a consultant
asking for `report.csv` still gets everything.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from drupalscan.render.registry import register
from drupalscan.render.report import Report

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A spreadsheet-safe cell: text a crawled site wrote cannot start a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
    return path


def csv_tables(report: Report) -> dict[str, tuple[list[str], list[list[object]]]]:
    """Table name -> (header, rows)."""
    names = {s.id: s.name or s.source for s in report.sites}
    findings = [
        [
            f.rule,
            f.severity,
            names.get(f.site, f.site),
            f.subject.kind,
            f.subject.name,
            f.message,
            f.effort_hours.low,
            f.effort_hours.high,
            " | ".join(f.evidence),
            f.remedy,
        ]
        for f in report.findings
    ]
    modules: list[list[object]] = [
        [
            names[s.id],
            m.name,
            m.project or "",
            m.version or "",
            m.type,
            "" if m.enabled is None else ("yes" if m.enabled else "no"),
            m.status,
            m.replacement or "",
            m.path,
        ]
        for s in report.sites
        for m in s.modules
    ]
    pages = [
        [
            names.get(sid, sid),
            p.url,
            p.status,
            p.content_type,
            p.title,
            p.template,
            p.word_count,
            p.error,
        ]
        for sid in (s.id for s in report.sites if s.origin == "url")
        for p in report.pages(sid)
    ]
    redirects: list[list[object]] = [
        [names.get(r["site"], r["site"]), r["old_url"], r["template"], r["target"]]
        for r in report.plan.redirects
    ]
    return {
        "findings": (
            [
                "rule",
                "severity",
                "site",
                "subject_kind",
                "subject",
                "message",
                "effort_low_h",
                "effort_high_h",
                "evidence",
                "remedy",
            ],
            findings,
        ),
        "modules": (
            [
                "site",
                "module",
                "project",
                "version",
                "type",
                "enabled",
                "status",
                "replacement",
                "path",
            ],
            modules,
        ),
        "pages": (
            ["site", "url", "status", "content_type", "title", "template", "words", "error"],
            pages,
        ),
        "redirects": (["site", "old_url", "template", "target"], redirects),
    }


@register("csv")
class CsvFormatter:
    """Four CSV files."""

    extension = ""

    def write(self, report: Report, out: Path) -> list[Path]:
        """Write every table; see the module docstring for naming."""
        tables = csv_tables(report)
        if out.suffix == ".csv":
            out.parent.mkdir(parents=True, exist_ok=True)
            paths = {
                name: out if name == "findings" else out.with_name(f"{out.stem}-{name}.csv")
                for name in tables
            }
        else:
            out.mkdir(parents=True, exist_ok=True)
            paths = {name: out / f"{name}.csv" for name in tables}
        return [_write(paths[name], *tables[name]) for name in tables]
