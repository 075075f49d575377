"""Page parsing: fields, template signatures and hostile input."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from drupalscan.collect import pageparse
from drupalscan.collect.encoding import close_title, decode
from drupalscan.collect.pageparse import (
    Parsed,
    parse_drupal_settings,
    parse_html,
    parse_html_reference,
)
from drupalscan.collect.templates import drupal_template, wordpress_template

from .httpfixtures import NORTHWIND, html

URL = "http://site.example/section/page"


def test_fields_of_a_simple_page() -> None:
    body = html(
        "Hello | Example",
        "<h1>Main</h1><h2>Sub  heading</h2><h4>ignored</h4>"
        '<p>one two three four</p><script>var x = "not words";</script>'
        '<a href="/b?z=1&a=2#f">b</a><a href="https://other.example/x">ext</a>'
        '<a href="mailto:a@b.c">m</a><img src="/i.png"><img src="data:image/png;base64,xx">',
        head='<meta name="description" content="About  it">'
        '<link rel="stylesheet" href="/s.css"><script src="/j.js"></script>'
        '<link rel="canonical" href="/canon">',
    ).encode()
    page = parse_html(body, URL, {"Content-Type": "text/html"})
    assert page.title == "Hello | Example"
    assert page.description == "About it"
    assert page.canonical == "http://site.example/canon"
    assert page.language == "en"
    assert page.headings == ["h1: Main", "h2: Sub heading"]
    assert page.links == ["http://site.example/b?a=2&z=1"]
    assert page.external_links == ["https://other.example/x"]
    assert page.assets == [
        "http://site.example/s.css",
        "http://site.example/j.js",
        "http://site.example/i.png",
    ]
    assert page.word_count == 11  # Main, Sub heading, ignored, one..four, b, ext, m
    assert page.template.startswith("html:")


def test_canonical_and_language_from_headers() -> None:
    headers = {
        "Link": '<http://site.example/canon>; rel="canonical",'
        '<http://site.example/node/1>; rel="shortlink"',
        "Content-Language": "de",
    }
    page = parse_html(b"<html><body>x</body></html>", URL, headers)
    assert page.canonical == "http://site.example/canon"
    assert page.language == "de"


def test_base_href_and_meta_refresh() -> None:
    body = (
        b'<html><head><base href="http://site.example/root/">'
        b'<meta http-equiv="refresh" content="0; url=next"></head>'
        b'<body><a href="rel">r</a></body></html>'
    )
    page = parse_html(body, URL)
    assert page.links == ["http://site.example/root/next", "http://site.example/root/rel"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("html not-front not-logged-in page-node node-type-job-posting", "node:job_posting"),
        ("html front not-logged-in page-node", "front"),
        ("html not-front not-logged-in page-taxonomy page-taxonomy-term", "taxonomy-term"),
        ("html not-front not-logged-in page-user page-user-login", "user"),
        ("html not-front logged-in page-careers", "page:careers"),
        ("html not-front logged-in page-hr page-hr-policies", "page:hr"),
    ],
)
def test_drupal_templates(body: str, expected: str) -> None:
    assert drupal_template(body.split(), set()) == expected


def test_drupal_views_and_panels_templates() -> None:
    body = "html not-front not-logged-in page-staff".split()
    classes = {"view", "view-staff-directory", "view-id-staff_directory", "view-display-id-page"}
    assert drupal_template(body, classes, ["staff_directory"]) == "views:staff_directory"
    assert drupal_template(body, {"panel-display", "panels-flexible-1"}) == "panels"
    assert drupal_template("home blog".split(), set()) == ""


def test_wordpress_templates() -> None:
    post = "post-template-default single single-post postid-12 single-format-standard"
    assert wordpress_template(post.split()) == "wp:single-post"
    assert wordpress_template("page-template-default page page-id-2".split()) == "wp:page"
    assert wordpress_template("html not-front".split()) == ""
    page = parse_html(f'<html><body class="{post}"></body></html>'.encode(), URL)
    assert page.template == "wp:single-post"


def test_structural_signature_groups_similar_static_pages() -> None:
    def layout(title: str, items: int, extra: str = "") -> bytes:
        lis = "".join(f"<li>{i}</li>" for i in range(items))
        return html(
            title,
            f'<div id="header"><ul>{lis}</ul></div><div id="main"><p>{title}</p></div>{extra}'
            '<div id="footer"></div>',
        ).encode()

    one = parse_html(layout("One", 3), URL).template
    two = parse_html(layout("Two words here", 7), URL).template
    other = parse_html(layout("Three", 3, "<table><tr><td>x</td></tr></table>"), URL).template
    assert one == two
    assert one != other
    assert one.startswith("html:")


def test_drupal_settings_are_parsed() -> None:
    script = (
        'jQuery.extend(Drupal.settings, {"basePath":"\\/","ajaxPageState":{"theme":"nw",'
        '"js":{"sites\\/all\\/modules\\/ctools\\/js\\/x.js":1}},"ckeditor":{"a":1}});'
    )
    settings = parse_drupal_settings(script)
    assert settings is not None
    assert settings["ajaxPageState"]["theme"] == "nw"
    assert parse_drupal_settings("jQuery.extend(Drupal.settings, {broken") is None
    page = parse_html(f"<html><head><script>{script}</script></head></html>".encode(), URL)
    assert "http://site.example/sites/all/modules/ctools/js/x.js" in page.assets


def test_style_imports_are_assets() -> None:
    body = b'<html><head><style>@import url("/modules/node/node.css?x");</style></head></html>'
    assert parse_html(body, URL).assets == ["http://site.example/modules/node/node.css?x"]


def test_real_drupal7_page() -> None:
    path = NORTHWIND / "policies" / "remote-hybrid-work.html"
    page = parse_html(path.read_bytes(), "http://127.0.0.1:8708/policies/remote-hybrid-work")
    assert page.template == "node:policy"
    assert page.title == "Remote and Hybrid Work Policy | Northwind HR Intranet"
    assert page.site_name == "Northwind HR Intranet"
    assert page.generator.startswith("Drupal 7")
    assert page.drupal_settings and page.drupal_settings["ajaxPageState"]["theme"] == "northwind"
    assert "http://127.0.0.1:8708/sites/all/modules/ctools/css/ctools.css" in page.assets
    assert "block-menu-block" in page.classes
    assert "user_login_block" in page.form_ids
    assert page.word_count > 100
    assert "node-type-policy" in page.body_classes


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\x01\x02binary\xff\xfe" * 1000,
        b"%PDF-1.4\n" + os.urandom(5000),
        b"<html><body><div><p>unclosed <a href='/x'>link",
        b"<" * 10000,
        b"<div>" * 5000 + b"deep" + b"</div>" * 10,
        b'<a href="' + b"a" * 100000 + b'">long</a>',
        b"<html><head><meta charset='no-such-charset'></head><body>\xe9t\xe9</body></html>",
        b"<html><body class=''><script>jQuery.extend(Drupal.settings, {\"a\":</script>",
        b"<html><body>\x00\x00 NUL bytes <a href='/ok'>ok</a>",
        "<html><body>ünïcødé ✓ <a href='/ü'>x</a></body></html>".encode("utf-16"),
    ],
)
@pytest.mark.parametrize("parse", [parse_html, parse_html_reference])
def test_hostile_input_never_raises(body: bytes, parse: Callable[..., Parsed]) -> None:
    page = parse(body, URL, {"Content-Type": "text/html"})
    assert isinstance(page.links, list)
    assert isinstance(page.word_count, int)


def test_binary_served_as_html_is_reported() -> None:
    page = parse_html(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(2000), URL)
    assert page.error == "binary content served as HTML"
    assert page.links == []


# -- fast path (lxml) against the reference path (BeautifulSoup) --------------------

FIXTURE_SITES = NORTHWIND.parent
FIXTURE_PAGES = sorted(FIXTURE_SITES.rglob("*.htm*"))
fast_path = pytest.mark.skipif(pageparse.etree is None, reason="lxml is not installed")


def differences(fast: Parsed, reference: Parsed) -> dict[str, tuple[object, object]]:
    """Every field on which the two parses disagree (fast value, reference value)."""
    return {
        f.name: (getattr(fast, f.name), getattr(reference, f.name))
        for f in dataclasses.fields(Parsed)
        if getattr(fast, f.name) != getattr(reference, f.name)
    }


def assert_same(body: bytes, url: str = URL) -> Parsed:
    fast = parse_html(body, url, {"Content-Type": "text/html; charset=utf-8"})
    reference = parse_html_reference(body, url, {"Content-Type": "text/html; charset=utf-8"})
    assert differences(fast, reference) == {}
    return fast


def test_fixture_pages_are_there() -> None:
    assert len([p for p in FIXTURE_PAGES if NORTHWIND in p.parents]) > 100


@fast_path
@pytest.mark.parametrize(
    "path", FIXTURE_PAGES, ids=[str(p.relative_to(FIXTURE_SITES)) for p in FIXTURE_PAGES]
)
def test_fast_path_equals_reference_on_real_pages(path: Path) -> None:
    """Every field of every fixture page (Drupal 7 Northwind and the others)."""
    url = "http://127.0.0.1:8708/" + path.relative_to(FIXTURE_SITES).with_suffix("").as_posix()
    page = assert_same(path.read_bytes(), url)
    assert page.title and page.template


@fast_path
def test_fast_path_is_the_one_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_soup(*args: object) -> None:
        raise AssertionError("fell back to BeautifulSoup")

    monkeypatch.setattr(pageparse, "_walk", no_soup)
    page = parse_html((NORTHWIND / "policies" / "remote-hybrid-work.html").read_bytes(), URL)
    assert page.template == "node:policy"


def drupal_page() -> bytes:
    return (NORTHWIND / "policies" / "remote-hybrid-work.html").read_bytes()


@fast_path
@pytest.mark.parametrize(
    "body",
    [
        # PHP notices before the doctype: libxml2 drops the real <html>/<body> tags.
        b"<br />\n<b>Notice</b>: Undefined index: x in f() (line 1 of a.module).<br />\n"
        + drupal_page(),
        drupal_page().replace(b"</title>", b"</title><div>stray</div>", 1),
        drupal_page().replace(b"</body>", b"<body class='second'></body>", 1),
        # A mangled </title>: libxml2 would read the rest of the page as the title.
        drupal_page().replace(b"</title>", b"</tle>", 1),
        b"<html><body><textarea><a href='/in'>x</a></body></html>",
        # Nesting deeper than libxml2 accepts: it would stop reading there.
        b"<div>" * 300 + b"<a href='/deep'>deep</a>" + b"</div>" * 300 + b"<a href='/after'>a</a>",
        # Markup after </html> (devel output, injected scripts).
        drupal_page() + b"<pre>query log</pre><a href='/admin/after'>x</a><script src='/x.js'>",
        b"<p>no body tag, <a href='/x'>a link</a></p>",
        b"<html><head><title>only a head</title></head></html>",
        b"<html><body><h2>A<!--c-->B<script>x</script><ruby>R<rt>rt</rt></ruby></h2></body></html>",
        b'<html xml:lang="fr"><body><svg><title>icon</title></svg>text <noscript>n</noscript>',
        b"  \n ",
        b"",
    ],
)
def test_fast_path_equals_reference_on_awkward_pages(body: bytes) -> None:
    assert_same(body)


@fast_path
def test_awkward_drupal_page_keeps_its_template() -> None:
    page = assert_same(b"<b>Notice</b>: Undefined index<br />\n" + drupal_page())
    assert page.template == "node:policy"
    assert page.language == "en"
    links = assert_same(drupal_page().replace(b"</title>", b"</tle>", 1)).links
    assert len(links) > 10
    deep = b"<div>" * 300 + b"<a href='/deep'>d</a>" + b"</div>" * 300 + b"<a href='/after'>a</a>"
    assert assert_same(deep).links == ["http://site.example/deep", "http://site.example/after"]


@fast_path
def test_stale_meta_charset_does_not_re_decode() -> None:
    body = "<html><head><meta charset='iso-8859-1'><title>été</title></head></html>".encode()
    page = parse_html(body, URL, {"Content-Type": "text/html; charset=utf-8"})
    assert page.title == "été"


def test_without_lxml_the_reference_path_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = parse_html_reference(drupal_page(), URL)
    monkeypatch.setattr(pageparse, "etree", None)
    assert parse_html(drupal_page(), URL) == expected


# -- encodings and an unclosed title ---------------------------------------------


@pytest.mark.parametrize("parse", [parse_html, parse_html_reference])
def test_cp1252_declared_utf8_reads_as_cp1252(parse: Callable[..., Parsed]) -> None:
    title = "Café – “naïve” policy"
    body = f"<html><head><title>{title}</title></head><body><p>ok</p></body></html>"
    page = parse(body.encode("cp1252"), URL, {"Content-Type": "text/html; charset=utf-8"})
    assert page.title == title


def test_mixed_utf8_and_cp1252_keeps_both() -> None:
    body = "<title>Café – ".encode() + "naïve</title>".encode("cp1252")
    assert decode(body, "text/html; charset=utf-8") == "<title>Café – naïve</title>"


def test_latin1_label_reads_as_windows_1252() -> None:
    assert decode(b"\x93quoted\x94 caf\xe9", "text/html; charset=ISO-8859-1") == "“quoted” café"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("parse", [parse_html, parse_html_reference])
def test_utf16_without_bom_declared_in_the_header(codec: str, parse: Callable[..., Parsed]) -> None:
    body = (
        "<html><head><title>Café ✓</title></head><body><a href='/ü'>x</a> two words</body></html>"
    )
    page = parse(body.encode(codec), URL, {"Content-Type": "text/html; charset=UTF-16"})
    assert page.error == ""
    assert page.title == "Café ✓"
    assert page.links == ["http://site.example/%C3%BC"]
    assert page.word_count == 3


def test_utf16_with_bom_needs_no_header() -> None:
    body = "<html><head><title>Bom</title></head><body><a href='/b'>b</a></body></html>"
    page = parse_html(body.encode("utf-16"), URL, {"Content-Type": "text/html"})
    assert (page.title, page.links) == ("Bom", ["http://site.example/b"])


def test_meta_saying_utf16_in_ascii_markup_is_utf8() -> None:
    body = "<html><head><meta charset='utf-16'><title>été</title></head></html>".encode()
    assert parse_html(body, URL).title == "été"


UNCLOSED_TITLE = (
    b'<html><head><title>Staff handbook<meta name="description" content="d">'
    b'<body class="html not-front not-logged-in page-node node-type-policy">'
    b'<h1>Handbook</h1><p>one two three</p><a href="/a">a</a><a href="/b">b</a>'
    b"</body></html>"
)


def test_unclosed_title_does_not_swallow_the_page() -> None:
    page = parse_html(UNCLOSED_TITLE, URL)
    assert page.title == "Staff handbook"
    assert page.links == ["http://site.example/a", "http://site.example/b"]
    assert page.headings == ["h1: Handbook"]
    assert page.description == "d"
    assert page.template == "node:policy"
    assert page.word_count == 6
    reference = parse_html_reference(UNCLOSED_TITLE, URL)
    assert reference.title == "Staff handbook"
    assert reference.links == page.links and reference.template == page.template


def test_unclosed_title_at_the_end_of_the_page() -> None:
    assert parse_html(b"<html><head><title>Only a title", URL).title == "Only a title"
    assert close_title("<title>x</title><a>") == "<title>x</title><a>"
    assert close_title("<title>a <b>") == "<title>a </title><b>"
