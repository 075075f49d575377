"""HTML: one self-contained file, the document consultants attach to proposals."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from markupsafe import Markup

from drupalscan.render.registry import register
from drupalscan.render.report import Report
from drupalscan.render.templates import environment, template_text
from drupalscan.render.view import build_view
from drupalscan.render.wording import action_labels

ACTION_COLOURS = {
    "keep_core": "#067647",
    "contrib": "#1570ef",
    "replace": "#b54708",
    "rewrite": "#b42318",
    "drop": "#98a2b3",
    "review": "#7a5af8",
}


def render_html(report: Report) -> str:
    """The report as one HTML document with inline CSS, JS and SVG."""
    js = template_text("report.js")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    template = environment().get_template("report.html.j2")
    return template.render(
        v=build_view(report),
        # Our own shipped assets, not site data: marked safe so that quotes in
        # CSS/JS are not entity-encoded inside <style>/<script>.
        css=Markup(template_text("report.css")),
        js=Markup(js),
        script_hash=f"sha256-{digest}",
        colours=ACTION_COLOURS,
        action_labels=action_labels(report.plan.target.core),
    )


@register("html")
class HtmlFormatter:
    """One self-contained HTML file."""

    extension = ".html"

    def write(self, report: Report, out: Path) -> list[Path]:
        """Write the HTML document to ``out``."""
        out.write_text(render_html(report), encoding="utf-8")
        return [out]
