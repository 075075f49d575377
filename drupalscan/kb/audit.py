"""How much of what consultants meet the knowledge base can answer, and the gaps.

A report in which half the modules say "research" is not one a client pays
for, so coverage is measured, not hoped for: over the Drupal 7 usage ranking
(the projects and themes real sites run most), how many have a sourced
verdict, how many of those verdicts are answers for the target's Drupal
major, and which ranked names are still unknown.  `drupalscan kb audit`
prints it; a test holds the floor.
"""

from __future__ import annotations

from dataclasses import dataclass

from drupalscan.kb import ContribProject, KnowledgeBase

__all__ = ["Audit", "Band", "Gap", "audit"]

MODULE_BANDS = (50, 300, 1000, 2000)
"""Top-N slices of the module ranking reported on."""

THEME_BANDS = (50, 300)
"""Top-N slices of the theme ranking reported on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Band:
    """Coverage of the N most used projects (or themes)."""

    kind: str
    """module | theme."""
    top: int
    size: int
    """Ranked names in the band (the list may be shorter than ``top``)."""
    known: int
    """Names with a sourced status other than unknown."""
    for_target: int
    """Names whose answer holds on the target: core, a replacement, a drop, no
    port, or a release for the target's major."""

    @property
    def percent(self) -> float:
        """Share of the band with a sourced status, in percent."""
        return 100.0 * self.known / self.size if self.size else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Gap:
    """A ranked name without an answer for the target."""

    kind: str
    name: str
    rank: int
    status: str
    """unknown, or has_release when no release for the target is known."""
    majors: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Audit:
    """Coverage per band and every gap, most used first."""

    target: int
    data_as_of: str
    bands: tuple[Band, ...]
    gaps: tuple[Gap, ...]


def _answers(entry: ContribProject | None, target: int) -> tuple[bool, bool]:
    """(sourced verdict, answer on the target) for one entry."""
    if entry is None or entry.status == "unknown" or not entry.sources:
        return False, False
    if entry.status == "has_release":
        return True, target in entry.d8_majors
    return True, True


def audit(kb: KnowledgeBase, target: int) -> Audit:
    """Measure the knowledge base over the usage rankings for a Drupal ``target``."""
    bands: list[Band] = []
    gaps: list[Gap] = []
    rows = [
        ("module", kb.ranked_projects(), MODULE_BANDS, _module_entry),
        ("theme", kb.ranked_themes(), THEME_BANDS, _theme_entry),
    ]
    for kind, names, tops, lookup in rows:
        limit = max(tops)
        judged = []
        for rank, name in enumerate(names[:limit], start=1):
            entry = lookup(kb, name)
            known, answered = _answers(entry, target)
            judged.append((known, answered))
            if not answered:
                gaps.append(
                    Gap(
                        kind=kind,
                        name=name,
                        rank=rank,
                        status=entry.status if entry else "unknown",
                        majors=entry.d8_majors if entry else (),
                    )
                )
        for top in tops:
            band = judged[:top]
            bands.append(
                Band(
                    kind=kind,
                    top=top,
                    size=len(band),
                    known=sum(1 for k, _ in band if k),
                    for_target=sum(1 for _, a in band if a),
                )
            )
    return Audit(target=target, data_as_of=kb.data_as_of, bands=tuple(bands), gaps=tuple(gaps))


def _module_entry(kb: KnowledgeBase, name: str) -> ContribProject | None:
    """A ranked name's project entry; some ranked names are submodules (page_manager)."""
    return kb.project(name) or kb.project(kb.project_for_module(name) or "")


def _theme_entry(kb: KnowledgeBase, name: str) -> ContribProject | None:
    return kb.theme(name)
