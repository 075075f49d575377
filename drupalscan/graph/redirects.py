"""The redirect map: a crawled site's old URLs and the target path each will have."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
