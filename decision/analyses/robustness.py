"""How robust is a classification when scores are uncertain? Draws, counted per outcome.

A draw gives every uncertain score of a domain one value, and the vectorised evaluator
(decision.engine.bulk, proven identical to the durable-rules walk) classifies it. What is
uncertain:

- a profile score with a range (``low``/``high``): drawn uniformly over [low, high], or
  from the triangular distribution on [low, high] with the score's ``value`` as mode;
- with participants' sheets: every score at least one participant scored. A draw takes
  the value of one participant chosen at random (equal chances) among those who scored
  that score, independently for each score and each domain. A score nobody scored keeps
  the profile's value, or its range if it has one.

Everything else keeps the profile's value (a missing score stays missing, so a draw can
be ``undetermined``). The result is, per domain, the share of draws ending in each
outcome: a category, ``category/variant``, or ``undetermined``.

Draws come from ``numpy.random.Generator(PCG64(seed))``, sampled in blocks of
``DRAW_BLOCK`` draws, domain by domain and score by score in rules order; the block size
is fixed, so a seed, a number of draws and the same inputs give the same shares on any
machine with the same numpy, with or without the progress bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from decision.engine.bulk import UNDETERMINED, BulkEvaluator
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import Rulebook
from decision.inputs.sheets import Sheets

DEFAULT_DRAWS = 10_000
DEFAULT_SEED = 0
DRAW_BLOCK = 1 << 15  # draws sampled at a time (fixed: the results depend on it)
MAX_ROWS = 1 << 20  # rows handed to the evaluator at once (memory bound; results do not depend on it)


@dataclass(frozen=True)
class Variation:
    """One uncertain score of one domain and where its draws come from."""

    score: str
    kind: Literal["range", "sheets"]
    value: float | None  # the profile's value (for a range: the mode of a triangular draw)
    low: float
    high: float
    distribution: Literal["uniform", "triangular"] | None = None  # ranges only
    participants: tuple[tuple[str, float], ...] = ()  # sheets only: (participant, value)

    @property
    def varies(self) -> bool:
        """False when every draw gives the same value (a zero-width range, agreeing participants)."""
        return self.low < self.high

    def describe(self) -> str:
        """'science 3.5-4.5 uniform', 'science 3-5 triangular' or 'economic 3.5-4.5 sheets'."""
        span = f"{self.low:g}" if self.low == self.high else f"{self.low:g}-{self.high:g}"
        return f"{self.score} {span} {self.distribution if self.kind == 'range' else 'sheets'}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws of this score."""
        if self.kind == "sheets":
            values = np.array([value for _, value in self.participants], dtype=float)
            return values[rng.integers(0, len(values), size)]
        if self.distribution == "triangular":
            return rng.triangular(self.low, self.value, self.high, size)
        return rng.uniform(self.low, self.high, size)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"score": self.score, "from": self.kind, "low": self.low, "high": self.high}
        if self.kind == "range":
            data.update(value=self.value, distribution=self.distribution)
        else:
            data["participants"] = dict(self.participants)
        return data


@dataclass(frozen=True)
class DomainInputs:
    """One domain as the draws see it: the profile's values and its uncertain scores."""

    id: str
    name: str
    values: dict[str, float]  # NaN = missing
    variations: tuple[Variation, ...]


def domain_inputs(
    profiles: list[DomainProfile], rulebook: Rulebook, sheets: Sheets | None = None
) -> list[DomainInputs]:
    """The uncertain scores of each domain; with sheets, only the domains the sheets score."""
    if sheets is not None:
        scored = sheets.domain_ids()
        profiles = [p for p in profiles if p.id in scored]
    inputs = []
    for profile in profiles:
        values, variations = {}, []
        for name in rulebook.scores:
            value = profile.value(name)
            values[name] = math.nan if value is None else value
            given = sheets.values(profile.id, name) if sheets is not None else []
            entry = profile.scores.get(name)
            if given:
                participant_values = tuple((g.participant, g.value) for g in given)
                low, high = min(v for _, v in participant_values), max(v for _, v in participant_values)
                variations.append(Variation(name, "sheets", value, low, high, participants=participant_values))
            elif entry is not None and entry.low is not None and entry.high is not None:
                variations.append(
                    Variation(name, "range", entry.value, entry.low, entry.high, entry.distribution or "uniform")
                )
        inputs.append(DomainInputs(profile.id, profile.name, values, tuple(variations)))
    return inputs


@dataclass(frozen=True)
class DomainRobustness:
    """The outcome shares of one domain."""

    id: str
    name: str
    as_profiled: str  # the outcome of the profile's own values
    variations: tuple[Variation, ...]
    counts: dict[str, int]  # outcome label -> number of draws, most frequent first
    draws: int

    def share(self, label: str) -> float:
        """The share of draws ending in ``label`` (0 when none did)."""
        return self.counts.get(label, 0) / self.draws

    @property
    def certain(self) -> bool:
        """True when every draw ends in the same outcome."""
        return len(self.counts) == 1


@dataclass(frozen=True)
class RobustnessReport:
    """A whole run: its settings and one entry per domain."""

    draws: int
    seed: int
    thresholds: dict[str, float]  # thresholds overridden for the run
    sheets: str | None
    participants: tuple[str, ...]
    domains: tuple[DomainRobustness, ...]

    @property
    def margin(self) -> float:
        """Half-width of the 95% interval of a share at its widest (a share of 50%)."""
        return 1.96 * math.sqrt(0.25 / self.draws)

    def to_json(self) -> dict[str, Any]:
        return {
            "draws": self.draws,
            "seed": self.seed,
            "thresholds": self.thresholds,
            "sheets": self.sheets,
            "participants": list(self.participants),
            "margin_95": round(self.margin, 6),
            "domains": [
                {
                    "id": d.id,
                    "name": d.name,
                    "as_profiled": d.as_profiled,
                    "varied": [v.to_json() for v in d.variations],
                    "shares": {label: round(count / d.draws, 6) for label, count in d.counts.items()},
                    "counts": d.counts,
                }
                for d in self.domains
            ],
        }


def _label(evaluator: BulkEvaluator, code: int) -> str:
    return "undetermined" if code == UNDETERMINED else evaluator.labels[code]


def run_robustness(
    inputs: list[DomainInputs],
    rulebook: Rulebook,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    sheets: Sheets | None = None,
    progress: Callable[[int], None] | None = None,
) -> RobustnessReport:
    """Draw every uncertain score ``draws`` times per domain and count the outcomes.

    ``progress`` is called with the number of rows evaluated after each batch."""
    if draws < 1:
        raise ValueError("draws must be at least 1")
    evaluator = BulkEvaluator(rulebook)
    names = evaluator.score_names
    rng = np.random.Generator(np.random.PCG64(seed))
    width = len(evaluator.labels) + 1  # code + 1: 0 is undetermined
    counts = np.zeros((len(inputs), width), dtype=np.int64)
    group = max(1, MAX_ROWS // DRAW_BLOCK)  # domains evaluated together
    for start in range(0, draws, DRAW_BLOCK):
        size = min(DRAW_BLOCK, draws - start)
        for first in range(0, len(inputs), group):
            batch = inputs[first : first + group]
            columns = {name: np.empty(size * len(batch)) for name in names}
            for index, domain in enumerate(batch):
                rows = slice(index * size, (index + 1) * size)
                for name in names:
                    columns[name][rows] = domain.values[name]
                for variation in domain.variations:
                    if variation.varies:
                        columns[variation.score][rows] = variation.sample(rng, size)
                    else:
                        columns[variation.score][rows] = variation.low
            codes = evaluator.evaluate(columns).outcome.astype(np.int64).reshape(len(batch), size) + 1
            codes += np.arange(len(batch))[:, None] * width
            counts[first : first + len(batch)] += np.bincount(codes.ravel(), minlength=len(batch) * width).reshape(
                len(batch), width
            )
            if progress is not None:
                progress(size * len(batch))
    profiled = evaluator.evaluate(
        {name: np.array([d.values[name] for d in inputs], dtype=float) for name in names}
    ).outcome
    domains = []
    for index, domain in enumerate(inputs):
        order = sorted((code for code in range(width) if counts[index, code]), key=lambda c: (-counts[index, c], c))
        domains.append(
            DomainRobustness(
                id=domain.id,
                name=domain.name,
                as_profiled=_label(evaluator, int(profiled[index])),
                variations=domain.variations,
                counts={_label(evaluator, code - 1): int(counts[index, code]) for code in order},
                draws=draws,
            )
        )
    return RobustnessReport(
        draws=draws,
        seed=seed,
        thresholds={name: t.value for name, t in rulebook.thresholds.items() if t.origin != "rules"},
        sheets=None if sheets is None else sheets.directory,
        participants=tuple(sheets.participants) if sheets is not None else (),
        domains=tuple(domains),
    )
