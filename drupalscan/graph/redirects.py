"""The redirect map: a crawled site's old URLs and the target path each will have."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from drupalscan.inventory import model


def redirect_map(
    site: model.Site, pages: Iterable[model.Page], content_model: Sequence[model.UnifiedType]
) -> list[dict[str, str]]:
    """Old URLs of a crawled site mapped to their target path pattern."""
    type_map = {src.type: u.name for u in content_model for src in u.sources if src.site == site.id}
    out = []
    for page in pages:
        if page.status != 200 or not page.content_type.startswith("text/html"):
            continue
        template = page.template
        if template.startswith("node:"):
            ctype = type_map.get(template[5:], template[5:])
            target = f"/{ctype.replace('_', '-')}/[node:title]"
        elif template.startswith("taxonomy-term"):
            target = "/[term:vocabulary]/[term:name]"
        elif template == "front":
            target = "/"
        else:
            path = urlsplit(page.url).path
            target = path if site.kind.startswith("drupal") else "/legacy" + path
        out.append({"site": site.id, "old_url": page.url, "template": template, "target": target})
    return out


def path_collisions(
    paths: Mapping[str, Iterable[str]], order: Mapping[str, int]
) -> dict[str, list[str]]:
    """Paths more than one site uses, each with its sites in source order.

    Paths compare as Drupal 7 looks aliases up: without the trailing slash
    and regardless of case.  The front page is one on every site and the
    target has one, so it is no collision.
    """
    owners: dict[str, list[str]] = defaultdict(list)
    for sid in sorted(paths, key=lambda s: order.get(s, 0)):
        for path in {p.rstrip("/").casefold() or "/" for p in paths[sid]}:
            owners[path].append(sid)
    return {p: owned for p, owned in sorted(owners.items()) if len(owned) > 1 and p != "/"}


def site_paths(
    sites: Sequence[model.Site], pages_of: Callable[[str], Iterable[model.Page]]
) -> dict[str, set[str]]:
    """Where each site's pages live: its database's URL aliases, or the paths crawled.

    ``pages_of`` streams a site's stored pages (``Store.pages``); only the
    paths of HTML answers that were neither redirects nor errors are kept.
    """
    out: dict[str, set[str]] = {}
    for site in sites:
        aliases = site.settings.get("url_aliases")
        found = {str(a) for a in aliases} if isinstance(aliases, list) else set()
        if site.origin == "url":
            found |= {
                urlsplit(p.url).path or "/"
                for p in pages_of(site.id)
                if p.status == 200 and p.content_type.startswith("text/html")
            }
        out[site.id] = found
    return out
