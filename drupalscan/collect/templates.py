"""Template signatures: which pages of a crawled site share a layout.

The report groups a site's pages by template (``node:article``,
``views:news``, ``wp:single-post``, ``html:3f2a19c0``) so a consultant sees
how many distinct layouts the target theme must rebuild.  Drupal and
WordPress say it in their body classes; hand-made pages are grouped by the
skeleton of their outer markup.
"""

from __future__ import annotations

import hashlib

from bs4 import Tag

INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title", "svg"})
"""Elements that are not part of a page's visible layout (or text)."""


def is_drupal_body(body_classes: list[str]) -> bool:
    """Whether body classes have Drupal's shape (``html not-front not-logged-in``)."""
    body = set(body_classes)
    if any(c.startswith("node-type-") for c in body_classes):
        return True
    return bool({"front", "not-front"} & body) and bool({"logged-in", "not-logged-in"} & body)


def drupal_template(
    body_classes: list[str], classes: set[str], page_views: list[str] | None = None
) -> str:
    """Template signature from Drupal body classes, or "" when not Drupal.

    ``page_views`` are views rendered as the page's own display
    (``view-display-id-page*``), which say more than a sidebar block view.
    """
    if not is_drupal_body(body_classes):
        return ""
    body = set(body_classes)
    page_views = page_views or []
    for cls in body_classes:
        if cls.startswith("node-type-"):
            return "node:" + cls[len("node-type-") :].replace("-", "_")
    if "front" in body:
        return "front"
    if "page-taxonomy-term" in body:
        return "taxonomy-term"
    if "page-user" in body:
        return "user"
    if page_views:
        return "views:" + page_views[0]
    views = sorted(c[len("view-id-") :] for c in classes if c.startswith("view-id-") and len(c) > 8)
    if {"page-panels", "page-page-manager"} & body or any(
        c.startswith(("panels-flexible", "panel-display", "page-manager")) for c in classes
    ):
        return "panels"
    if views and not any(c.startswith("page-") and c != "page-node" for c in body_classes):
        return "views:" + views[0]
    for cls in body_classes:
        if cls.startswith("page-") and len(cls) > 5 and cls != "page-node":
            return "page:" + cls[5:]
    if "page-node" in body:
        return "page:node"
    return ""


def wordpress_template(body_classes: list[str]) -> str:
    """Template signature from WordPress body classes, or "" when not WordPress."""
    body = set(body_classes)
    wp = any(c.startswith(("postid-", "page-id-", "wp-", "page-template")) for c in body) or bool(
        {"home", "blog", "archive", "error404", "search-results"} & body
        and any(c.startswith(("logged-in", "admin-bar", "wp-", "category-", "tag-")) for c in body)
    )
    if not wp:
        return ""
    for cls in body_classes:
        if cls.startswith("single-") and not cls.startswith("single-format"):
            return "wp:" + cls
    if "page" in body or any(c.startswith("page-id-") for c in body):
        return "wp:page"
    for name in ("home", "blog", "archive", "search", "error404"):
        if name in body:
            return "wp:" + name
    return "wp:other"


def structural_template(root: Tag | None) -> str:
    """``html:`` + a short hash of the layout skeleton (tags and ids, 3 levels).

    Pages built from one static template share their outer structure even
    when their text differs, so they hash alike; repeated siblings collapse
    so a list of 5 or 50 items gives the same skeleton.
    """
    if root is None:
        return "html:empty"
    parts: list[str] = []
    stack: list[tuple[Tag, int]] = [(root, 0)]
    while stack and len(parts) < 400:
        tag, depth = stack.pop()
        ident = tag.get("id")
        label = f"{depth}{tag.name}#{ident}" if isinstance(ident, str) else f"{depth}{tag.name}"
        if not parts or parts[-1] != label:
            parts.append(label)
        if depth < 3:
            kids = [c for c in tag.children if isinstance(c, Tag) and c.name not in INVISIBLE]
            stack.extend((c, depth + 1) for c in reversed(kids))
    return skeleton_hash(parts)


def skeleton_hash(parts: list[str]) -> str:
    """``html:`` + a short hash of a layout skeleton (tags with ids, by depth)."""
    return "html:" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:8]
