"""``decision readings``: each domain's outcome under the default reading of the source and
under each alternative reading of ``rules/readings/``.

Takes the profiles, the default rulebook and one rulebook per reading (each loaded with
that reading alone); hands on one row per domain with its outcome under each, and marks
the domains whose category depends on an interpretation rather than on the source.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from decision.engine.walk import classify_all
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import Rulebook
from decision.model.result import DomainResult


class ReadingDef(BaseModel):
    """A reading as the comparison names it."""

    code: str
    name: str
    label: str
    instead_of: str
    cite: str


class Outcome(BaseModel):
    """Where a domain lands under one reading."""

    category: str
    variant: str | None
    leaf: str | None

    @property
    def label(self) -> str:
        """``category``, ``category/variant``, with the leaf when there is one."""
        text = self.category if self.variant is None else f"{self.category}/{self.variant}"
        return text if self.leaf is None else f"{text} ({self.leaf})"


class DomainReadings(BaseModel):
    """One domain under the default reading and each alternative one."""

    id: str
    name: str
    default: Outcome
    readings: dict[str, Outcome]
    # The readings that give another category (or variant) than the default.
    moved_by: list[str]


class ReadingsReport(BaseModel):
    """The comparison of a portfolio across readings."""

    readings: list[ReadingDef]
    domains: list[DomainReadings]

    @property
    def dependent(self) -> list[DomainReadings]:
        """The domains whose category depends on an interpretation, not on the source."""
        return [d for d in self.domains if d.moved_by]


def _outcome(result: DomainResult) -> Outcome:
    return Outcome(category=result.category, variant=result.variant, leaf=result.leaf.code if result.leaf else None)


def compare_readings(
    profiles: Sequence[DomainProfile], default: Rulebook, alternatives: Sequence[Rulebook]
) -> ReadingsReport:
    """Classify every profile under ``default`` and under each rulebook of ``alternatives``."""
    base = {r.id: r for r in classify_all(profiles, default)}
    under: dict[str, dict[str, DomainResult]] = {}
    definitions = []
    for rulebook in alternatives:
        [info] = rulebook.readings
        definitions.append(
            ReadingDef(code=info.code, name=info.name, label=info.label, instead_of=info.instead_of, cite=info.cite)
        )
        under[info.name] = {r.id: r for r in classify_all(profiles, rulebook)}
    domains = []
    for profile in profiles:
        first = base[profile.id]
        outcomes = {name: _outcome(results[profile.id]) for name, results in under.items()}
        moved = [
            name
            for name, outcome in outcomes.items()
            if (outcome.category, outcome.variant) != (first.category, first.variant)
        ]
        domains.append(
            DomainReadings(id=profile.id, name=profile.name, default=_outcome(first), readings=outcomes, moved_by=moved)
        )
    return ReadingsReport(readings=definitions, domains=domains)
