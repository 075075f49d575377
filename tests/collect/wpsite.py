"""A WordPress 6.4 intranet as WordPress serves it, for the remote assessment tests.

Written after what real WordPress sites send (see the tests' docstrings):
core's virtual robots.txt with the wp-sitemap line, ``wp_head`` output
(generator meta, ``api.w.org`` link, ``?ver=`` on every enqueued asset:
WordPress's own version on core assets without one, the library's on
jQuery, the plugin's on plugin assets), body classes, the RSS feed's
generator, the REST index and its types and taxonomies routes, plugin
readme.txt files and the theme's style.css header.  ``hide_version`` makes
it a hardened site: no generator meta, no version on the feed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .httpfixtures import Reply, Req

WP_VERSION = "6.4.2"


@dataclass
class WordPressSite:
    """Options of the served site."""

    hide_version: bool = False
    rest_open: bool = True
    base: str = ""

    def head(self, title: str) -> str:
        b = self.base
        ver = WP_VERSION
        generator = (
            "" if self.hide_version else f'<meta name="generator" content="WordPress {ver}" />\n'
        )
        return f"""<meta charset="UTF-8" />
<title>{title} &#8211; Contoso People Hub</title>
<meta name='robots' content='max-image-preview:large' />
<link rel="alternate" type="application/rss+xml" title="Contoso People Hub &raquo; Feed" href="{b}/feed/" />
<link rel='stylesheet' id='wp-block-library-css' href='{b}/wp-includes/css/dist/block-library/style.min.css?ver={ver}' media='all' />
<link rel='stylesheet' id='contact-form-7-css' href='{b}/wp-content/plugins/contact-form-7/includes/css/styles.css?ver=5.8.4' media='all' />
<link rel='stylesheet' id='tribe-events-v2-single-skeleton-css' href='{b}/wp-content/plugins/the-events-calendar/src/resources/css/tribe-events-single-skeleton.min.css?ver=6.2.8.1' media='all' />
<link rel='stylesheet' id='staff-directory-css' href='{b}/wp-content/plugins/staff-directory/css/staff.css?ver={ver}' media='all' />
<link rel='stylesheet' id='twenty-twenty-one-style-css' href='{b}/wp-content/themes/twentytwentyone/style.css?ver=2.0' media='all' />
<script src="{b}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
<script src="{b}/wp-includes/js/jquery/jquery-migrate.min.js?ver=3.4.1" id="jquery-migrate-js"></script>
<link rel="https://api.w.org/" href="{b}/wp-json/" />
<link rel="EditURI" type="application/rsd+xml" title="RSD" href="{b}/xmlrpc.php?rsd" />
{generator}"""

    def page(self, title: str, body_class: str, content: str) -> str:
        return f"""<!doctype html>
<html lang="en-GB">
<head>
{self.head(title)}</head>
<body class="{body_class} wp-embed-responsive is-light-theme no-js singular has-main-navigation">
<div id="page" class="site">
<header id="masthead" class="site-header"><p class="site-title"><a href="{self.base}/">Contoso People Hub</a></p>
<nav><ul id="primary-menu-list" class="menu-wrapper">
<li class="menu-item"><a href="{self.base}/about/">About HR</a></li>
<li class="menu-item"><a href="{self.base}/category/news/">News</a></li>
<li class="menu-item"><a href="{self.base}/events/">Events</a></li>
<li class="menu-item"><a href="{self.base}/staff/jane-doe/">Staff</a></li>
</ul></nav></header>
<main id="main" class="site-main">{content}</main>
<footer><a href="https://wordpress.org/">Proudly powered by WordPress</a></footer>
<script src="{self.base}/wp-content/plugins/contact-form-7/includes/swv/js/index.js?ver=5.8.4" id="swv-js"></script>
<script src="{self.base}/wp-includes/js/wp-embed.min.js?ver={WP_VERSION}" id="wp-embed-js"></script>
</div></body></html>"""

    def handler(self) -> Callable[[Req], Reply]:
        """Answer as the site; ``base`` (the server's URL) may be set after this is made."""

        def handle(req: Req) -> Reply:
            routes = self.routes()
            path = req.path.split("?", 1)[0]
            found = routes.get(path)
            if found is not None:
                return found
            if path.startswith("/wp-json/"):
                return Reply(
                    '{"code":"rest_no_route","message":"No route was found matching the URL '
                    'and request method","data":{"status":404}}',
                    status=404,
                    content_type="application/json; charset=UTF-8",
                )
            return Reply(
                self.page("Page not found", "error404", "<h1>Nothing here</h1>"), status=404
            )

        return handle

    def routes(self) -> dict[str, Reply]:
        """Every path the site answers, as it answers it."""
        posts = '<article class="post-12 post type-post status-publish"><h2><a href="/2024/01/15/open-enrolment/">Open enrolment</a></h2></article>'
        routes: dict[str, Reply] = {
            "/robots.txt": Reply(
                "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
                f"Sitemap: {self.base}/wp-sitemap.xml\n",
                content_type="text/plain; charset=utf-8",
            ),
            "/": Reply(self.page("Home", "home blog", posts)),
            "/about/": Reply(
                self.page("About HR", "page-template-default page page-id-2", "<h1>About HR</h1>")
            ),
            "/2024/01/15/open-enrolment/": Reply(
                self.page(
                    "Open enrolment",
                    "post-template-default single single-post postid-12 single-format-standard",
                    '<h1>Open enrolment</h1><div class="wpcf7"><form class="wpcf7-form"></form></div>',
                )
            ),
            "/category/news/": Reply(self.page("News", "archive category category-news", posts)),
            "/events/": Reply(
                self.page(
                    "Events", "post-type-archive post-type-archive-tribe_events", "<h1>Events</h1>"
                )
            ),
            "/staff/jane-doe/": Reply(
                self.page(
                    "Jane Doe",
                    "staff-template-default single single-staff postid-40",
                    "<h1>Jane</h1>",
                )
            ),
            "/feed/": Reply(
                '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                "<title>Contoso People Hub</title>"
                + (
                    ""
                    if self.hide_version
                    else f"<generator>https://wordpress.org/?v={WP_VERSION}</generator>"
                )
                + "</channel></rss>",
                content_type="application/rss+xml; charset=UTF-8",
            ),
            "/wp-sitemap.xml": Reply(
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<?xml-stylesheet type="text/xsl" href="{self.base}/wp-sitemap-index.xsl" ?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{self.base}/wp-sitemap-posts-page-1.xml</loc></sitemap>"
                "</sitemapindex>",
                content_type="application/xml; charset=UTF-8",
            ),
            "/wp-sitemap-posts-page-1.xml": Reply(
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{self.base}/about/</loc></url><url><loc>{self.base}/benefits/</loc></url>"
                "</urlset>",
                content_type="application/xml; charset=UTF-8",
            ),
            "/benefits/": Reply(
                self.page("Benefits", "page-template-default page page-id-9", "<h1>Benefits</h1>")
            ),
            "/wp-content/plugins/contact-form-7/readme.txt": Reply(
                "=== Contact Form 7 ===\nContributors: takayukister\nRequires at least: 6.2\n"
                "Tested up to: 6.4\nStable tag: 5.8.4\nLicense: GPLv2 or later\n",
                content_type="text/plain",
            ),
            "/wp-content/plugins/staff-directory/readme.txt": Reply(
                "=== Staff Directory ===\nRequires at least: 5.0\nStable Tag: 3.1.0\n",
                content_type="text/plain",
            ),
            "/wp-content/themes/twentytwentyone/style.css": Reply(
                "/*\nTheme Name: Twenty Twenty-One\nAuthor: the WordPress team\n"
                "Version: 2.0\nRequires at least: 5.3\n*/\nbody{margin:0}\n",
                content_type="text/css",
            ),
        }
        if self.rest_open:
            routes["/wp-json/"] = Reply(
                json.dumps(
                    {
                        "name": "Contoso People Hub",
                        "description": "HR news and policies",
                        "url": self.base,
                        "namespaces": [
                            "oembed/1.0",
                            "contact-form-7/v1",
                            "tribe/events/v1",
                            "yoast/v1",
                            "wp/v2",
                            "wp-site-health/v1",
                            "wp-block-editor/v1",
                        ],
                        "routes": {"/": {"namespace": "", "methods": ["GET"]}},
                    }
                ),
                content_type="application/json; charset=UTF-8",
            )
            routes["/wp-json/wp/v2/types"] = Reply(
                json.dumps(
                    {
                        "post": {"name": "Posts", "slug": "post", "rest_base": "posts"},
                        "page": {"name": "Pages", "slug": "page", "rest_base": "pages"},
                        "attachment": {"name": "Media", "slug": "attachment"},
                        "nav_menu_item": {"name": "Navigation Menu Items", "slug": "nav_menu_item"},
                        "wp_block": {"name": "Patterns", "slug": "wp_block"},
                        "tribe_events": {"name": "Events", "slug": "tribe_events"},
                        "staff": {"name": "Staff", "slug": "staff"},
                    }
                ),
                content_type="application/json; charset=UTF-8",
            )
            routes["/wp-json/wp/v2/taxonomies"] = Reply(
                json.dumps(
                    {
                        "category": {"name": "Categories", "slug": "category", "types": ["post"]},
                        "post_tag": {"name": "Tags", "slug": "post_tag", "types": ["post"]},
                        "nav_menu": {"name": "Navigation Menus", "slug": "nav_menu"},
                        "department": {"name": "Departments", "slug": "department"},
                    }
                ),
                content_type="application/json; charset=UTF-8",
            )

        return routes
