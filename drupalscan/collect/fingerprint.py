"""What a site is built with, as far as its public face tells.

Every conclusion carries `Evidence` because a consultant must be able to say
*why* the report calls a site Drupal 7.79 with Panels.  Everything here is
a pure function of what the crawl already fetched (signals from headers,
pages, settings, CSS classes and asset paths; the kind decision; module and
theme summaries), unit-tested without a network; the extra questions a crawl
asks afterwards are `drupalscan.collect.remote`'s, the core version
`coreversion`'s.

At some 670 lines it is long on purpose: every signal source weighs its
evidence on one scale that `decide_kind` reads, and split by source the
weights would drift apart.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from drupalscan.collect.pageparse import Parsed
from drupalscan.collect.templates import is_drupal_body
from drupalscan.inventory.model import Evidence, Module, Page, Theme

Fetch = Callable[[str], tuple[int, bytes]]
"""GET a URL; (status, body).  Status 0 means the request failed."""

D7_CORE_MODULES = frozenset(
    "aggregator block blog book color comment contact contextual dashboard dblog field "
    "field_sql_storage field_ui file filter forum help image list locale menu node number "
    "openid options overlay path php poll rdf search shortcut simpletest statistics syslog "
    "system taxonomy text toolbar tracker translation trigger update user "
    # Drupal 6 only
    "blogapi ping profile throttle upload".split()
)
CORE_THEMES = frozenset(
    "bartik garland seven stark bluemarine chameleon marvin minnelli pushbutton "
    "claro olivero classy stable stable9 starterkit_theme".split()
)
GROUPING_DIRS = frozenset({"contrib", "custom", "features", "patched", "community", "dev"})
"""Directories agencies put between ``modules/`` and the module itself."""

MAX_EVIDENCE = 5
"""Evidence items kept per module; more only repeats the point."""

_GENERATORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Drupal ([89]|1\d)\b", re.I), "drupal8+"),
    (re.compile(r"^Drupal 7\b", re.I), "drupal7"),
    (re.compile(r"^Drupal 6\b", re.I), "drupal6"),
    (re.compile(r"^Drupal\b", re.I), "drupal"),
    (re.compile(r"WordPress", re.I), "wordpress"),
    (re.compile(r"Joomla", re.I), "joomla"),
    (re.compile(r"SharePoint", re.I), "sharepoint"),
    (re.compile(r"FrontPage|Dreamweaver|Hugo|Jekyll|Gatsby|Hexo|Eleventy|MkDocs", re.I), "static"),
)
_SESSION_COOKIE = re.compile(r"^S?SESS[0-9a-f]{32}$")

# Drupal.settings keys that name their module without being its machine name.
_SETTINGS_KEYS: Mapping[str, str] = {
    "CToolsModal": "ctools",
    "CToolsUrlIsAjaxTrusted": "ctools",
    "googleanalytics": "google_analytics",
    "better_exposed_filters": "better_exposed_filters",
    "viewsSlideshow": "views_slideshow",
    "jcarousel": "jcarousel",
    "admin_menu": "admin_menu",
    "lightbox2": "lightbox2",
    "colorbox": "colorbox",
    "extlink": "extlink",
    "views": "views",
    "field_group": "field_group",
    "panels": "panels",
    "ckeditor": "ckeditor",
    "wysiwyg": "wysiwyg",
    "date_popup": "date",
    "datePopup": "date",
    "captcha": "captcha",
    "honeypot": "honeypot",
    "webform": "webform",
    "chosen": "chosen",
    "superfish": "superfish",
    "nice_menus": "nice_menus",
}
# Settings keys that core or jQuery plugins add; they are not modules.
_SETTINGS_IGNORE = frozenset(
    "basePath pathPrefix ajaxPageState urlIsAjaxTrusted tableHeaderOffset tableDrag ajax states "
    "password machineName overlay toolbar instances jquery_ui setHasJsCookie".split()
)
_CLASS_MODULES: tuple[tuple[str, str], ...] = (
    ("view-id-", "views"),
    ("view-display-id-", "views"),
    ("views-row", "views"),
    ("panel-pane", "panels"),
    ("panels-flexible", "panels"),
    ("panel-display", "panels"),
    ("pane-", "panels"),
    ("field-collection-", "field_collection"),
    ("ctools-", "ctools"),
    ("menu-block-wrapper", "menu_block"),
    ("date-display-", "date"),
    ("field-type-datestamp", "date"),
    ("field-type-datetime", "date"),
    ("field-type-email", "email"),
    ("field-type-entityreference", "entityreference"),
    ("field-type-link-field", "link"),
    ("field-type-addressfield", "addressfield"),
    ("webform-client-form", "webform"),
    ("field-group-", "field_group"),
)
_BLOCK_NOISE = frozenset(
    "block-title block-content block-inner block-wrapper block-list block-region "
    "block-menu block-odd block-even block-first block-last".split()
)
_FORM_MODULES: tuple[tuple[str, str], ...] = (
    ("user_", "user"),
    ("search_", "search"),
    ("contact_", "contact"),
    ("comment_", "comment"),
    ("node_", "node"),
    ("views_exposed_form", "views"),
    ("webform_client_form", "webform"),
    ("simplenews_", "simplenews"),
    ("commerce_", "commerce"),
)


@dataclass(frozen=True, slots=True)
class Signal:
    """One observation pointing at a kind of site, a module or a theme."""

    topic: str
    """``kind``, ``module`` or ``theme``."""
    name: str
    weight: int
    evidence: Evidence
    type: str = "unknown"


FACT_HEADERS = (
    "X-Generator",
    "X-Drupal-Cache",
    "X-Drupal-Dynamic-Cache",
    "X-Powered-By",
    "Server",
    "Link",
    "X-Pingback",
    "X-Content-Encoded-By",
    "MicrosoftSharePointTeamServices",
    "SPRequestGuid",
)
"""Response headers that say what software answered; none carries a secret."""

MAX_FACT_ITEMS = 200
"""Most settings keys, classes, form ids or cookie names kept per page."""


def header_facts(headers: Mapping[str, str]) -> dict[str, str]:
    """The FACT_HEADERS present in a (case-insensitive) header mapping, capped."""
    return {name: headers[name][:300] for name in FACT_HEADERS if name in headers}


def page_facts(parsed: Parsed) -> dict[str, Any]:
    """The `model.Page` fact fields of a parsed page (headers and cookies added by the caller).

    Signals are conclusions; these are the observations behind them, kept
    on each stored page so that the site summary can be derived again from
    the stored pages alone: a crawl interrupted and resumed, or summed up
    again after the rules improve, sees every page's evidence.  Nothing is
    secret: of ``Drupal.settings`` only the keys are kept (plus
    ``basePath`` and the theme).  Everything is sorted and capped so that
    facts read back from the store give exactly the signals the live page gave.
    """
    settings: dict[str, str] = {}
    markers = set(parsed.markers)
    if parsed.drupal_settings is not None:
        markers.add("drupal-settings")
        raw = parsed.drupal_settings
        for key in sorted(raw)[:MAX_FACT_ITEMS]:
            if isinstance(key, str) and len(key) <= 80 and "." not in key:
                settings[key] = ""
        if isinstance(raw.get("basePath"), str):
            settings["basePath"] = raw["basePath"][:200]
        state = raw.get("ajaxPageState")
        if isinstance(state, dict) and isinstance(state.get("theme"), str):
            settings["ajaxPageState.theme"] = state["theme"][:80]
    if parsed.drupal_settings_json:
        markers.add("drupal-settings-json")
    return {
        "generator": parsed.generator,
        "site_name": parsed.site_name,
        "drupal_settings": settings,
        "classes": module_classes(parsed.classes),
        "form_ids": sorted(set(parsed.form_ids))[:MAX_FACT_ITEMS],
        "markers": sorted(markers),
        "body_classes": list(parsed.body_classes),
    }


# -- kind signals -------------------------------------------------------------


def generator_kind(text: str) -> str | None:
    """The kind a generator string (X-Generator or meta) names, if any."""
    for pattern, kind in _GENERATORS:
        if pattern.search(text):
            return kind
    return None


def signals_from_headers(
    headers: Mapping[str, str], url: str, cookie_names: Iterable[str] = ()
) -> list[Signal]:
    """Kind signals from response headers and the names of cookies set.

    Cookie values are never looked at: they are secrets.
    """
    out: list[Signal] = []
    gen = headers.get("X-Generator", "")
    kind = generator_kind(gen) if gen else None
    if kind:
        out.append(
            Signal(
                "kind",
                kind,
                10,
                Evidence(kind="header", detail=f"X-Generator: {gen}"[:200], location=url),
            )
        )
    if "X-Drupal-Dynamic-Cache" in headers:
        out.append(
            Signal(
                "kind",
                "drupal8+",
                8,
                Evidence(kind="header", detail="X-Drupal-Dynamic-Cache header", location=url),
            )
        )
    if "X-Drupal-Cache" in headers:
        out.append(
            Signal(
                "kind",
                "drupal",
                5,
                Evidence(kind="header", detail="X-Drupal-Cache header", location=url),
            )
        )
    if "MicrosoftSharePointTeamServices" in headers or "SPRequestGuid" in headers:
        out.append(
            Signal(
                "kind",
                "sharepoint",
                10,
                Evidence(
                    kind="header",
                    detail="MicrosoftSharePointTeamServices / SPRequestGuid header",
                    location=url,
                ),
            )
        )
    if "Joomla" in headers.get("X-Content-Encoded-By", ""):
        out.append(
            Signal(
                "kind",
                "joomla",
                8,
                Evidence(kind="header", detail="X-Content-Encoded-By: Joomla", location=url),
            )
        )
    if "X-Pingback" in headers or "wp-json" in headers.get("Link", ""):
        out.append(
            Signal(
                "kind",
                "wordpress",
                6,
                Evidence(kind="header", detail="X-Pingback / wp-json Link header", location=url),
            )
        )
    powered = headers.get("X-Powered-By", "")
    if powered:
        out.append(
            Signal(
                "kind",
                "other",
                1,
                Evidence(kind="header", detail=f"X-Powered-By: {powered}"[:200], location=url),
            )
        )
    for name in cookie_names:
        if _SESSION_COOKIE.match(name):
            out.append(
                Signal(
                    "kind",
                    "drupal",
                    4,
                    Evidence(
                        kind="cookie",
                        detail=f"session cookie named {name[:6]}… (Drupal's SESS + hash)",
                        location=url,
                    ),
                )
            )
            break
    return out


def signals_from_page(parsed: Parsed, url: str) -> list[Signal]:
    """Kind, module and theme signals from one parsed HTML page."""
    return signals_from_facts(Page(url=url, **page_facts(parsed)), url)


_MARKER_SIGNALS = (
    ("drupal-settings-json", "drupal8+", 8, "script", "drupal-settings-json script"),
    ("wp-content", "wordpress", 8, "asset-path", "wp-content / wp-includes paths"),
    ("joomla", "joomla", 6, "script", "Joomla script options"),
)
"""Page markers that name a kind of site: (marker, kind, weight, evidence kind, detail)."""

_MODULE_MARKERS = (
    (
        "generator-lowercase",
        "metatag",
        'meta name="generator" in lower case (Drupal 7 core writes "Generator"; '
        "metatag writes its own)",
    ),
    ("captcha-response", "captcha", "a CAPTCHA answer field (captcha_response) in a form"),
)
"""Markers that name a Drupal module, believed on Drupal pages only: (marker, module, detail)."""


def signals_from_facts(facts: Page, url: str) -> list[Signal]:
    """Kind, module and theme signals from a page's stored facts.

    Headers and cookies are read here too when the facts hold them, so a
    stored page gives the same signals as the live response did.
    """
    out: list[Signal] = []
    if facts.headers or facts.cookie_names:
        out.extend(signals_from_headers(facts.headers, url, facts.cookie_names))
    if facts.generator:
        kind = generator_kind(facts.generator)
        if kind:
            out.append(
                Signal(
                    "kind",
                    kind,
                    10,
                    Evidence(
                        kind="meta", detail=f'meta generator "{facts.generator}"', location=url
                    ),
                )
            )
    markers = set(facts.markers)
    if "drupal-settings" in markers:
        settings = facts.drupal_settings
        weight, what = (
            (8, "with ajaxPageState (Drupal 7)") if "ajaxPageState" in settings else (5, "")
        )
        out.append(
            Signal(
                "kind",
                "drupal7" if weight == 8 else "drupal",
                weight,
                Evidence(
                    kind="script",
                    detail=f"jQuery.extend(Drupal.settings, …) {what}".strip(),
                    location=url,
                ),
            )
        )
        out.extend(_settings_signals(settings, url))
    elif "Drupal.settings" in markers:
        out.append(
            Signal(
                "kind",
                "drupal",
                5,
                Evidence(kind="script", detail="Drupal.settings in an inline script", location=url),
            )
        )
    if "drupal-settings" in markers or (generator_kind(facts.generator) or "").startswith("drupal"):
        for marker, module, detail in _MODULE_MARKERS:
            if marker in markers:
                out.append(_module(module, 3, Evidence(kind="markup", detail=detail, location=url)))
    for marker, kind, weight, ev_kind, detail in _MARKER_SIGNALS:
        if marker in markers:
            out.append(
                Signal("kind", kind, weight, Evidence(kind=ev_kind, detail=detail, location=url))
            )
    out.extend(signals_from_classes(facts.body_classes, facts.classes, url))
    for form_id in dict.fromkeys(facts.form_ids):
        for prefix, module in _FORM_MODULES:
            if form_id.startswith(prefix):
                out.append(
                    _module(
                        module,
                        2,
                        Evidence(kind="form-id", detail=f"form_id {form_id}", location=url),
                    )
                )
                break
    return out


def _module(name: str, weight: int, evidence: Evidence, type_: str = "") -> Signal:
    kind = type_ or ("core" if name in D7_CORE_MODULES else "unknown")
    return Signal("module", name, weight, evidence, kind)


def _settings_signals(settings: Mapping[str, str], url: str) -> list[Signal]:
    """Theme and module signals from `Page.drupal_settings`."""
    out: list[Signal] = []
    theme = settings.get("ajaxPageState.theme")
    if theme:
        out.append(
            Signal(
                "theme",
                theme,
                5,
                Evidence(
                    kind="script",
                    detail=f"Drupal.settings ajaxPageState.theme = {theme}",
                    location=url,
                ),
                "core" if theme in CORE_THEMES else "unknown",
            )
        )
    for key in settings:
        if key in _SETTINGS_IGNORE or "." in key:
            continue
        name = _SETTINGS_KEYS.get(key)
        if name is None and re.fullmatch(r"[a-z][a-z0-9_]{2,40}", key):
            name = key
        if name:
            out.append(
                _module(
                    name,
                    3,
                    Evidence(kind="script", detail=f"Drupal.settings key {key}", location=url),
                )
            )
    return out


def signals_from_classes(
    body_classes: Sequence[str], classes: Iterable[str], url: str
) -> list[Signal]:
    """Module signals from CSS classes (``block-MODULE``, ``view-id-…``) and body shape."""
    out: list[Signal] = []
    if body_classes and "html" in body_classes and is_drupal_body(list(body_classes)):
        out.append(
            Signal(
                "kind",
                "drupal7",
                3,
                Evidence(
                    kind="body-class",
                    detail="Drupal 7 body classes (html not-front …)",
                    location=url,
                ),
            )
        )
    elif body_classes and is_drupal_body(list(body_classes)):
        out.append(
            Signal(
                "kind",
                "drupal",
                2,
                Evidence(kind="body-class", detail="Drupal body classes", location=url),
            )
        )
    for name, cls in _class_modules(classes).items():
        out.append(
            _module(name, 2, Evidence(kind="css-class", detail=f"class {cls}", location=url))
        )
    return out


def _class_module(cls: str) -> str:
    """The module a CSS class names (``block-contact`` -> contact), or ""."""
    if cls.startswith("block-"):
        if cls in _BLOCK_NOISE or len(cls) <= 6:
            return ""
        name = cls[6:].replace("-", "_")
        return name if re.fullmatch(r"[a-z][a-z0-9_]*", name) else ""
    for prefix, module in _CLASS_MODULES:
        if cls.startswith(prefix):
            return module
    return ""


def _class_modules(classes: Iterable[str]) -> dict[str, str]:
    """Module name -> the first class (in sorted order) naming it."""
    found: dict[str, str] = {}
    for cls in sorted(classes):
        name = _class_module(cls)
        if name and name not in found:
            found[name] = cls
    return found


def module_classes(classes: Iterable[str]) -> list[str]:
    """The classes worth storing: one per module named, sorted, capped.

    `signals_from_classes` over these gives what it gives over all of a
    page's classes, at a fraction of the size.
    """
    return sorted(_class_modules(classes).values())[:MAX_FACT_ITEMS]


# -- asset paths --------------------------------------------------------------

_SITES = re.compile(r"/(sites|profiles)/([^/]+)/(modules|themes)/(.+)$")
_CORE8 = re.compile(r"/core/(modules|themes)/([^/]+)/.")
_ROOT = re.compile(r"^(/(?:[^/]+/)*?)(modules|themes)/(.+)$")


def classify_asset(path: str, kind: str = "drupal7") -> tuple[str, str, str, str] | None:
    """(topic, name, type, directory) of the extension an asset path belongs to.

    ``sites/all/modules/ctools/css/ctools.css`` is module ctools (non-core,
    type unknown unless a ``contrib/`` or ``custom/`` folder says);
    ``modules/node/node.css`` is core in Drupal 6/7 but not in 8+, where
    core lives under ``core/``.
    """
    match = _CORE8.search(path)
    if match:
        return (
            "module" if match.group(1) == "modules" else "theme",
            match.group(2),
            "core",
            match.group(0)[1:-2],
        )
    match = _SITES.search(path)
    if match:
        topic = "module" if match.group(3) == "modules" else "theme"
        return _nested(topic, f"{match.group(1)}/{match.group(2)}/{match.group(3)}", match.group(4))
    match = _ROOT.match(path)
    if match and "/sites/" not in match.group(1) and "/files/" not in match.group(1):
        topic = "module" if match.group(2) == "modules" else "theme"
        if kind == "drupal8+":
            return _nested(topic, match.group(2), match.group(3))
        rest = match.group(3).split("/")
        if len(rest) >= 2 and re.fullmatch(r"[a-z][a-z0-9_]*", rest[0]):
            return (topic, rest[0], "core", f"{match.group(2)}/{rest[0]}")
    return None


def _nested(topic: str, prefix: str, rest_path: str) -> tuple[str, str, str, str] | None:
    rest = rest_path.split("/")
    type_ = "unknown"
    if rest and rest[0] in GROUPING_DIRS:
        type_ = {"contrib": "contrib", "custom": "custom"}.get(rest[0], "unknown")
        prefix = f"{prefix}/{rest[0]}"
        rest = rest[1:]
    if len(rest) < 2 or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", rest[0]):
        return None
    return (topic, rest[0], type_, f"{prefix}/{rest[0]}")


def signals_from_assets(
    assets: Iterable[str], site_host: str, url: str, kind: str = "drupal7"
) -> list[Signal]:
    """Kind, module and theme signals from same-host asset URLs of a page."""
    out: list[Signal] = []
    kinds_seen: set[str] = set()
    for asset in assets:
        parts = urlsplit(asset)
        if parts.netloc != site_host:
            continue
        path = parts.path
        for needle, kind_name, weight in (
            ("/core/misc/drupal.js", "drupal8+", 8),
            ("/misc/drupal.js", "drupal", 5),
            ("/misc/jquery.once.js", "drupal7", 4),
            ("/modules/system/system.base.css", "drupal7", 6),
            ("/modules/system/system.css", "drupal6", 6),
            ("/sites/all/", "drupal", 3),
            ("/sites/default/files/", "drupal", 3),
            ("/wp-content/", "wordpress", 8),
            ("/wp-includes/", "wordpress", 8),
            ("/media/jui/", "joomla", 6),
            ("/media/system/js/", "joomla", 4),
            ("/_layouts/", "sharepoint", 5),
        ):
            if needle in path and needle not in kinds_seen:
                if needle == "/misc/drupal.js" and "/core/misc/" in path:
                    continue
                kinds_seen.add(needle)
                evidence = Evidence(
                    kind="asset-path", detail=f"assets under {needle}", location=asset
                )
                out.append(Signal("kind", kind_name, weight, evidence))
        found = classify_asset(path, kind)
        if found:
            topic, name, type_, directory = found
            out.append(
                Signal(
                    topic, name, 4, Evidence(kind="asset-path", detail=path, location=url), type_
                )
            )
    return out


# -- summaries ----------------------------------------------------------------


def decide_kind(signals: Iterable[Signal]) -> tuple[str, list[Evidence]]:
    """The site kind with the most weight behind it, and that evidence.

    Version-neutral Drupal signals (a SESS cookie, ``/misc/drupal.js``) add
    to whichever Drupal version has specific evidence, or make the kind
    plain ``drupal`` when none has.  With no CMS evidence at all, a site is
    ``static`` unless something dynamic (X-Powered-By) answered: ``other``.
    """
    weights: dict[str, int] = defaultdict(int)
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    for sig in signals:
        if sig.topic != "kind":
            continue
        weights[sig.name] += sig.weight
        if all(e.detail != sig.evidence.detail for e in evidence[sig.name]):
            evidence[sig.name].append(sig.evidence)
    drupals = [k for k in ("drupal8+", "drupal7", "drupal6") if weights.get(k)]
    generic = weights.pop("drupal", 0)
    if generic:
        if drupals:
            best = max(drupals, key=lambda k: weights[k])
            weights[best] += generic
            evidence[best].extend(evidence.pop("drupal", []))
        else:
            weights["drupal"] = generic
    cms = {k: w for k, w in weights.items() if k not in ("other", "static")}
    if cms:
        kind = max(sorted(cms), key=lambda k: cms[k])
    elif weights.get("static", 0) >= 5:
        kind = "static"
    elif weights.get("other"):
        kind = "other"
    else:
        kind = "static"
    return kind, evidence.get(kind, [])[:20]


def summarise_extensions(signals: Iterable[Signal]) -> tuple[list[Module], list[Theme]]:
    """Merge module/theme signals into sorted `Module` and `Theme` records.

    The most specific type wins (core, custom or contrib over unknown);
    evidence is de-duplicated and capped at MAX_EVIDENCE per extension.
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for sig in signals:
        if sig.topic not in ("module", "theme"):
            continue
        entry = found.setdefault(
            (sig.topic, sig.name), {"type": "unknown", "evidence": [], "keys": set()}
        )
        if entry["type"] == "unknown" and sig.type != "unknown":
            entry["type"] = sig.type
        key = (sig.evidence.kind, sig.evidence.detail)
        if key not in entry["keys"] and len(entry["evidence"]) < MAX_EVIDENCE:
            entry["keys"].add(key)
            entry["evidence"].append(sig.evidence)
    modules = [
        Module(name=name, type=e["type"], evidence=e["evidence"])
        for (topic, name), e in sorted(found.items())
        if topic == "module"
    ]
    themes = [
        Theme(name=name, type=e["type"], evidence=e["evidence"])
        for (topic, name), e in sorted(found.items())
        if topic == "theme"
    ]
    return modules, themes
