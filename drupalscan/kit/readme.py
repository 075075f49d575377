"""The kit's README.md: the waves as a checklist, and what the kit could not write.

A developer opens the kit on day one and needs the order of work (the plan's
waves, each step pointing at the generated file that does it) and, as
plainly, what is left to people: custom code to rewrite, projects to decide
on, values to fill in, questions the client has not answered.  Everything
here comes from the plan and the findings; names from the scanned sites are
escaped for Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from drupalscan.inventory import model
from drupalscan.kit.composer import ComposerPlan
from drupalscan.kit.migrations import Group, pages_csv_name


def md(text: str) -> str:
    """Text from a scanned site, inert in Markdown (no links, HTML or emphasis)."""
    flat = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"([\\`*_\[\]<>#|~])", r"\\\1", flat)


def code(text: str) -> str:
    """A machine name from a scanned site as a Markdown code span (no escapes work there)."""
    return "`" + re.sub(r"[`\s]+", " ", text).strip() + "`"


def _site_link(site: model.Site, report: str) -> str:
    name = md(site.name or site.source)
    return f"[{name}]({report}#site-{site.id})" if report else name


def readme(
    *,
    header: str,
    core: int,
    composer: ComposerPlan,
    groups: Sequence[Group],
    plan: model.Plan,
    findings: Sequence[model.Finding],
    sites: Mapping[str, model.Site],
    redirects: int,
    pattern_redirects: int,
    report: str,
    command: str,
) -> str:
    """The README.md text."""
    out = [f"# Starter kit: the consolidated site on Drupal {core}", ""]
    out += [f"{md(line)}  " if line else "" for line in header.splitlines()]
    out += [
        "",
        f"Generated again with `{command}`: files you have edited since are kept",
        "(the command stops and names them) unless you add `--force`.",
        "",
        "## What is here",
        "",
        "| file | what it holds |",
        "|---|---|",
        f"| `composer.json` | Drupal {core} core, Drush and {len(composer.requires)} "
        "contributed projects with the release line the plan expects |",
        "| `settings.migrate.php` | the source databases' connections, as placeholders "
        "to fill in |",
        f"| `migrations/` | {len(groups)} migration groups and "
        f"{sum(len(g.migrations) for g in groups)} migrations (migrate_plus configuration) |",
        f"| `redirects.csv` | {redirects} redirects from old URLs, for path_redirect_import |",
        "",
        *(
            [
                f"{pattern_redirects} more old URLs go to pages whose new path the site's URL",
                "patterns decide (Pathauto): create their redirects once their nodes are",
                "migrated (the report's redirect map lists them).",
                "",
            ]
            if pattern_redirects
            else []
        ),
        "## Before the first wave",
        "",
        "- [ ] `composer install`, then install the site (`drush site:install`).",
        "- [ ] Enable the projects: `drush pm:install "
        + " ".join(_modules(composer, plan.target))
        + "`.",
        "- [ ] Copy `settings.migrate.php` beside `settings.php`, include it from there and fill",
        "      in each source database's connection (ask the hosting team; none is in this kit).",
        "- [ ] Import the migrations: `drush config:import --partial --source=../migrations`.",
        "- [ ] `drush migrate:status` lists every group below.",
        "",
    ]
    for wave in plan.waves:
        in_wave = [g for g in groups if g.wave == wave.index]
        if not in_wave:
            continue
        out += [f"## Wave {wave.index}", "", md(wave.rationale), ""]
        for g in in_wave:
            out.append(f"- [ ] {_site_link(g.site, report)}: `drush migrate:import --group={g.id}`")
            for m in g.migrations:
                out.append(f"  - `migrations/migrate_plus.migration.{m.id}.yml`: {md(m.label)}")
            if g.pages_csv:
                out.append(
                    f"  - `migrations/{pages_csv_name(g.id)}`: its {len(g.pages_csv)} crawled pages"
                )
            todo = [t for m in g.migrations for t in m.todo]
            for item in dict.fromkeys(todo):
                out.append(f"  - [ ] first: {md(item)}")
        out += [
            "- [ ] Import this wave's redirects: `drush path_redirect_import:import "
            "redirects.csv` (rows of earlier waves are already in).",
            "",
        ]
    out += _not_generated(composer, plan, findings, sites, report)
    return "\n".join(out) + "\n"


def _modules(composer: ComposerPlan, target: model.Target) -> list[str]:
    """The modules to switch on: the kept contrib ones, the replacements, the migration's."""
    out = {name for name, _ in composer.left_out}
    kept = {m.name for m in target.modules if m.action == "contrib" and m.name not in out}
    added = {r.project for r in composer.requires if not r.why.startswith("keeps ")}
    return sorted(kept | added | {"migrate_drupal"})


def _not_generated(
    composer: ComposerPlan,
    plan: model.Plan,
    findings: Sequence[model.Finding],
    sites: Mapping[str, model.Site],
    report: str,
) -> list[str]:
    out = ["## What this kit does not do for you", ""]
    rewrite = [m for m in plan.target.modules if m.action == "rewrite"]
    if rewrite:
        out += ["### Custom and unported code to rewrite", ""]
        for mod in rewrite:
            where = ", ".join(_site_link(sites[s], report) for s in mod.source_sites if s in sites)
            rules = sorted(
                {
                    f.rule
                    for f in findings
                    if f.subject.name == mod.name and f.subject.kind in ("module", "code")
                }
            )
            out.append(
                f"- {code(mod.name)} ({where})"
                + (f": findings {', '.join(rules)}" if rules else "")
            )
        out.append("")
    if composer.left_out or any(m.action == "review" for m in plan.target.modules):
        out += ["### Projects to decide on before adding them to composer.json", ""]
        listed = set()
        for mod in plan.target.modules:
            if mod.action == "review":
                listed.add(mod.name)
                out.append(f"- {code(mod.name)}: {md(mod.reason)}")
        for name, why in composer.left_out:
            if name not in listed:
                out.append(f"- {code(name)}: {md(why)}")
        out.append("")
    dropped = [m for m in plan.target.modules if m.action == "drop"]
    if dropped:
        out += ["### Not carried over", ""]
        out += [f"- {code(m.name)}: {md(m.reason)}" for m in dropped]
        out.append("")
    open_questions = [d for d in plan.decisions if not d.decided]
    if open_questions:
        out += [
            "### Decisions the client has not taken",
            "",
            "The migrations follow each default; an answer in drupalscan.toml changes them",
            "when the kit is generated again.",
            "",
        ]
        for d in open_questions:
            out.append(f"- {md(d.question)} In force: {md(d.chosen().label)} ({code(d.id)}).")
        out.append("")
    if plan.target.themes:
        out += [
            "### Themes",
            "",
            "The sites' custom themes are rebuilt for the new site: "
            + ", ".join(code(t) for t in plan.target.themes)
            + ".",
            "",
        ]
    return out
