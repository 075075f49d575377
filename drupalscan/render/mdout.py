"""Markdown: the same content as the HTML, for proposals written in Markdown."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from drupalscan.render.registry import register
from drupalscan.render.report import Report
from drupalscan.render.templates import environment
from drupalscan.render.view import build_view

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!])")


def md_escape(value: Any) -> str:
    """Escape text from scanned sites so it stays text in Markdown tables and prose."""
    if value is None:
        return ""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(report: Report) -> str:
    """The report as GitHub-flavoured Markdown."""
    env = environment(autoescape=False, finalize=md_escape)
    return env.get_template("report.md.j2").render(v=build_view(report))


@register("md")
class MarkdownFormatter:
    """One Markdown file."""

    extension = ".md"

    def write(self, report: Report, out: Path) -> list[Path]:
        """Write the Markdown document to ``out``."""
        out.write_text(render_markdown(report), encoding="utf-8")
        return [out]
