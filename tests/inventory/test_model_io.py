"""The model's JSON round trip and stable ids."""

from __future__ import annotations

import json

import pytest

from drupalscan.inventory import io, model


def _site() -> model.Site:
    return model.Site(
        id="s-1",
        source="/srv/www",
        origin="docroot",
        kind="drupal7",
        core_version="7.98",
        kind_evidence=[
            model.Evidence(kind="file", detail="VERSION = 7.98", location="includes/bootstrap.inc")
        ],
        modules=[
            model.Module(
                name="custom_x",
                type="custom",
                enabled=True,
                dependencies=["views"],
                constraints={"views": ">=3.0"},
                code=model.CodeFacts(
                    php_files=2,
                    php_lines=120,
                    hooks=["hook_menu"],
                    api_uses=[model.ApiUse(symbol="variable_get", file="a.module", line=3)],
                ),
            )
        ],
        content_types=[
            model.ContentType(
                name="news",
                count=3,
                fields=[model.Field(name="body", type="text_with_summary", cardinality=-1)],
            )
        ],
        broken_link_details=[
            model.BrokenLink(url="http://x.test/a", status=404, referrers=["http://x.test/"])
        ],
        settings={"php_filter": {"module_enabled": True, "formats": ["php_code"]}},
    )


def test_round_trip_is_lossless() -> None:
    site = _site()
    text = io.inventory_to_json(model.Inventory(sites=[site]))
    again = io.inventory_from_json(text)
    assert again.sites == [site]
    assert io.inventory_to_json(again) == text


def test_json_is_sorted_and_versioned() -> None:
    data = json.loads(io.inventory_to_json(model.Inventory(sites=[_site()])))
    assert data["schema_version"] == model.SCHEMA_VERSION
    assert list(data["sites"][0]) == sorted(data["sites"][0])


def test_unknown_schema_version_is_refused() -> None:
    with pytest.raises(io.SchemaError, match="schema_version"):
        io.inventory_from_json('{"schema_version": 999, "sites": []}')
    with pytest.raises(io.SchemaError):
        io.inventory_from_json("not json")
    with pytest.raises(io.SchemaError):
        io.inventory_from_json('{"schema_version": 1, "sites": [{"id": 1, "modules": 3}]}')


def test_plan_round_trip() -> None:
    plan = model.Plan(
        waves=[model.Wave(index=1, sites=["a"], effort_hours=model.Effort(low=1, high=2))],
        effort_hours=model.Effort(low=1, high=2),
        site_effort={"a": model.Effort(low=1, high=2)},
    )
    assert io.from_data(model.Plan, json.loads(io.dumps(plan))) == plan


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://Intranet.Example.com/", "http://intranet.example.com"),
        ("http://intranet.example.com:80/", "http://intranet.example.com/#top"),
        ("https://x.test:443/a", "HTTPS://X.TEST/a"),
    ],
)
def test_site_id_is_stable_across_spellings(a: str, b: str) -> None:
    assert model.site_id(a) == model.site_id(b)


def test_site_id_differs_by_source(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert model.site_id("http://a.test/") != model.site_id("http://b.test/")
    assert model.site_id(str(tmp_path)) == model.site_id(str(tmp_path) + "/")


def test_misfit_data_names_where_it_is() -> None:
    data = io.to_data(_site())
    data["modules"][0]["code"]["api_uses"] = {"not": "a list"}
    where = r"^Site\.modules\[\]\.code\.api_uses: expected a list$"
    with pytest.raises(io.SchemaError, match=where):
        io.from_data(model.Site, data)
    with pytest.raises(io.SchemaError, match=r"^Page\.links: expected a list$"):
        io.from_data(model.Page, {"url": "http://x.test/", "links": "http://x.test/a"})
    with pytest.raises(io.SchemaError, match=r"^Page\.headers: expected an object$"):
        io.from_data(model.Page, {"url": "http://x.test/", "headers": ["X-Generator"]})
    with pytest.raises(io.SchemaError, match=r"^Page: .*url"):
        io.from_data(model.Page, {"status": 200})


def test_loader_converts_ints_to_floats_and_ignores_unknown_fields() -> None:
    effort = io.from_data(model.Effort, {"low": 2, "high": 5.5, "later_field": 1})
    assert effort == model.Effort(low=2.0, high=5.5)
    assert type(effort.low) is float


def test_dumped_page_does_not_share_lists_with_the_page() -> None:
    page = model.Page(url="http://x.test/", links=["http://x.test/a"], headers={"Server": "x"})
    data = io.to_data(page)
    assert data["links"] == ["http://x.test/a"] and data["headers"] == {"Server": "x"}
    data["links"].append("http://x.test/b")
    assert page.links == ["http://x.test/a"]
    assert io.from_data(model.Page, json.loads(io.dumps(page))) == page
