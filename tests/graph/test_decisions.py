"""Decisions for the client (issue 15): each kind found, its default in force, and the
client's answer from drupalscan.toml changing the plan and its hours."""

from __future__ import annotations

from pathlib import Path

import pytest

from drupalscan.config import ConfigError, DecisionRecord, Settings, load_settings
from drupalscan.errors import UsageError
from drupalscan.graph.decisions import RULE, as_findings
from drupalscan.graph.plan import plan
from drupalscan.inventory import model


def field(name: str, ftype: str = "text", *, required: bool = False, card: int = 1) -> model.Field:
    return model.Field(name=name, type=ftype, required=required, cardinality=card)


def site(
    sid: str,
    name: str,
    types: list[model.ContentType],
    *,
    formats: list[dict[str, object]] | None = None,
    vocabularies: list[model.Vocabulary] | None = None,
) -> model.Site:
    return model.Site(
        id=sid,
        source=f"/srv/{sid}",
        origin="docroot",
        name=name,
        kind="drupal7",
        content_types=types,
        text_formats=formats or [],
        vocabularies=vocabularies or [],
    )


def news(count: int, *fields: model.Field) -> model.ContentType:
    return model.ContentType(name="news", label="News", count=count, fields=list(fields))


BODY = field("body", "text_with_summary")
CATEGORY = field("field_news_category", "taxonomy_term_reference", required=True)


def comms_and_hr() -> list[model.Site]:
    """Two intranets' news: one files every item under a required category, one has none."""
    return [
        site("a-comms", "Comms", [news(180, BODY, CATEGORY, field("field_source"))]),
        site("b-hr", "HR Intranet", [news(40, BODY, field("field_source"))]),
    ]


def by_id(p: model.Plan) -> dict[str, model.Decision]:
    return {d.id: d for d in p.decisions}


KEY = "required_field:news.field_news_category"


def test_a_required_field_missing_on_a_source_is_a_decision_with_a_default() -> None:
    p = plan(comms_and_hr(), [])
    d = by_id(p)[KEY]
    assert d.kind == "required_field" and d.choice == d.default == "default_value"
    assert not d.decided
    assert d.site == "b-hr" and d.sites == ["b-hr"]
    assert "40 item(s) would arrive without a value" in d.detail
    assert [o.key for o in d.options] == ["default_value", "optional", "keep_apart"]
    (target,) = [u for u in p.content_model if u.name == "news"]
    assert next(f for f in target.fields if f.name == "field_news_category").required
    # Its hours are in the plan: a finding on the affected site, counted there.
    items = [i for i in p.effort_items if i.rule == RULE]
    assert [(i.site, i.counted_hours) for i in items] == [("b-hr", model.Effort(low=1, high=3))]


def test_the_clients_answer_changes_the_plan_and_its_hours() -> None:
    sites = comms_and_hr()
    before = plan(sites, [])
    optional = plan(
        sites,
        [],
        Settings(decisions={KEY: DecisionRecord(choice="optional", by="J. Doe", on="2026-11-30")}),
    )
    d = by_id(optional)[KEY]
    assert d.decided and d.choice == "optional" and d.decided_by == "J. Doe"
    (target,) = [u for u in optional.content_model if u.name == "news"]
    assert not next(f for f in target.fields if f.name == "field_news_category").required
    assert before.effort_hours.high - optional.effort_hours.high == pytest.approx(3 - 1)
    apart = plan(sites, [], Settings(decisions={KEY: DecisionRecord(choice="keep_apart")}))
    names = sorted(u.name for u in apart.content_model)
    assert names == ["news", "news_hr_intranet"]
    assert by_id(apart)[KEY].choice == "keep_apart"  # still listed, as decided
    assert apart.effort_hours.high - before.effort_hours.high == pytest.approx(12 - 3)


def test_different_field_types_and_cardinalities_are_decisions() -> None:
    sites = [
        site(
            "a",
            "A",
            [news(100, BODY, field("field_date", "datetime"), field("field_tags", card=-1))],
        ),
        site("b", "B", [news(20, BODY, field("field_date", "text"), field("field_tags", card=1))]),
    ]
    p = plan(sites, [])
    decisions = by_id(p)
    typed = decisions["field_type:news.field_date"]
    assert typed.kind == "field_conflict" and typed.default == "convert"
    assert "datetime on news of A" in typed.detail and "text on news of B" in typed.detail
    assert typed.sites == ["b"]
    card = decisions["cardinality:news.field_tags"]
    assert card.default == "widen" and card.sites == ["b"]
    split = plan(
        sites, [], Settings(decisions={typed.id: DecisionRecord(choice="separate_fields")})
    )
    (target,) = split.content_model
    assert {f.name: f.type for f in target.fields}["field_date_text"] == "text"
    b_source = next(s for s in target.sources if s.site == "b")
    assert b_source.field_map["field_date"] == "field_date_text"


def test_a_weak_merge_is_the_clients_call_below_the_threshold() -> None:
    many = [field(f"field_{n}") for n in ("a", "b", "c", "d")]
    sites = [site("a", "A", [news(100, BODY, *many)]), site("b", "B", [news(20, BODY)])]
    d = by_id(plan(sites, []))["weak_merge:news"]
    assert d.default == "merge" and "news on B (0.20)" in d.detail
    assert "weak_merge:news" not in by_id(plan(sites, [], Settings(merge_similarity=0.1)))
    renamed = plan(
        sites, [], Settings(decisions={d.id: DecisionRecord(choice="rename", name="bulletin")})
    )
    assert [u.name for u in renamed.content_model] == ["bulletin"]
    with pytest.raises(UsageError, match='rename needs name = "machine_name"'):
        plan(sites, [], Settings(decisions={d.id: DecisionRecord(choice="rename")}))


def test_a_crawled_type_without_known_fields_raises_no_weak_merge() -> None:
    sites = [
        site("a", "A", [news(100, BODY, field("field_x"), field("field_y"))]),
        model.Site(id="b", source="http://b/", origin="url", name="B", content_types=[news(0)]),
    ]
    assert "weak_merge:news" not in by_id(plan(sites, []))


def test_text_formats_that_filter_differently_are_a_decision() -> None:
    html = {"format": "full_html", "name": "Full HTML", "status": 1, "nodes_using": 12}
    sites = [
        site("a", "A", [], formats=[{**html, "filters": ["filter_url", "filter_autop"]}]),
        site("b", "B", [], formats=[{**html, "filters": ["filter_html", "filter_url"]}]),
        site("c", "C", [], formats=[{**html, "filters": ["filter_url", "filter_autop"]}]),
    ]
    d = by_id(plan(sites, []))["text_format:full_html"]
    assert d.default == "merge" and d.sites == ["a", "b", "c"]
    assert "B: filter_html, filter_url (12 item(s))" in d.detail
    same = [sites[0], sites[2]]
    assert "text_format:full_html" not in by_id(plan(same, []))


def test_vocabularies_sharing_a_machine_name_with_other_labels_are_kept_apart() -> None:
    sites = [
        site(
            "a", "Comms", [], vocabularies=[model.Vocabulary(name="tags", label="Tags", terms=40)]
        ),
        site("b", "Estates", [], vocabularies=[model.Vocabulary(name="tags", label="Buildings")]),
    ]
    p = plan(sites, [])
    d = by_id(p)["vocabulary:tags"]
    assert d.default == "keep_apart"
    assert p.target.vocabularies == ["tags", "tags_estates"]
    merged = plan(sites, [], Settings(decisions={d.id: DecisionRecord(choice="merge")}))
    assert merged.target.vocabularies == ["tags"]
    same_label = [
        sites[0],
        site("b", "Estates", [], vocabularies=[model.Vocabulary(name="tags", label="tags")]),
    ]
    assert "vocabulary:tags" not in by_id(plan(same_label, []))


def test_a_wrong_answer_is_an_error_and_a_stale_one_a_note() -> None:
    sites = comms_and_hr()
    with pytest.raises(
        UsageError, match="choice must be one of default_value, optional, keep_apart, not 'maybe'"
    ):
        plan(sites, [], Settings(decisions={KEY: DecisionRecord(choice="maybe")}))
    p = plan(sites, [], Settings(decisions={"vocabulary:gone": DecisionRecord(choice="merge")}))
    assert any(
        'answers decision "vocabulary:gone", which this plan does not ask' in n for n in p.notes
    )


def test_decisions_round_trip_through_drupalscan_toml(tmp_path: Path) -> None:
    toml = tmp_path / "drupalscan.toml"
    toml.write_text(
        f'[decisions."{KEY}"]\n'
        'choice = "optional"\nby = "Northwind comms lead"\non = 2026-11-30\n'
        'note = "HR news gets a category after the move"\n',
        encoding="utf-8",
    )
    settings = load_settings(toml)
    assert settings.decisions[KEY] == DecisionRecord(
        choice="optional", by="Northwind comms lead", on="2026-11-30",
        note="HR news gets a category after the move",
    )  # fmt: skip
    d = by_id(plan(comms_and_hr(), [], settings))[KEY]
    assert (d.choice, d.decided_by, d.decided_on) == (
        "optional",
        "Northwind comms lead",
        "2026-11-30",
    )
    (finding,) = as_findings([d])
    assert finding.rule == RULE and finding.effort_hours == model.Effort(low=0.5, high=1)
    assert "decided by Northwind comms lead" in finding.message
    for bad, message in (
        ('[decisions."x"]\nchoice = 3\n', "needs choice ="),
        ('[decisions."x"]\nchoice = "merge"\nwho = "me"\n', "unknown key"),
        ("[plan]\nmerge_similarity = 2\n", "merge_similarity must be a number from 0 to 1"),
    ):
        toml.write_text(bad, encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_settings(toml)


def test_one_field_that_holds_different_things_is_a_decision() -> None:
    tags = field("field_tags", "taxonomy_term_reference")
    level = field("field_level", "list_text")
    sites = [
        site(
            "a",
            "A",
            [
                news(
                    100,
                    BODY,
                    model.replace(tags, references="taxonomy_term:tags"),
                    model.replace(level, allowed_values=["low", "high"]),
                )
            ],
        ),
        site(
            "b",
            "B",
            [
                news(
                    20,
                    BODY,
                    model.replace(tags, references="taxonomy_term:topics"),
                    model.replace(level, allowed_values=["low", "high"]),
                )
            ],
        ),
    ]
    p = plan(sites, [])
    d = by_id(p)["field_settings:news.field_tags"]
    assert d.default == "union" and d.sites == ["b"]
    assert "references taxonomy_term:topics on news of B" in d.detail
    assert "field_settings:news.field_level" not in by_id(p)  # same values: no question
    (target,) = p.content_model
    held = {f.name: f for f in target.fields}
    assert held["field_tags"].references == "taxonomy_term:tags,topics"
    apart = plan(sites, [], Settings(decisions={d.id: DecisionRecord(choice="keep_apart")}))
    assert sorted(u.name for u in apart.content_model) == ["news", "news_b"]


def test_paths_two_sites_use_are_a_decision_and_the_redirect_map_follows_it() -> None:
    from drupalscan.graph.decisions import redirect_targets

    sites = [site("a", "Comms", []), site("b", "HR Intranet", [])]
    paths = {"a": {"/", "/about", "/news/launch"}, "b": {"/", "/About/", "/contact"}}
    p = plan(sites, [], paths=paths)
    d = by_id(p)["url_aliases"]
    assert d.default == d.choice == "prefix" and d.site == "b"
    assert "1 path(s) are used by more than one site (/about)" in d.question
    assert by_id(p)["url_aliases"].chosen().effort_hours == model.Effort(low=0.02, high=0.05)
    rows = [
        {"site": "b", "old_url": "http://hr/About/", "template": "page", "target": "/About/"},
        {"site": "b", "old_url": "http://hr/contact", "template": "page", "target": "/contact"},
    ]
    names, order = {"a": "Comms", "b": "HR Intranet"}, {"a": 0, "b": 1}
    moved = redirect_targets(rows, p.decisions, paths, names, order)
    assert moved[0]["target"] == "/hr_intranet/About/"
    assert moved[0]["note"] == "moved: Comms keeps /About/"
    assert moved[1] == rows[1]
    review = plan(
        sites, [], Settings(decisions={"url_aliases": DecisionRecord(choice="review")}), paths=paths
    )
    left = redirect_targets(rows, review.decisions, paths, names, order)
    assert left[0]["target"] == "" and left[0]["note"].startswith("to choose")
    assert "url_aliases" not in by_id(plan(sites, [], paths={"a": {"/"}, "b": {"/"}}))


def test_a_role_that_grants_different_things_is_kept_apart_by_default() -> None:
    def with_roles(sid: str, name: str, granted: dict[str, list[str]]) -> model.Site:
        return model.replace(
            site(sid, name, []),
            settings={"roles": sorted(granted), "role_permissions": granted},
        )

    admin = ["administer nodes", "administer users", "bypass node access"]
    sites = [
        with_roles("a", "Comms", {"editor": ["create news content", "edit any news content"],
                                  "administrator": admin}),
        with_roles("b", "Estates", {"editor": ["administer nodes", "bypass node access"],
                                    "administrator": admin[:1]}),
    ]  # fmt: skip
    p = plan(sites, [])
    d = by_id(p)["role:editor"]
    assert d.default == "keep_apart" and d.site == "b"
    assert "Estates grants 2 (e.g. administer nodes, bypass node access)" in d.detail
    assert "role:administrator" not in by_id(p)  # built in: one meaning everywhere
    assert p.target.roles == ["administrator", "editor", "editor_estates"]
    merged = plan(sites, [], Settings(decisions={d.id: DecisionRecord(choice="merge")}))
    assert merged.target.roles == ["administrator", "editor"]
    same_job = {"editor": ["create news content", "edit any news content"]}
    alike = [sites[0], with_roles("b", "Estates", same_job)]
    assert "role:editor" not in by_id(plan(alike, []))
