"""The default remote assessment of a real Drupal 7 site: no options, robots.txt obeyed.

The Northwind HR intranet is a real Drupal 7.79 site captured whole (pages,
response headers, its stock robots.txt with ``Crawl-delay: 10`` and
``Disallow: /CHANGELOG.txt``, and every ``.info`` file it had).  Replayed
on loopback as Apache served it, ``drupalscan crawl URL`` with no option
must give the exact core version, the modules a consultant expects, no
module the site does not have, and say how many extra requests it made.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from click.testing import CliRunner

from drupalscan import api
from drupalscan.cli import main
from drupalscan.kb import load_kb
from tests.conftest import NORTHWIND

from .httpfixtures import Server, northwind_handler, server

__all__ = ["server"]

MakeServer = Callable[..., Server]


def test_default_crawl_of_a_real_drupal7_site(server: MakeServer, tmp_path: object) -> None:
    srv = server(northwind_handler())
    result = CliRunner().invoke(main, ["--store", f"{tmp_path}/s.db", "crawl", srv.url, "--json"])
    assert result.exit_code == 0, result.output
    (site,) = json.loads(result.stdout)["sites"]
    facts = json.loads((NORTHWIND / "FACTS.json").read_text())

    # The exact release, from the page's own ?v= on a core library; robots.txt obeyed.
    assert site["kind"] == "drupal7" and site["core_version"] == "7.79"
    assert srv.hits["/CHANGELOG.txt"] == 0
    assert any("Crawl-delay 10 s; not applied" in w for w in site["warnings"])

    # Modules: every project the site has in sites/all/modules that the probes
    # ask about is found, and nothing the site lacks is claimed.
    modules = {m["name"]: m for m in site["modules"]}
    asked = {c.project for c in api.probe_candidates(load_kb())}
    on_disk = {p["project"] for p in facts["contrib_projects"]}
    expected = {
        p["project"]
        for p in facts["contrib_projects"]
        if p["path"] == f"sites/all/modules/{p['project']}" and p["project"] in asked
    }
    assert expected and expected <= set(modules), expected - set(modules)
    probed = {n for n, m in modules.items() if any(e["kind"] == "probe" for e in m["evidence"])}
    assert probed <= on_disk, probed - on_disk  # zero false positives
    assert modules["honeypot"]["enabled"] is None  # on disk; whether enabled, no one outside knows
    assert {"xmlsitemap", "captcha", "metatag"} <= set(modules)

    # The bounded extra requests are counted in the summary line.
    line = result.stderr.strip().splitlines()[-1]
    match = re.search(r", (\d+) extra requests in \d+\.\d s \(politeness: ", line)
    assert match, line
    assert int(match.group(1)) <= 100 + 12
    twice = {p: n for p, n in srv.hits.items() if n != 1 and not p.startswith("/sites/")}
    assert twice == {}, (twice, result.stderr)
