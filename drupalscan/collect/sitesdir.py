"""Which ``sites/*`` directory a multisite request means, as Drupal 7's conf_path() decides.

``sites/sites.php`` is read as text (``$sites['alias'] = 'dir';`` lines outside
comments), never executed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from drupalscan.collect.docroot import ScanError, find_docroot, read_head
from drupalscan.inventory import model

__all__ = ["every_site", "read_sites_php", "resolve_site_dir", "served_sites", "site_dirs"]

_SITES_ALIAS = re.compile(r"""\$sites\[\s*['"]([^'"]+)['"]\s*\]\s*=\s*['"]([^'"]+)['"]""")


def read_sites_php(root: Path) -> dict[str, str]:
    """`sites/sites.php` aliases (host or path -> site directory), read as text.

    The file is never executed: ``$sites['alias'] = 'dir';`` lines are
    matched outside comments, which is how every real sites.php is written.
    """
    sites_php = root / "sites" / "sites.php"
    if not sites_php.is_file():
        return {}
    text = read_head(sites_php).decode("utf-8", errors="replace")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    text = re.sub(r"(?m)^\s*(#|//).*$", "", text)
    return dict(_SITES_ALIAS.findall(text))


def site_dirs(root: Path) -> list[str]:
    """``sites/*`` directories holding a settings.php, plus sites/default."""
    found = {"sites/default"}
    try:
        with os.scandir(root / "sites") as it:
            for entry in it:
                if entry.is_dir() and os.path.isfile(os.path.join(entry.path, "settings.php")):
                    found.add(f"sites/{entry.name}")
    except OSError:
        pass
    return sorted(found)


def served_sites(root: Path) -> list[str]:
    """The sites a docroot serves: every ``sites/*`` with a settings.php.

    Drupal serves no site from a directory without one, so a multisite whose
    sites/default holds only default.settings.php has no default site.  A
    copy with every settings.php removed (common: they hold credentials) is
    one site, sites/default, as far as anyone can tell.
    """
    served = [d for d in site_dirs(root) if (root / d / "settings.php").is_file()]
    return served or ["sites/default"]


def every_site(source: str) -> list[str]:
    """One source per site a local docroot serves (a URL or a named site stays one).

    A Drupal 7 multisite is several sites to migrate, each with its own
    database and modules, over one codebase: ``DOCROOT`` stands for
    sites/default, ``DOCROOT#sites/NAME`` for each other site `served_sites`
    finds.  A path that is not a docroot stays as given, for the scan to say
    what is wrong with it.
    """
    if "://" in source or model.MULTISITE_MARK in source or not Path(source).is_dir():
        return [source]
    try:
        served = served_sites(find_docroot(source).path)
    except ScanError:
        return [source]
    return [source if d == "sites/default" else f"{source}#{d}" for d in served]


def resolve_site_dir(root: Path, site_dir: str, aliases: dict[str, str] | None = None) -> str:
    """The ``sites/*`` directory a user's ``--site`` value means.

    Accepted: a directory (``sites/events.example.org`` or just its name), a
    host name or URL (``events.example.org``, ``https://example.org:8080/sub``)
    or a `sites/sites.php` alias.  Hosts go through Drupal 7's conf_path()
    search (most specific host and path first, aliases applied, a directory
    counts only with a settings.php).  Drupal would fall back to sites/default
    for an unknown host, but a consultant naming a site they cannot see most
    likely mistyped it, so that is an error listing what exists.
    """
    aliases = read_sites_php(root) if aliases is None else aliases
    raw = site_dir.strip()
    if raw.removeprefix("sites/").strip("/") == "default":
        return "sites/default"  # Drupal's fallback, even with no such folder
    if "://" in raw:
        parts = urlsplit(raw)
        host, path = parts.netloc.rpartition("@")[2], parts.path
    else:
        raw = raw.removeprefix("./").rstrip("/")
        if raw.startswith("sites/"):
            name = raw.removeprefix("sites/")
            if name and "/" not in name and name != "all" and (root / "sites" / name).is_dir():
                return f"sites/{name}"
            raise ScanError(_unknown_site(site_dir, root, aliases))
        host, _, path = raw.partition("/")
        path = "/" + path if path else ""
    if host and "/" not in host and host != "all" and (root / "sites" / host).is_dir():
        return f"sites/{host}"
    if host:
        # conf_path(): $uri from the script path, $server from the host with
        # the port moved to the front, both tried from most to least specific.
        uri = ["", *[p for p in path.split("/") if p], "index.php"]
        server = ".".join(reversed(host.lower().rstrip(".").split(":"))).split(".")
        for i in range(len(uri) - 1, 0, -1):
            for j in range(len(server), 0, -1):
                candidate = ".".join(server[-j:]) + ".".join(uri[:i])
                target = aliases.get(candidate)
                if target is not None and (root / "sites" / target).exists():
                    candidate = target
                if candidate != "all" and (root / "sites" / candidate / "settings.php").is_file():
                    return f"sites/{candidate}"
        target = aliases.get(host)
        if target is not None and (root / "sites" / target).is_dir():
            return f"sites/{target}"
    raise ScanError(_unknown_site(site_dir, root, aliases))


def _unknown_site(site_dir: str, root: Path, aliases: dict[str, str]) -> str:
    known = ", ".join(site_dirs(root))
    alias_text = ", ".join(f"{a} -> sites/{t}" for a, t in sorted(aliases.items()))
    return f"{site_dir}: no such site in {root / 'sites'}; known site directories: {known}" + (
        f"; sites.php aliases: {alias_text}" if alias_text else ""
    )
