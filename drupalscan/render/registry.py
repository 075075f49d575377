"""Output formats, registered by name: `--format` choices come from here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from drupalscan.render.report import Report


class Formatter(Protocol):
    """Writes a report to a path (a file, or a directory for multi-file formats)."""

    extension: str

    def write(self, report: Report, out: Path) -> list[Path]:
        """Write the report; return the files written."""
        ...


FORMATTERS: dict[str, Formatter] = {}


def register(name: str) -> Callable[[type], type]:
    """Class decorator adding a formatter instance to FORMATTERS."""

    def deco(cls: type) -> type:
        FORMATTERS[name] = cls()
        return cls

    return deco


def formatter(name: str) -> Formatter:
    """The formatter for a format name (imports the built-in ones on first use)."""
    from drupalscan.render import csvout, htmlout, jsonout, mdout, pdfout  # noqa: F401

    return FORMATTERS[name]


def format_names() -> list[str]:
    """Every registered format, sorted, for --format choices."""
    from drupalscan.render import csvout, htmlout, jsonout, mdout, pdfout  # noqa: F401

    return sorted(FORMATTERS)
