"""A crawled site summed up from its stored pages alone: no network, no crawl state.

Everything page-level (kind, module and theme signals, templates, sections,
broken links, redirect chains, shared titles, the site's name) comes from
the pages in the store, read in URL order, so a crawl interrupted and
resumed concludes exactly what an uninterrupted one does, and a summary
can be recomputed at any time from the store.

Pages are streamed twice (totals, then the referrers of failures and the
URLs of shared titles) so memory does not grow with the pages' content:
held are counters, failed URLs, a hash per distinct title and capped lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from drupalscan.collect import fingerprint as fp
from drupalscan.collect.pageparse import is_html_type
from drupalscan.inventory import model
from drupalscan.inventory.store import Store

MAX_REDIRECT_CHAINS = 200
"""Redirect chains listed on a Site; more are counted in a warning."""
MAX_DUPLICATE_TITLES = 200
"""Shared titles listed on a Site (most repeated first); more are counted."""
MAX_DUPLICATE_URLS = 50
"""URLs listed per shared title."""
MAX_REFERRERS = 20
"""Pages listed per broken link."""

_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " » ")


@dataclass(slots=True)
class PageSummary:
    """What a site's stored pages say, before any question is asked of the site."""

    pages: int = 0
    errors: int = 0
    signals: dict[tuple[str, str, str, str], fp.Signal] = field(default_factory=dict)
    templates: dict[str, int] = field(default_factory=dict)
    sections: dict[str, int] = field(default_factory=dict)
    broken_links: list[model.BrokenLink] = field(default_factory=list)
    redirect_chains: list[list[str]] = field(default_factory=list)
    duplicate_titles: dict[str, list[str]] = field(default_factory=dict)
    site_name: str = ""
    title_suffix: str = ""
    """The most common site-name part of page titles (``Page | Site``)."""
    base_path: str = ""
    assets: dict[str, str] = field(default_factory=dict)
    """Same-site asset URL -> the first page (in URL order) that used it."""
    software_headers: dict[str, str] = field(default_factory=dict)
    """The first value of each identifying response header (X-Generator, ...) seen."""
    generators: list[str] = field(default_factory=list)
    """Distinct meta generators of the pages, in URL order (a few)."""
    node_redirects: list[tuple[str, str]] = field(default_factory=list)
    """(``/node/N`` URL, alias) pairs where a node path answered 301 to its alias."""
    warnings: list[str] = field(default_factory=list)

    def add_signals(self, signals: Iterable[fp.Signal]) -> None:
        """Keep each distinct observation once (first seen wins)."""
        for sig in signals:
            key = (sig.topic, sig.name, sig.evidence.kind, sig.evidence.detail)
            self.signals.setdefault(key, sig)

    def kind(self) -> tuple[str, list[model.Evidence]]:
        """The site kind the page signals decide, with its evidence."""
        return fp.decide_kind(self.signals.values())


def summarise_pages(store: Store, site_id: str, host: str) -> PageSummary:
    """Sum up every stored page of a crawled site, in URL order."""
    out = PageSummary()
    templates: Counter[str] = Counter()
    sections: Counter[str] = Counter()
    bad: dict[str, int] = {}  # stored URLs that failed or answered >= 400
    bad_finals: dict[str, int] = {}  # targets of redirects that ended >= 400
    titles: Counter[str] = Counter()
    title_hashes: Counter[int] = Counter()
    chains: dict[tuple[str, ...], None] = {}
    chain_hashes: set[int] = set()
    any_links = False
    for page in store.pages(site_id):
        out.pages += 1
        failed = page.status == 0 or bool(page.error and page.error != "too large")
        if page.status >= 400 or failed:
            bad[page.url] = page.status
        if page.final_url and page.final_url != page.url and page.status >= 400:
            bad_finals.setdefault(page.final_url, page.status)
        if page.error:
            out.errors += 1
        any_links = any_links or bool(page.links)
        if page.redirects:
            chain = (*page.redirects, page.final_url or page.url)
            chain_hashes.add(hash(chain))
            if len(chains) < MAX_REDIRECT_CHAINS:
                chains.setdefault(chain, None)
            _note_node_redirect(out, page)
            final = page.final_url
            if final and final != page.url and store.has_page(site_id, final):
                # Its target is stored as a page of its own.  Whether this page
                # holds a copy of the target's content or just the redirect
                # depends on which of the two the crawl met first; counting it
                # would make the summary depend on crawl order.
                continue
        out.add_signals(fp.signals_from_facts(page, page.url))
        for name, value in page.headers.items():
            out.software_headers.setdefault(name, value)
        if page.generator and page.generator not in out.generators and len(out.generators) < 10:
            out.generators.append(page.generator)
        out.site_name = out.site_name or page.site_name
        if not out.base_path:
            out.base_path = page.drupal_settings.get("basePath", "")
        if 200 <= page.status < 300 and page.content_type and is_html_type(page.content_type):
            if page.template:
                templates[page.template] += 1
            segment = urlsplit(page.url).path.strip("/").split("/")[0]
            sections[segment or "/"] += 1
            for asset in page.assets:
                out.assets.setdefault(asset, page.url)
            suffix = title_suffix(page.title)
            if suffix:
                titles[suffix] += 1
            if page.status == 200 and not page.error and page.title.strip():
                title_hashes[hash(page.title.strip())] += 1
    for final, code in bad_finals.items():
        # A stored page's own status wins over the redirect's that reached it.
        if final not in bad and not store.has_page(site_id, final):
            bad[final] = code
    shared = sorted(((h, n) for h, n in title_hashes.items() if n > 1), key=lambda i: -i[1])
    wanted = {h for h, _ in shared[:MAX_DUPLICATE_TITLES]}
    referrers, by_title = _second_pass(store, site_id, bad if any_links else {}, wanted)
    out.broken_links = [
        model.BrokenLink(url=u, status=bad[u], referrers=refs)
        for u, refs in sorted(referrers.items())
    ]
    duplicates = {t: sorted(u) for t, u in by_title.items() if len(u) > 1}
    out.duplicate_titles = dict(sorted(duplicates.items(), key=lambda i: (-len(i[1]), i[0])))
    out.redirect_chains = stitch_chains(list(chains))
    if len(shared) > MAX_DUPLICATE_TITLES:
        out.warnings.append(
            f"{len(shared)} page titles are shared by several pages; "
            f"the {MAX_DUPLICATE_TITLES} most repeated are listed"
        )
    if len(chain_hashes) > len(out.redirect_chains):
        out.warnings.append(
            f"{len(chain_hashes)} redirect chains met; the first "
            f"{len(out.redirect_chains)} (in URL order) are listed"
        )
    out.templates = dict(sorted(templates.items()))
    out.sections = dict(sorted(sections.items()))
    out.title_suffix = titles.most_common(1)[0][0] if titles else ""
    asset_kind, _ = out.kind()
    by_page: dict[str, list[str]] = {}
    for asset, page_url in out.assets.items():
        by_page.setdefault(page_url, []).append(asset)
    for page_url, page_assets in by_page.items():
        out.add_signals(fp.signals_from_assets(page_assets, host, page_url, asset_kind))
    return out


def _second_pass(
    store: Store, site_id: str, bad: Mapping[str, int], wanted: set[int]
) -> tuple[dict[str, list[str]], dict[str, dict[str, None]]]:
    """Referrers of failed URLs and URLs of shared titles, in URL order (capped)."""
    referrers: dict[str, list[str]] = {}
    by_title: dict[str, dict[str, None]] = {}
    if not bad and not wanted:
        return referrers, by_title
    # Pages stream in URL order, so the first 20 referrers are the sorted
    # first 20 the report shows; the same for shared titles.
    for page in store.pages(site_id):
        for link in dict.fromkeys(page.links) if bad else ():
            if link in bad:
                refs = referrers.setdefault(link, [])
                if len(refs) < MAX_REFERRERS:
                    refs.append(page.url)
        title = page.title.strip()
        if (
            wanted
            and page.status == 200
            and not page.error
            and title
            and hash(title) in wanted
            and is_html_type(page.content_type)
        ):
            urls = by_title.setdefault(title, {})
            if len(urls) < MAX_DUPLICATE_URLS:
                # A redirected page is its target: one page, not two.
                urls.setdefault(page.final_url or page.url, None)
    return referrers, by_title


def _note_node_redirect(out: PageSummary, page: model.Page) -> None:
    """Remember ``/node/N`` answering 301 with its alias: globalredirect or redirect at work."""
    first = urlsplit(page.url).path.rstrip("/")
    parts = first.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "node" and parts[1].isdigit():
        target = page.final_url or ""
        target_path = urlsplit(target).path
        if target and not target_path.startswith("/node/") and len(out.node_redirects) < 20:
            out.node_redirects.append((page.url, target))


def title_suffix(title: str) -> str:
    """The site-name part of a page title: ``Page | Site`` or ``Page - Site``.

    Drupal 7 writes ``Page | Site``; hand-made intranets and other CMSs use
    dashes and other separators.  The most common suffix across pages names
    the site.
    """
    for sep in _TITLE_SEPARATORS:
        if sep in title:
            return title.rsplit(sep, 1)[1].strip()
    return ""


def content_types_from_templates(templates: Mapping[str, int]) -> list[model.ContentType]:
    """Content types a crawled Drupal site shows through ``node:TYPE`` pages.

    Fields and node counts are not visible from outside (count stays None),
    but the machine names let the content model match them with other sites.
    """
    return [
        model.ContentType(name=sig[5:], label=sig[5:].replace("_", " ").capitalize())
        for sig in sorted(templates)
        if sig.startswith("node:") and sig[5:]
    ]


def stitch_chains(chains: list[tuple[str, ...]]) -> list[list[str]]:
    """Redirect chains joined where one ends at a URL another starts from.

    A redirect to a URL the crawl already knows is recorded, not followed
    (`Fetcher.fetch`), so ``/older -> /old`` and ``/old -> /new`` are stored
    on two pages; the report wants ``/older -> /old -> /new``.  Loops stop
    where a URL repeats.
    """
    by_first = {chain[0]: chain for chain in chains}
    out: dict[tuple[str, ...], None] = {}
    for chain in chains:
        joined = list(chain)
        seen = set(joined)
        nxt = by_first.get(joined[-1])
        while nxt is not None and nxt is not chain and len(joined) < 100:
            rest = nxt[1:]
            joined.extend(rest)
            if not rest or seen & set(rest):
                break
            seen.update(rest)
            nxt = by_first.get(joined[-1])
        out.setdefault(tuple(joined), None)
    return [list(chain) for chain in out]
