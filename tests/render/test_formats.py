"""Formats beyond HTML: the registry, PDF through WeasyPrint, and the CLI switches."""

from __future__ import annotations

import builtins
import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from drupalscan import api
from drupalscan.cli import main
from drupalscan.render.registry import format_names
from drupalscan.render.report import Report
from tests.conftest import COMMS_DB, COMMS_DOCROOT
from tests.render.sections import SECTIONS


def needs_weasyprint() -> None:
    """Skip unless WeasyPrint imports (it raises OSError when Pango is missing)."""
    try:
        import weasyprint  # type: ignore[import-untyped]  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"PDF needs drupalscan[pdf] and Pango (libpango-1.0-0): {exc}")


def test_cli_formats_are_the_registry() -> None:
    for command in ("report", "plan"):
        (fmt,) = [p for p in main.commands[command].params if p.name == "fmt"]
        assert list(fmt.type.choices) == format_names() == ["csv", "html", "json", "md", "pdf"]


def test_pdf_without_weasyprint_names_the_extra(
    example_report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_weasyprint(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    with pytest.raises(api.UsageError, match=r"pip install drupalscan\[pdf\]"):
        api.render(example_report, "pdf", tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.slow
def test_pdf_has_the_sections(example_report: Report, tmp_path: Path) -> None:
    needs_weasyprint()
    pypdf = pytest.importorskip("pypdf", reason="pypdf is in the test extra")
    (out,) = api.render(example_report, "pdf", tmp_path / "r.pdf")
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    for title in (t for t in SECTIONS.values() if t):
        assert title in text, title
    assert f"Page 1 of {len(reader.pages)}" in text
    assert "Northwind Traders" in text
    # Modules that do not matter are a paragraph, not pages of tables.
    assert len(reader.pages) < 40
    assert "other modules on disk (disabled or test modules)" in text
    assert "‹" not in text and "{replacement}" not in text


@pytest.mark.slow
def test_report_pdf_flag(tmp_path: Path) -> None:
    needs_weasyprint()
    store = str(tmp_path / "s.db")
    runner = CliRunner()
    args = ["--store", store, "-q"]
    scan = [*args, "scan", str(COMMS_DOCROOT), "--db", f"sqlite:///{COMMS_DB}"]
    assert runner.invoke(main, scan).exit_code == 0
    result = runner.invoke(main, [*args, "report", "--pdf", "-o", str(tmp_path / "r.pdf")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
