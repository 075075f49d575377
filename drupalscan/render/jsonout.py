"""JSON: the full report, the machine contract of `plan --format json`."""

from __future__ import annotations

import json
from pathlib import Path

from drupalscan.render.registry import register
from drupalscan.render.report import Report, report_data


def render_json(report: Report) -> str:
    """The report as stable, sorted JSON text."""
    return json.dumps(report_data(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@register("json")
class JsonFormatter:
    """One JSON file."""

    extension = ".json"

    def write(self, report: Report, out: Path) -> list[Path]:
        """Write the JSON document to ``out``."""
        out.write_text(render_json(report), encoding="utf-8")
        return [out]
