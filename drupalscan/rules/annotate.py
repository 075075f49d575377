"""Copy the knowledge base's verdict onto each module of a site.

Done once, right after collection, so that stored inventories and every
output carry each module's `status`, `replacement` and where that came from;
the rules then match on plain facts.
"""

from __future__ import annotations

from typing import Any

from drupalscan.inventory import model


def annotate_site(site: model.Site, kb: Any) -> model.Site:
    """The site with every module's (and contrib theme's) status, replacement and source.

    Only Drupal sites: the knowledge base knows Drupal projects, and a
    WordPress plugin that shares a name with one is not that project.
    """
    if model.platform_of(site.kind) != "drupal":
        return site
    modules = []
    for mod in site.modules:
        verdict = kb.verdict(mod.name, mod.project, mod.type)
        mod_type = mod.type
        if mod_type == "unknown" and kb.is_core(mod.name):
            mod_type = "core"
        elif mod_type == "unknown" and kb.project_for_module(mod.name):
            mod_type = "contrib"
        modules.append(
            model.replace(
                mod,
                type=mod_type,
                status=verdict.status,
                replacement=verdict.replacement,
                d8_majors=list(verdict.d8_majors),
                release=verdict.release,
                source=verdict.source,
            )
        )
    themes = []
    for theme in site.themes:
        if theme.type == "unknown":
            # Seen from outside: core themes are known by name; a theme on the
            # drupal.org usage list is contrib; anything else is the site's own.
            core = kb.core_module(theme.name)
            if core is not None and core.type == "theme":
                kind = "core"
            elif kb.theme_rank(theme.name) is not None:
                kind = "contrib"
            else:
                kind = "custom"
            theme = model.replace(theme, type=kind)
        if theme.type == "contrib":
            verdict = kb.theme_verdict(theme.project or theme.name)
            theme = model.replace(
                theme,
                status=verdict.status,
                replacement=verdict.replacement,
                d8_majors=list(verdict.d8_majors),
                release=verdict.release,
                source=verdict.source,
            )
        themes.append(theme)
    return model.replace(site, modules=modules, themes=themes)
