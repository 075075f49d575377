"""A site whose every name is an injection attempt, for the escaping tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from drupalscan import api
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from drupalscan.render.report import Report
from tests.render.conftest import NOW

SCRIPT = "<script>window.__pwned=1;alert(1)</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
SVG = '"><svg onload="window.__pwned=3">'
CLOSE = '</td></tr></table><iframe src="http://evil.invalid/"></iframe>'
SOURCE = "http://127.0.0.1:9/"
HOSTILE = (SCRIPT, IMG, SVG, CLOSE)


def hostile_site() -> model.Site:
    """Titles, module names and field labels that try to break out of their cells."""
    return model.Site(
        id=model.site_id(SOURCE),
        source=SOURCE,
        origin="url",
        name=f"Evil {SCRIPT}",
        kind="drupal7",
        core_version="7.50",
        modules=[
            model.Module(
                name=f"evil{IMG}",
                label=f"Evil {SVG}",
                project="evil",
                version="7.x-1.0",
                type="contrib",
                enabled=True,
                status="no_release",
            ),
            model.Module(name="php", type="core", enabled=True, status="core"),
        ],
        content_types=[
            model.ContentType(
                name="story",
                label=f"Story {CLOSE}",
                count=3,
                fields=[
                    model.Field(name=f"field_{SCRIPT}", type="text", label=f"Label {IMG}"),
                ],
            )
        ],
        vocabularies=[model.Vocabulary(name="tags", label=f"Tags {SVG}", terms=2)],
        templates={f"node:{IMG}": 2},
        broken_link_details=[
            model.BrokenLink(
                url=f"{SOURCE}{SVG}", status=404, referrers=["javascript:window.__pwned=4"]
            )
        ],
        warnings=[CLOSE],
        pages=2,
        collected=["crawl"],
    )


def hostile_pages() -> list[model.Page]:
    """Crawled pages whose titles carry markup."""
    return [
        model.Page(
            url=f"{SOURCE}node/{i}",
            status=200,
            content_type="text/html",
            title=f"=cmd|' /C calc'!A0 {SCRIPT}" if i == 1 else f"Page {IMG}",
            template=f"node:{IMG}",
        )
        for i in (1, 2)
    ]


def hostile_report(tmp: Path) -> Report:
    """The hostile site's report, built through the real store and planner."""
    with Store(tmp / "hostile.db") as store:
        site = hostile_site()
        store.put_site(site)
        store.put_pages(site.id, hostile_pages())
        report = api.build_report(store, now=NOW)
    return dataclasses.replace(report, client=f"Client {SCRIPT}", agency=f"Agency {IMG}")
