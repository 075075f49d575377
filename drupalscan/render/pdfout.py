"""PDF: the HTML report laid out for A4 by WeasyPrint (the optional `pdf` extra).

WeasyPrint is a pure-Python layout engine over Pango: no browser, no network.
The print stylesheet of the HTML report (page breaks, running header, page
numbers) is what shapes the PDF, so both stay one design.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from drupalscan.render.htmlout import render_html
from drupalscan.render.registry import register
from drupalscan.render.report import Report

INSTALL_HINT = "PDF output needs WeasyPrint: pip install drupalscan[pdf]"


def _data_only_fetcher(weasyprint: Any) -> Any:
    """A WeasyPrint URL fetcher that serves data: URIs and refuses everything else.

    The report is self-contained; any other URL would be a request to another
    host (or a read of a local file) triggered by text from a scanned site.
    """
    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint 68+
        return weasyprint.URLFetcher(allowed_protocols=("data",))

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        if not url.startswith("data:"):
            raise ValueError(f"drupalscan reports load nothing from outside: {url}")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


def _weasyprint() -> Any:
    """Import WeasyPrint, or explain in one line how to get it."""
    from drupalscan.errors import UsageError

    try:
        import weasyprint  # type: ignore[import-untyped]
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    except OSError as exc:
        # Installed, but Pango is missing from the system.
        raise UsageError(
            f"{INSTALL_HINT}, and the Pango libraries "
            f"(Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0): {exc}"
        ) from None
    return weasyprint


def render_pdf(report: Report) -> bytes:
    """The report as PDF bytes (A4, print stylesheet of the HTML report)."""
    weasyprint = _weasyprint()
    # WeasyPrint logs every CSS property it does not implement (the screen-only
    # parts of our stylesheet); those warnings are not the user's business.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = weasyprint.HTML(
        string=render_html(report), url_fetcher=_data_only_fetcher(weasyprint)
    )
    return document.write_pdf()  # type: ignore[no-any-return]


@register("pdf")
class PdfFormatter:
    """One PDF file."""

    extension = ".pdf"

    def write(self, report: Report, out: Path) -> list[Path]:
        """Write the PDF document to ``out``."""
        data = render_pdf(report)
        out.write_bytes(data)
        return [out]
