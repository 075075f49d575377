"""The report's sections and charts, as the HTML, PDF and browser tests expect them.

Kept apart from test_browser.py, whose module skips without websocket-client:
importing from it would skip the PDF tests too.
"""

from __future__ import annotations

SECTIONS = {
    "cover": None,
    "summary": "Executive summary",
    "business": "Business case",
    "sites": "Sites",
    "graph": "Module dependencies",
    "groups": "Consolidation groups",
    "content-model": "Target content model",
    "decisions": "Decisions for the client",
    "waves": "Migration waves",
    "risks": "Risks and assumptions",
    "appendix": "Appendix: rules used",
}
CHARTS = ("chart-effort", "chart-dependencies", "chart-groups", "chart-waves")
