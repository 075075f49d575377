"""Risks and assumptions the plan states, worst first.

Which findings make which risk is the rules' to say (``[plan] risk`` in a
rule's TOML: ``research`` for statuses still unknown, ``manual-content`` for
content no core migration carries over), so renaming or ignoring a rule
never silently changes what the client is warned about.
"""

from __future__ import annotations

from collections.abc import Sequence

from drupalscan.inventory import model

SEVERITY_RANK = {s: i for i, s in enumerate(model.SEVERITIES)}


def risks(sites: Sequence[model.Site], findings: Sequence[model.Finding]) -> list[model.Risk]:
    """Risks and assumptions to state, worst first (blocker, high, medium, low, info)."""
    names = {s.id: s.name or s.source for s in sites}
    risks = []
    for f in findings:
        if f.severity == "blocker":
            risks.append(
                model.Risk(severity="blocker", title=f.message, detail=f.remedy, sites=[f.site])
            )
    unknown = [f for f in findings if f.risk == "research"]
    if unknown:
        mods = sorted({f.subject.name for f in unknown})
        risks.append(
            model.Risk(
                severity="medium",
                title=f"{len(mods)} module(s) of unknown Drupal 8+ status",
                detail="Estimates for them are wide until researched: " + ", ".join(mods[:30]),
                sites=sorted({f.site for f in unknown}),
            )
        )
    custom = custom_code_risk(sites, names)
    if custom:
        risks.append(custom)
    manual = [f for f in findings if f.risk == "manual-content"]
    if manual:
        risks.append(
            model.Risk(
                severity="high",
                title="Content that core migrations will not carry over automatically",
                detail="; ".join(
                    sorted({where(names.get(f.site, f.site), f.subject.name) for f in manual})
                ),
                sites=sorted({f.site for f in manual}),
            )
        )
    unseen = [s for s in sites if s.origin == "url" and s.kind.startswith("drupal")]
    if unseen:
        risks.append(
            model.Risk(
                severity="medium",
                title="Sites seen only from outside",
                detail=(
                    "Modules, content types and custom code of crawled sites are inferred "
                    "from their pages; a codebase and database copy will refine the estimate."
                ),
                sites=[s.id for s in unseen],
            )
        )
    # sorted() is stable: within one severity the order above stays.
    return sorted(risks, key=lambda r: SEVERITY_RANK.get(r.severity, len(SEVERITY_RANK)))


def custom_code_risk(sites: Sequence[model.Site], names: dict[str, str]) -> model.Risk | None:
    """The custom-code volume risk, attributed only to sites whose code was measured.

    A crawled site may show a custom module's name in its asset paths, but
    not its code: it gets a mention, never a share of the line count.
    """
    lines: dict[str, int] = {}
    unmeasured: list[str] = []
    for site in sites:
        custom = [m for m in site.modules if m.type == "custom" and m.enabled is not False]
        measured = [m for m in custom if m.code is not None]
        if measured:
            lines[site.id] = sum(m.code.php_lines for m in measured if m.code)
        if len(measured) < len(custom):
            unmeasured.append(site.id)
    lines = {sid: n for sid, n in lines.items() if n}
    total = sum(lines.values())
    if not total:
        return None
    detail = "; ".join(f"{names[sid]}: {n:,} lines" for sid, n in sorted(lines.items()))
    detail += (
        ". Rewrite estimates scale with code size; hidden business rules in custom code "
        "are the usual source of overruns."
    )
    if unmeasured:
        detail += (
            " Custom code not measured (seen from outside): "
            + ", ".join(names[sid] for sid in unmeasured)
            + "."
        )
    return model.Risk(
        severity="high" if total > 5000 else "medium",
        title=f"{total:,} lines of custom PHP to rewrite",
        detail=detail,
        sites=sorted(lines),
    )


def where(site: str, subject: str) -> str:
    """'site: subject', or just the site when the finding is about the site itself."""
    return site if subject == site else f"{site}: {subject}"
