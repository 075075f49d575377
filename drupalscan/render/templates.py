"""Loading the shipped templates (top-level `templates/`, package `drupalscan.templates`)."""

from __future__ import annotations

from importlib import resources

import jinja2


def template_text(name: str) -> str:
    """The text of a shipped template or asset file."""
    return (resources.files("drupalscan.templates") / name).read_text(encoding="utf-8")


def environment(*, autoescape: bool = True, finalize: object = None) -> jinja2.Environment:
    """A jinja2 environment over the shipped templates.

    HTML uses autoescape=True for every template, whatever its file name
    (``select_autoescape`` would skip ``*.html.j2``), and StrictUndefined so a
    misspelt variable fails the tests instead of rendering blank.
    """
    kwargs: dict[str, object] = {}
    if finalize is not None:
        kwargs["finalize"] = finalize
    return jinja2.Environment(
        # importlib.resources works the same from a wheel, an editable install
        # (where templates/ is mapped, not inside drupalscan/) and a zip.
        loader=jinja2.FunctionLoader(template_text),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **kwargs,  # type: ignore[arg-type]
    )
