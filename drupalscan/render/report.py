"""The `Report`: everything a formatter may show, computed once.

Formatters only lay this out; none of them computes a figure that the JSON
output lacks, so every number in the HTML can be traced in the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from drupalscan import __version__
from drupalscan.inventory import model
from drupalscan.inventory.model import SCHEMA_VERSION
from drupalscan.rules.model import Rule


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """Inventory, findings and plan of one assessment, plus who and when."""

    sites: list[model.Site]
    findings: list[model.Finding]
    plan: model.Plan
    rules: list[Rule] = field(default_factory=list)
    pages: Callable[[str], Iterable[model.Page]] = field(default=lambda site_id: ())
    """Streams a crawled site's pages (for CSV and per-site tables): a formatter
    reads them one at a time, so a 100,000-page site is never held in memory."""
    generated_at: str = ""
    client: str = ""
    agency: str = ""
    logo: str = ""
    """An inline-able logo as a data: URI, or empty."""
    version: str = __version__


def report_data(report: Report) -> dict[str, Any]:
    """The JSON contract: schema_version, sites, findings, plan, and provenance."""
    from drupalscan.inventory.io import to_data

    return {
        "schema_version": SCHEMA_VERSION,
        "generator": f"drupalscan {report.version}",
        "generated_at": report.generated_at,
        "client": report.client,
        "sites": to_data(report.sites),
        "findings": to_data(report.findings),
        "plan": to_data(report.plan),
        "rules": [
            {
                "id": r.id,
                "title": r.title,
                "severity": r.severity,
                "category": r.category,
                "references": r.references,
                "effort": {
                    "low": r.effort.low,
                    "high": r.effort.high,
                    "per": r.effort.per,
                    "min": r.effort.min,
                    "text": r.effort_text(),
                },
                "platform": r.platform,
                "plan": {"shared": "codebase" if r.per_codebase else r.shared, "risk": r.risk},
                "source": r.path,
            }
            for r in report.rules
        ],
    }
