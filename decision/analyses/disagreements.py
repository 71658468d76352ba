"""A workshop's sheets, aggregated: the medians classified, and which disagreements matter.

Per domain the sheets scored, every score gets the median of the participants who
scored it (a score nobody scored keeps the profile's value). The durable-rules engine
classifies that aggregate profile and explains it. Then, for every score on which
participants differ, the score is set to each participant's value in turn, all other
scores staying at the median, and the vectorised evaluator says whether the outcome
(category, or category/variant) changes. A disagreement *matters* when at least one
participant's value would change it. One score moves at a time: two disagreements that
only matter together are not found here (``decision robustness --sheets`` samples
them jointly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from decision.engine.bulk import UNDETERMINED, BulkEvaluator, outcome_label
from decision.errors import EngineError
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import Rulebook
from decision.inputs.sheets import ScoreAggregate, Sheets, aggregate
from decision.model.result import DomainResult, ScoreValue


@dataclass(frozen=True)
class WhatIf:
    """One participant's value of a disputed score, the others at the median, and the outcome."""

    participant: str
    value: float
    outcome: str
    leaf: str | None


@dataclass(frozen=True)
class Disagreement:
    """A score participants scored differently, and whether any of their values changes the outcome."""

    score: str
    what_ifs: tuple[WhatIf, ...]
    outcome: str  # the outcome at the medians

    @property
    def changes(self) -> tuple[WhatIf, ...]:
        """The participants' values that would change the outcome."""
        return tuple(w for w in self.what_ifs if w.outcome != self.outcome)

    @property
    def matters(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class DomainWorkshop:
    """One domain: what the participants said, the explained result at the medians, the disputes."""

    profile: DomainProfile  # the aggregate profile (medians)
    aggregates: dict[str, ScoreAggregate]
    result: DomainResult
    outcome: str
    disagreements: tuple[Disagreement, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.profile.id,
            "name": self.profile.name,
            "outcome": self.outcome,
            "scores": {
                name: {
                    "median": a.median,
                    "min": a.minimum,
                    "max": a.maximum,
                    "spread": a.spread,
                    "participants": a.count,
                    "values": {v.participant: v.value for v in a.values},
                    "used": self.profile.value(name),
                }
                for name, a in self.aggregates.items()
            },
            "disagreements": [
                {
                    "score": d.score,
                    "matters": d.matters,
                    "what_ifs": [
                        {
                            "participant": w.participant,
                            "value": w.value,
                            "outcome": w.outcome,
                            "leaf": w.leaf,
                            "changes": w.outcome != d.outcome,
                        }
                        for w in d.what_ifs
                    ],
                }
                for d in self.disagreements
            ],
            "result": self.result.model_dump(mode="json"),
        }


def _note(values) -> str:
    listed = ", ".join(f"{v.participant} {v.value:g}" for v in values)
    noun = "participant" if len(values) == 1 else "participants"
    return f"median of {len(values)} {noun}: {listed}"


def aggregate_profile(profile: DomainProfile, aggregates: dict[str, ScoreAggregate], sheets: Sheets) -> DomainProfile:
    """The profile with every score someone scored replaced by the participants' median."""
    scores = dict(profile.scores)
    for name, found in aggregates.items():
        if found.count:
            scores[name] = ScoreValue(
                value=found.median, origin="sheets", location=sheets.directory, note=_note(found.values)
            )
    return profile.model_copy(update={"scores": scores})


def analyse_workshop(profiles: list[DomainProfile], sheets: Sheets, rulebook: Rulebook) -> list[DomainWorkshop]:
    """Aggregate, classify and test the disagreements of every domain the sheets score."""
    from decision.engine.walk import Engine

    evaluator = BulkEvaluator(rulebook)
    engine = Engine(rulebook)
    names = evaluator.score_names
    scored = sheets.domain_ids()
    domains = []
    for profile in (p for p in profiles if p.id in scored):
        aggregates = aggregate(sheets, profile.id, names)
        median_profile = aggregate_profile(profile, aggregates, sheets)
        result = engine.classify(median_profile)
        base = {name: np.nan if median_profile.value(name) is None else median_profile.value(name) for name in names}
        # Row 0 is the aggregate itself; then one row per (disputed score, participant).
        rows: list[tuple[str | None, Any]] = [(None, None)]
        for name, found in aggregates.items():
            if len(found.distinct) > 1:
                rows.extend((name, entry) for entry in found.values)
        columns = {name: np.full(len(rows), base[name]) for name in names}
        for index, (name, entry) in enumerate(rows[1:], start=1):
            columns[name][index] = entry.value
        out = evaluator.evaluate(columns)

        def label(index: int, out=out) -> str:
            code = int(out.outcome[index])
            return "undetermined" if code == UNDETERMINED else out.labels[code]

        outcome = label(0)
        engine_label = (
            "undetermined" if result.category == "undetermined" else outcome_label(result.category, result.variant)
        )
        if engine_label != outcome:  # proven never to happen; refuse to report a contradiction
            raise EngineError(f"{profile.id}: the engine says {engine_label}, the vectorised evaluator {outcome}")
        what_ifs: dict[str, list[WhatIf]] = {}
        for index, (name, entry) in enumerate(rows[1:], start=1):
            leaf = int(out.leaf[index])
            what_ifs.setdefault(name, []).append(
                WhatIf(entry.participant, entry.value, label(index), out.leaves[leaf] if leaf >= 0 else None)
            )
        domains.append(
            DomainWorkshop(
                profile=median_profile,
                aggregates=aggregates,
                result=result,
                outcome=outcome,
                disagreements=tuple(Disagreement(name, tuple(found), outcome) for name, found in what_ifs.items()),
            )
        )
    return domains
