"""What a site's robots.txt lets us fetch, read as RFC 9309 says.

Parsed with protego (Scrapy's robots.txt parser) rather than the standard
library's ``urllib.robotparser``: the latter knows neither the ``*`` and
``$`` wildcards nor longest-match precedence, so Drupal 7's stock file
(``Disallow: /misc/`` with ``Allow: /misc/*.js$``) read as "every core
asset is forbidden" and the crawl could not fingerprint the core version
on any Drupal 7 site in the world.  protego implements RFC 9309, is
maintained with Scrapy, and is pure Python.

A site's ``Crawl-delay`` is read but not obeyed here: whether it applies is
a politeness decision (`drupalscan.collect.politeness`), because every
Drupal 7 release ships ``Crawl-delay: 10`` as boilerplate.
"""

from __future__ import annotations

from protego import Protego

AGENT = "drupalscan"
"""The product token robots.txt groups are matched against (``User-agent: drupalscan``)."""

MAX_ROBOTS_BYTES = 500_000
"""RFC 9309 lets a crawler stop parsing after 500 KiB; so do we."""


class Robots:
    """robots.txt rules for our agent; everything is allowed when there are none.

    ``ignore`` (the owner's consent, ``--ignore-robots``) allows everything
    but still keeps what the file said, so the crawl can report it.
    """

    def __init__(self, text: str = "", *, ignore: bool = True, found: bool = False) -> None:
        self.ignore = ignore
        self.found = found
        """Whether the site served a robots.txt at all."""
        self.text = text[:MAX_ROBOTS_BYTES]
        self.parser = Protego.parse(self.text)
        self.sitemaps: list[str] = list(self.parser.sitemaps)
        asked = self.parser.crawl_delay(AGENT)
        self.crawl_delay = max(float(asked), 0.0) if asked is not None else 0.0
        """Seconds the site's Crawl-delay asks of us (0 when it asks nothing)."""

    def allowed(self, url: str) -> bool:
        """Whether our agent may fetch the URL (always, when ignoring robots.txt)."""
        return self.ignore or bool(self.parser.can_fetch(url, AGENT))

    def disallows(self, url: str) -> bool:
        """Whether the file forbids the URL, whatever ``ignore`` says (for reporting)."""
        return not self.parser.can_fetch(url, AGENT)
