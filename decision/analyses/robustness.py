"""How robust is a classification when scores are uncertain? Exact shares, or draws.

By default the shares are exact (``decision.analyses.exact_shares``): every test compares
one score with one threshold, so with independent scores the probability of an outcome
is a finite sum of products. Draws (``method="monte-carlo"``) remain for a check, and for
a domain where the enumeration would be too large; the rest of this docstring is about
them.

A draw gives every uncertain score of a domain one value, and the vectorised evaluator
(decision.engine.bulk, proven identical to the durable-rules walk) classifies it. What is
uncertain:

- a profile score with a range (``low``/``high``): drawn uniformly over [low, high], or
  from the triangular distribution on [low, high] with the score's ``value`` as mode;
- with participants' sheets: every score at least one participant scored. A draw takes
  the value of one participant chosen at random (equal chances) among those who scored
  that score, independently for each score and each domain. A score nobody scored keeps
  the profile's value, or its range if it has one.

- a threshold given as a range (``--threshold science=4..4.5``): drawn uniformly, per
  draw and per domain, after the domain's scores.

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
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from decision.analyses.exact_shares import ExactDomain, ExactSolver, Law, ScoreInput
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
class Acceptability:
    """The acceptability report of one domain (SMAA's words), from exact shares or draws.

    ``confidence_factor``, ``central_profiles`` and ``sensitivity`` need the boxes of the
    exact computation and are None after draws."""

    category: str  # the category as profiled ("undetermined" when a missing score decides)
    probability: float
    runner_up: str | None
    runner_up_probability: float
    entropy: float  # bits, over the categories (undetermined counted as one)
    confidence_factor: float | None = None
    central_profiles: dict[str, dict[str, float | None]] | None = None
    central_thresholds: dict[str, dict[str, float | None]] | None = None
    sensitivity: dict[str, tuple[float, float]] | None = None  # input -> (first-order, total)

    @property
    def matters_most(self) -> str | None:
        """The input with the largest total index (None when nothing moves the outcome)."""
        if not self.sensitivity:
            return None
        name, (_, total) = max(self.sensitivity.items(), key=lambda item: (item[1][1], item[1][0]))
        return name if total > 0 else None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "category": self.category,
            "probability": _rounded(self.probability),
            "runner_up": self.runner_up,
            "runner_up_probability": _rounded(self.runner_up_probability),
            "confidence_factor": None if self.confidence_factor is None else _rounded(self.confidence_factor),
            "entropy_bits": _rounded(self.entropy),
            "matters_most": self.matters_most,
        }
        if self.central_profiles is not None:
            data["central_profiles"] = {
                category: {name: None if v is None else _rounded(v) for name, v in profile.items()}
                for category, profile in self.central_profiles.items()
            }
        if self.central_thresholds:
            data["central_thresholds"] = {
                category: {name: None if v is None else _rounded(v) for name, v in profile.items()}
                for category, profile in self.central_thresholds.items()
            }
        if self.sensitivity is not None:
            data["sensitivity"] = {
                name: {"first_order": _rounded(first), "total": _rounded(total)}
                for name, (first, total) in self.sensitivity.items()
            }
        return data


def _rounded(value: float) -> float:
    return round(value, 6)


def _acceptability(categories: dict[str, float], target: str, exact: ExactDomain | None = None) -> Acceptability:
    others = [(label, share) for label, share in categories.items() if label != target]
    runner_up = max(others, key=lambda item: item[1]) if others else (None, 0.0)
    entropy = math.fsum(-share * math.log2(share) for share in categories.values() if share > 0)
    if exact is None:
        return Acceptability(target, categories.get(target, 0.0), runner_up[0], runner_up[1], max(0.0, entropy))
    return Acceptability(
        category=target,
        probability=categories.get(target, 0.0),
        runner_up=runner_up[0],
        runner_up_probability=runner_up[1],
        entropy=max(0.0, entropy),
        confidence_factor=exact.confidence.get(target, 0.0),
        central_profiles=exact.central_scores,
        central_thresholds=exact.central_thresholds,
        sensitivity={name: (s.first_order, s.total) for name, s in exact.sensitivity.items()},
    )


@dataclass(frozen=True)
class DomainRobustness:
    """The outcome shares of one domain: exact probabilities, or counts of draws."""

    id: str
    name: str
    as_profiled: str  # the outcome of the profile's own values
    variations: tuple[Variation, ...]
    counts: dict[str, int]  # outcome label -> number of draws, most frequent first (draws only)
    draws: int  # 0 when exact
    method: Literal["exact", "monte-carlo"] = "monte-carlo"
    probabilities: dict[str, float] | None = None  # outcome label -> exact probability
    categories: dict[str, float] = field(default_factory=dict)
    leaves: dict[str, float] = field(default_factory=dict)  # leaf code ("open": several leaves) -> share
    acceptability: Acceptability | None = None
    notice: str | None = None  # why draws were used where exact shares were asked for

    def share(self, label: str) -> float:
        """The share of ``label``: its exact probability, or its share of the draws (0 when none)."""
        if self.probabilities is not None:
            return self.probabilities.get(label, 0.0)
        return self.counts.get(label, 0) / self.draws

    @property
    def outcomes(self) -> list[str]:
        """Outcome labels with a positive share, the likeliest first."""
        return list(self.probabilities if self.probabilities is not None else self.counts)

    @property
    def certain(self) -> bool:
        """True when a single outcome has all the probability (every draw, for draws)."""
        return len(self.outcomes) == 1

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "method": self.method,
            "as_profiled": self.as_profiled,
            "varied": [v.to_json() for v in self.variations],
            "shares": {label: _rounded(self.share(label)) for label in self.outcomes},
        }
        # Kept for readers of the drawn output; exact shares come from no count.
        data["counts"] = self.counts if self.method == "monte-carlo" else None
        data["categories"] = {label: _rounded(share) for label, share in self.categories.items()}
        data["leaves"] = {label: _rounded(share) for label, share in self.leaves.items()}
        if self.acceptability is not None:
            data["acceptability"] = self.acceptability.to_json()
        if self.notice is not None:
            data["notice"] = self.notice
        return data


@dataclass(frozen=True)
class RobustnessReport:
    """A whole run: its settings and one entry per domain."""

    draws: int
    seed: int
    thresholds: dict[str, float]  # thresholds overridden for the run (a range: its middle)
    sheets: str | None
    participants: tuple[str, ...]
    domains: tuple[DomainRobustness, ...]
    method: Literal["exact", "monte-carlo"] = "monte-carlo"
    threshold_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def sampled(self) -> bool:
        """True when at least one domain's shares come from draws."""
        return any(d.method == "monte-carlo" for d in self.domains)

    @property
    def margin(self) -> float:
        """Half-width of the 95% interval of a share at its widest (a share of 50%); 0 when exact."""
        return 1.96 * math.sqrt(0.25 / self.draws) if self.sampled else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "draws": self.draws if self.sampled else None,
            "seed": self.seed if self.sampled else None,
            "thresholds": self.thresholds,
            "threshold_ranges": {name: list(span) for name, span in self.threshold_ranges.items()},
            "sheets": self.sheets,
            "participants": list(self.participants),
            "margin_95": round(self.margin, 6),
            "domains": [d.to_json() for d in self.domains],
        }


def _label(evaluator: BulkEvaluator, code: int) -> str:
    return "undetermined" if code == UNDETERMINED else evaluator.labels[code]


def _category_map(evaluator: BulkEvaluator) -> dict[str, str]:
    mapping = {"undetermined": "undetermined"}
    for leaf in evaluator.rulebook.leaves.values():
        mapping[leaf.category if leaf.variant is None else f"{leaf.category}/{leaf.variant}"] = leaf.category
    return mapping


def _sorted_shares(shares: dict[str, float]) -> dict[str, float]:
    return dict(sorted(((k, v) for k, v in shares.items() if v > 0), key=lambda item: (-item[1], item[0])))


def _settings(rulebook: Rulebook, threshold_ranges: dict[str, tuple[float, float]]) -> dict[str, float]:
    """The thresholds set to one value for the run (a ranged one is reported as its range)."""
    return {
        name: t.value for name, t in rulebook.thresholds.items() if t.origin != "rules" and name not in threshold_ranges
    }


def run_robustness(
    inputs: list[DomainInputs],
    rulebook: Rulebook,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    sheets: Sheets | None = None,
    progress: Callable[[int], None] | None = None,
    threshold_ranges: dict[str, tuple[float, float]] | None = None,
    notice: str | None = None,
) -> RobustnessReport:
    """Draw every uncertain score ``draws`` times per domain and count the outcomes.

    A ranged threshold is drawn uniformly per draw; the score is shifted by the
    difference instead, so the evaluator keeps one threshold per column (``x >= t`` is
    ``x - t + t0 >= t0``). ``progress`` is called with the number of rows evaluated after
    each batch."""
    if draws < 1:
        raise ValueError("draws must be at least 1")
    ranges = threshold_ranges or {}
    evaluator = BulkEvaluator(rulebook)
    names = evaluator.score_names
    rng = np.random.Generator(np.random.PCG64(seed))
    width = len(evaluator.labels) + 1  # code + 1: 0 is undetermined
    leaf_width = len(evaluator.leaves) + 1  # code + 1: 0 is open
    counts = np.zeros((len(inputs), width), dtype=np.int64)
    leaf_counts = np.zeros((len(inputs), leaf_width), dtype=np.int64)
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
                for name, (low, high) in ranges.items():
                    drawn = rng.uniform(low, high, size)
                    columns[name][rows] += rulebook.thresholds[name].value - drawn
            found = evaluator.evaluate(columns)
            offsets = np.arange(len(batch))[:, None]
            codes = found.outcome.astype(np.int64).reshape(len(batch), size) + 1 + offsets * width
            counts[first : first + len(batch)] += np.bincount(codes.ravel(), minlength=len(batch) * width).reshape(
                len(batch), width
            )
            leaves = found.leaf.astype(np.int64).reshape(len(batch), size) + 1 + offsets * leaf_width
            leaf_counts[first : first + len(batch)] += np.bincount(
                leaves.ravel(), minlength=len(batch) * leaf_width
            ).reshape(len(batch), leaf_width)
            if progress is not None:
                progress(size * len(batch))
    profiled = evaluator.evaluate(
        {name: np.array([d.values[name] for d in inputs], dtype=float) for name in names}
    ).outcome
    category_of = _category_map(evaluator)
    domains = []
    for index, domain in enumerate(inputs):
        order = sorted((code for code in range(width) if counts[index, code]), key=lambda c: (-counts[index, c], c))
        outcome_counts = {_label(evaluator, code - 1): int(counts[index, code]) for code in order}
        categories: dict[str, float] = {}
        for label, count in outcome_counts.items():
            categories[category_of[label]] = categories.get(category_of[label], 0.0) + count / draws
        leaf_shares = {
            ("open" if code == 0 else evaluator.leaves[code - 1]): int(leaf_counts[index, code]) / draws
            for code in range(leaf_width)
        }
        as_profiled = _label(evaluator, int(profiled[index]))
        categories = _sorted_shares(categories)
        domains.append(
            DomainRobustness(
                id=domain.id,
                name=domain.name,
                as_profiled=as_profiled,
                variations=domain.variations,
                counts=outcome_counts,
                draws=draws,
                categories=categories,
                leaves=_sorted_shares(leaf_shares),
                acceptability=_acceptability(categories, category_of[as_profiled]),
                notice=notice,
            )
        )
    return RobustnessReport(
        draws=draws,
        seed=seed,
        thresholds=_settings(rulebook, ranges),
        sheets=None if sheets is None else sheets.directory,
        participants=tuple(sheets.participants) if sheets is not None else (),
        domains=tuple(domains),
        threshold_ranges=dict(ranges),
    )


def score_inputs(
    domain: DomainInputs, rulebook: Rulebook, threshold_ranges: dict[str, tuple[float, float]] | None = None
) -> list[ScoreInput]:
    """Every score of ``domain`` (rules order) as an independent law against its threshold's law."""
    ranges = threshold_ranges or {}
    by_score = {v.score: v for v in domain.variations}
    found = []
    for name in rulebook.scores:
        variation = by_score.get(name)
        if variation is None:
            value = domain.values[name]
            law = None if math.isnan(value) else Law.exact(value)
        elif variation.kind == "sheets":
            law = Law.discrete([value for _, value in variation.participants])
        elif variation.distribution == "triangular":
            law = Law.triangular(variation.low, variation.value, variation.high)
        else:
            law = Law.uniform(variation.low, variation.high)
        threshold = rulebook.thresholds[name]
        limit = Law.uniform(*ranges[name]) if name in ranges else Law.exact(threshold.value)
        found.append(ScoreInput(name, law, limit, threshold.op))
    return found


def run_exact(
    inputs: list[DomainInputs],
    rulebook: Rulebook,
    *,
    sheets: Sheets | None = None,
    threshold_ranges: dict[str, tuple[float, float]] | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> RobustnessReport:
    """Exact shares, acceptability and Sobol indices per domain.

    A domain whose boxes would exceed ``exact_shares.MAX_CELLS`` is drawn instead
    (``draws``, ``seed``), and its entry says so in ``notice``."""
    ranges = threshold_ranges or {}
    solver = ExactSolver(rulebook)
    evaluator = solver.evaluator
    category_of = _category_map(evaluator)
    names = evaluator.score_names
    profiled = evaluator.evaluate(
        {name: np.array([d.values[name] for d in inputs], dtype=float) for name in names}
    ).outcome
    labels = [_label(evaluator, int(code)) for code in profiled]
    solved = solver.solve_many(
        [
            (score_inputs(domain, rulebook, ranges), category_of[label])
            for domain, label in zip(inputs, labels, strict=True)
        ]
    )
    domains: list[DomainRobustness | None] = []
    fallback: list[int] = []
    for index, (domain, as_profiled, exact) in enumerate(zip(inputs, labels, solved, strict=True)):
        if exact is None:
            fallback.append(index)
            domains.append(None)
            continue
        domains.append(
            DomainRobustness(
                id=domain.id,
                name=domain.name,
                as_profiled=as_profiled,
                variations=domain.variations,
                counts={},
                draws=0,
                method="exact",
                probabilities=exact.outcomes,
                categories=exact.categories,
                leaves=exact.leaves,
                acceptability=_acceptability(exact.categories, exact.target, exact),
            )
        )
    if fallback:
        drawn = run_robustness(
            [inputs[i] for i in fallback],
            rulebook,
            draws=draws,
            seed=seed,
            sheets=sheets,
            threshold_ranges=ranges,
            notice="too many combinations of uncertain scores for exact shares: drawn instead, with sampling error",
        )
        for index, entry in zip(fallback, drawn.domains, strict=True):
            domains[index] = entry
    return RobustnessReport(
        draws=draws,
        seed=seed,
        thresholds=_settings(rulebook, ranges),
        sheets=None if sheets is None else sheets.directory,
        participants=tuple(sheets.participants) if sheets is not None else (),
        domains=tuple(d for d in domains if d is not None),
        method="exact",
        threshold_ranges=dict(ranges),
    )
