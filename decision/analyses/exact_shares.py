"""Exact outcome probabilities of uncertain scores, without draws.

Every test of the tree compares one score with that score's one threshold, so a score
enters the classification only through a single yes/no fact: does it pass its threshold
(or is it missing)? With independent scores (a range, a triangular range, an exact value,
a missing score, the equally likely values of the participants' sheets) and independent
thresholds (a fixed value, or a range read as uniform), those facts are independent, and
the probability of an outcome is a finite sum over the combinations of passes and
fails, each weighted by the product of one-dimensional probabilities. Each combination
is a box of the score space; one representative row per box (a pass as +inf, a fail as
-inf, a missing score as NaN) is classified by the vectorised evaluator, so the tree is
read from the rules and never written a second time.

The one-dimensional probabilities come from laws made of atoms (exact values, sheets)
and pieces of linear density (uniform, triangular). Everything needed (P(pass), the
conditional means within a pass or a fail, and the variances of the Sobol indices) is
the expectation of a piecewise polynomial of degree at most seven, which Gauss-Legendre
quadrature with four nodes per piece computes exactly; pieces are cut at every atom and
breakpoint of the other variable, so a comparison at equality is settled by the atoms
themselves (a continuous law puts no mass on a point).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

from decision.engine.bulk import UNDETERMINED, BulkEvaluator
from decision.errors import DecisionError
from decision.inputs.rulebook import Rulebook

# Beyond this many boxes per domain the enumeration is no faster than draws.
MAX_CELLS = 1 << 16
# Probabilities within this of 0 or 1 are rounding, not chance (quadrature sums).
ROUNDING = 1e-12

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(4)


@dataclass(frozen=True)
class Law:
    """A one-dimensional distribution: atoms ``(value, probability)`` and pieces
    ``(x0, x1, density at x0, density at x1)`` of linear density."""

    atoms: tuple[tuple[float, float], ...] = ()
    pieces: tuple[tuple[float, float, float, float], ...] = ()

    @classmethod
    def exact(cls, value: float) -> Law:
        """An exact value."""
        return cls(atoms=((float(value), 1.0),))

    @classmethod
    def uniform(cls, low: float, high: float) -> Law:
        """Uniform on [low, high] (an exact value when they coincide)."""
        if low == high:
            return cls.exact(low)
        density = 1.0 / (high - low)
        return cls(pieces=((low, high, density, density),))

    @classmethod
    def triangular(cls, low: float, mode: float, high: float) -> Law:
        """Triangular on [low, high] with its peak at ``mode``."""
        if low == high:
            return cls.exact(low)
        peak = 2.0 / (high - low)
        pieces = []
        if mode > low:
            pieces.append((low, mode, 0.0, peak))
        if high > mode:
            pieces.append((mode, high, peak, 0.0))
        return cls(pieces=tuple(pieces))

    @classmethod
    def discrete(cls, values: list[float] | tuple[float, ...]) -> Law:
        """Each of ``values`` equally likely (a repeated value counts as often as it appears)."""
        counts: dict[float, int] = {}
        for value in values:
            counts[float(value)] = counts.get(float(value), 0) + 1
        return cls(atoms=tuple((value, count / len(values)) for value, count in sorted(counts.items())))

    @property
    def breakpoints(self) -> list[float]:
        """Where a function of this variable may jump: its atoms and the ends of its pieces."""
        points = {value for value, _ in self.atoms}
        for x0, x1, _, _ in self.pieces:
            points.update((x0, x1))
        return sorted(points)

    @property
    def fixed(self) -> float | None:
        """The value when the law is a single atom, else None."""
        return self.atoms[0][0] if len(self.atoms) == 1 and not self.pieces else None

    def below(self, x: np.ndarray, strict: bool) -> np.ndarray:
        """P(L < x) when ``strict``, else P(L <= x), for every entry of ``x``."""
        x = np.asarray(x, dtype=float)
        total = np.zeros_like(x)
        for value, weight in self.atoms:
            total += weight * ((value < x) if strict else (value <= x))
        for x0, x1, d0, d1 in self.pieces:
            u = np.clip(x, x0, x1) - x0
            total += u * d0 + (d1 - d0) * u * u / (2 * (x1 - x0))
        return total

    def expect(self, function, cuts: list[float]) -> float:
        """E[function(L)] for a function that is a polynomial between the ``cuts``."""
        total = [weight * float(function(np.array([value]))[0]) for value, weight in self.atoms]
        for x0, x1, d0, d1 in self.pieces:
            edges = [x0, *(c for c in cuts if x0 < c < x1), x1]
            for a, b in itertools.pairwise(edges):
                half = (b - a) / 2
                x = a + half * (_NODES + 1)
                density = d0 + (d1 - d0) * (x - x0) / (x1 - x0)
                total.append(float(half * np.sum(_WEIGHTS * density * function(x))))
        return math.fsum(total)

    def mean(self) -> float:
        """E[L]."""
        return self.expect(lambda x: x, [])


def _clean(p: float) -> float:
    return 0.0 if p < ROUNDING else 1.0 if p > 1 - ROUNDING else p


@dataclass(frozen=True)
class Comparison:
    """One score against its threshold: the chance it passes and the moments the report needs.

    ``c(x)`` is the chance a score of ``x`` passes (over the threshold), ``a(t)`` the chance
    the score passes a threshold of ``t`` (over the score). Conditional means are None
    where the condition has no chance."""

    passes: float
    score_mean: tuple[float | None, float | None]  # E[score | fail], E[score | pass]
    threshold_mean: tuple[float | None, float | None]  # E[threshold | fail], E[threshold | pass]
    score_first: float  # Var(c(score)): first-order variance factor of the score
    score_total: float  # E[a(T)(1 - a(T))]: total variance factor of the score
    threshold_first: float  # Var(a(threshold))
    threshold_total: float  # E[c(X)(1 - c(X))]


@functools.lru_cache(maxsize=4096)
def compare(score: Law, threshold: Law, op: str) -> Comparison:
    """The exact pass probability and moments of ``score op threshold`` for independent laws.

    Cached: a workshop's profiles repeat the same ranges against the same thresholds."""
    strict = op == ">"
    limit = threshold.fixed
    if limit is not None:
        # A fixed threshold: c(x) is an indicator, so both variance factors are p(1 - p).
        passes = _clean(float(1.0 - score.below(np.array([limit]), strict=not strict)[0]))
        above = score.expect(lambda x: x * ((x > limit) if strict else (x >= limit)), [limit])

        def side(mass_mean: float, mean: float) -> tuple[float | None, float | None]:
            return ((mean - mass_mean) / (1 - passes) if passes < 1 else None), (
                mass_mean / passes if passes > 0 else None
            )

        spread = passes * (1 - passes)
        return Comparison(
            passes=passes,
            score_mean=side(above, score.mean()),
            threshold_mean=(limit if passes < 1 else None, limit if passes > 0 else None),
            score_first=spread,
            score_total=spread,
            threshold_first=0.0,
            threshold_total=0.0,
        )

    def c(x):  # P(x op T)
        return threshold.below(x, strict=strict)

    def a(t):  # P(X op t) = 1 - P(X < t) for >=, 1 - P(X <= t) for >
        return 1.0 - score.below(t, strict=not strict)

    on_score, on_threshold = threshold.breakpoints, score.breakpoints
    passes = _clean(score.expect(c, on_score))
    score_pass = score.expect(lambda x: x * c(x), on_score)
    threshold_pass = threshold.expect(lambda t: t * a(t), on_threshold)
    score_mean, threshold_mean = score.mean(), threshold.mean()

    def split(mean_pass_mass: float, mean: float) -> tuple[float | None, float | None]:
        fail = (mean - mean_pass_mass) / (1 - passes) if passes < 1 else None
        return fail, (mean_pass_mass / passes if passes > 0 else None)

    def variance(values_mean: float, squares_mean: float) -> float:
        return max(0.0, squares_mean - values_mean * values_mean)

    return Comparison(
        passes=passes,
        score_mean=split(score_pass, score_mean),
        threshold_mean=split(threshold_pass, threshold_mean),
        score_first=variance(passes, score.expect(lambda x: c(x) ** 2, on_score)),
        score_total=max(0.0, threshold.expect(lambda t: a(t) * (1 - a(t)), on_threshold)),
        threshold_first=variance(passes, threshold.expect(lambda t: a(t) ** 2, on_threshold)),
        threshold_total=max(0.0, score.expect(lambda x: c(x) * (1 - c(x)), on_score)),
    )


@dataclass(frozen=True)
class ScoreInput:
    """One score of one domain as the exact computation sees it (``law`` None = missing)."""

    name: str
    law: Law | None
    threshold: Law
    op: str


@dataclass(frozen=True)
class Sensitivity:
    """First-order and total Sobol index of one uncertain input."""

    first_order: float
    total: float


@dataclass(frozen=True)
class ExactDomain:
    """Exact probabilities of one domain, and what the acceptability report is built from."""

    outcomes: dict[str, float]  # outcome label (category or category/variant, or undetermined)
    categories: dict[str, float]
    leaves: dict[str, float]  # leaf code, or "open" where a missing score leaves several leaves
    central_scores: dict[str, dict[str, float | None]]  # category -> score -> E[score | category]
    central_thresholds: dict[str, dict[str, float | None]]  # only the uncertain thresholds
    confidence: dict[str, float]  # category -> its share with the thresholds at its central values
    sensitivity: dict[str, Sensitivity]  # "science", "threshold science" -> indices
    target: str  # the category the Sobol indices are about
    cells: int


@dataclass(frozen=True)
class Boxes:
    """One domain's boxes before classification: row k is a combination of passes and fails."""

    scores: tuple[ScoreInput, ...]
    comparisons: dict[str, Comparison]
    varying: tuple[str, ...]  # axis k of ``grid`` is varying[k]; 0 = fail, 1 = pass
    grid: np.ndarray
    weight: np.ndarray  # probability of each row's box
    columns: list[np.ndarray]  # representative rows: +inf passes, -inf fails, NaN is missing


@functools.cache
def _grid(size: int) -> np.ndarray:
    grid = np.array(list(itertools.product((0, 1), repeat=size)), dtype=np.int8).reshape(2**size, size)
    grid.flags.writeable = False
    return grid


class TooManyCells(DecisionError):
    """The product of boxes of one domain exceeds MAX_CELLS; the caller falls back to draws."""


def _category_of(rulebook: Rulebook) -> tuple[dict[str, str], dict[str, str]]:
    labels, leaves = {}, {}
    for code, leaf in rulebook.leaves.items():
        label = leaf.category if leaf.variant is None else f"{leaf.category}/{leaf.variant}"
        labels[label] = leaf.category
        leaves[code] = leaf.category
    return labels, leaves


class ExactSolver:
    """Exact outcome probabilities under one rulebook; reusable across domains."""

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook
        self.evaluator = BulkEvaluator(rulebook)
        self.category_of_label, _ = _category_of(rulebook)

    def classify_cells(self, states: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Outcome and leaf codes of representative rows (one column per score, in rules order)."""
        columns = dict(zip(self.evaluator.score_names, states, strict=True))
        result = self.evaluator.evaluate(columns)
        return result.outcome, result.leaf

    def prepare(self, scores: list[ScoreInput]) -> Boxes:
        """The boxes of one domain: which scores vary, their pass chances, one row per box.

        Raises TooManyCells beyond MAX_CELLS boxes."""
        comparisons: dict[str, Comparison] = {}
        fixed_state: dict[str, float] = {}
        varying: list[str] = []
        for entry in scores:
            if entry.law is None:
                fixed_state[entry.name] = math.nan
                continue
            found = compare(entry.law, entry.threshold, entry.op)
            comparisons[entry.name] = found
            if found.passes in (0.0, 1.0):
                fixed_state[entry.name] = math.inf if found.passes == 1.0 else -math.inf
            else:
                varying.append(entry.name)
        if 2 ** len(varying) > MAX_CELLS:
            raise TooManyCells(f"{2 ** len(varying)} boxes")
        grid = _grid(len(varying))
        rows = len(grid)
        columns = []
        for entry in scores:
            if entry.name in fixed_state:
                columns.append(np.full(rows, fixed_state[entry.name]))
            else:
                axis = varying.index(entry.name)
                columns.append(np.where(grid[:, axis] == 1, math.inf, -math.inf))
        weight = np.ones(rows)
        for axis, name in enumerate(varying):
            p = comparisons[name].passes
            weight *= np.where(grid[:, axis] == 1, p, 1 - p)
        return Boxes(tuple(scores), comparisons, tuple(varying), grid, weight, columns)

    def solve(self, scores: list[ScoreInput], target: str) -> ExactDomain:
        """Exact probabilities of every outcome for independent ``scores`` (in rules order);
        Sobol indices of "the category is ``target``"."""
        boxes = self.prepare(scores)
        outcome, leaf = self.classify_cells(boxes.columns)
        return self.finish(boxes, outcome, leaf, target)

    def solve_many(self, domains: list[tuple[list[ScoreInput], str]]) -> list[ExactDomain | None]:
        """``solve`` for many domains with one evaluator call; None where TooManyCells."""
        prepared: list[Boxes | None] = []
        for scores, _ in domains:
            try:
                prepared.append(self.prepare(scores))
            except TooManyCells:
                prepared.append(None)
        present = [boxes for boxes in prepared if boxes is not None]
        if not present:
            return [None] * len(domains)
        columns = [np.concatenate([boxes.columns[k] for boxes in present]) for k in range(len(present[0].columns))]
        outcome, leaf = self.classify_cells(columns)
        results: list[ExactDomain | None] = []
        start = 0
        for boxes, (_, target) in zip(prepared, domains, strict=True):
            if boxes is None:
                results.append(None)
                continue
            end = start + len(boxes.grid)
            results.append(self.finish(boxes, outcome[start:end], leaf[start:end], target))
            start = end
        return results

    def finish(self, boxes: Boxes, outcome: np.ndarray, leaf: np.ndarray, target: str) -> ExactDomain:
        """Probabilities, central profiles, confidence and Sobol indices from classified boxes."""
        scores, comparisons, varying, grid, weight = (
            list(boxes.scores),
            boxes.comparisons,
            list(boxes.varying),
            boxes.grid,
            boxes.weight,
        )
        rows = len(grid)
        labels = self.evaluator.labels
        outcomes = _totals(
            ("undetermined" if code == UNDETERMINED else labels[code] for code in outcome.tolist()), weight
        )
        category_of = self.category_of_label
        category_per_row = [
            "undetermined" if code == UNDETERMINED else category_of[labels[code]] for code in outcome.tolist()
        ]
        categories = _totals(category_per_row, weight)
        leaves = _totals(("open" if code < 0 else self.evaluator.leaves[code] for code in leaf.tolist()), weight)

        central_scores: dict[str, dict[str, float | None]] = {}
        central_thresholds: dict[str, dict[str, float | None]] = {}
        uncertain_thresholds = [e for e in scores if e.threshold.fixed is None]
        confidence: dict[str, float] = {}
        for category, share in categories.items():
            inside = weight * np.array([c == category for c in category_per_row])
            central_scores[category] = {
                e.name: self._central(e, comparisons, varying, grid, inside, share, "score") for e in scores
            }
            if uncertain_thresholds:
                central_thresholds[category] = {
                    e.name: self._central(e, comparisons, varying, grid, inside, share, "threshold")
                    for e in uncertain_thresholds
                }
                confidence[category] = self._confidence(scores, central_thresholds[category], category)
            else:
                confidence[category] = share

        sensitivity = self._sobol(scores, comparisons, varying, grid, weight, np.array(category_per_row) == target)
        return ExactDomain(
            outcomes=outcomes,
            categories=categories,
            leaves=leaves,
            central_scores=central_scores,
            central_thresholds=central_thresholds,
            confidence=confidence,
            sensitivity=sensitivity,
            target=target,
            cells=rows,
        )

    @staticmethod
    def _central(entry, comparisons, varying, grid, inside, share, what) -> float | None:
        """E[score (or threshold) | category]: within a box, the conditional mean of its side."""
        if what == "score" and entry.law is None:
            return None
        found = comparisons.get(entry.name)
        law = entry.law if what == "score" else entry.threshold
        if found is None:  # a missing score: its threshold is never compared
            return law.mean()
        means = found.score_mean if what == "score" else found.threshold_mean
        if entry.name not in varying:
            side = means[1] if found.passes == 1.0 else means[0]
            return side
        axis = varying.index(entry.name)
        passing = float(np.sum(inside[grid[:, axis] == 1]))
        failing = float(np.sum(inside[grid[:, axis] == 0]))
        parts = [(passing, means[1]), (failing, means[0])]
        return math.fsum(mass * mean for mass, mean in parts if mass > 0) / share

    def _confidence(self, scores: list[ScoreInput], thresholds: dict[str, float | None], category: str) -> float:
        """The share of ``category`` with every uncertain threshold held at its central value."""
        held = [
            ScoreInput(e.name, e.law, Law.exact(thresholds[e.name]), e.op) if e.name in thresholds else e
            for e in scores
        ]
        return self.solve(held, category).categories.get(category, 0.0)

    @staticmethod
    def _sobol(scores, comparisons, varying, grid, weight, hit) -> dict[str, Sensitivity]:
        """Sobol indices of the indicator ``hit`` (a function of the pass/fail facts).

        Given everything but one fact, the outcome is a two-valued function of it; the
        variance factors of ``Comparison`` carry that to the score and to its threshold."""
        result: dict[str, Sensitivity] = {}
        y = hit.astype(float)
        mean = float(np.dot(weight, y))
        variance = mean * (1 - mean)
        for entry in scores:
            inputs = [entry.name] + ([f"threshold {entry.name}"] if entry.threshold.fixed is None else [])
            if variance < ROUNDING or entry.name not in varying:
                for name in inputs:
                    result[name] = Sensitivity(0.0, 0.0)
                continue
            axis = varying.index(entry.name)
            found = comparisons[entry.name]
            p = found.passes
            on, off = grid[:, axis] == 1, grid[:, axis] == 0
            mu1 = float(np.dot(weight[on], y[on])) / p
            mu0 = float(np.dot(weight[off], y[off])) / (1 - p)
            # Rows on and off the axis pair up in the same order (itertools.product).
            other = weight[on] / p
            jump = float(np.dot(other, (y[on] - y[off]) ** 2))
            gap = (mu1 - mu0) ** 2
            result[entry.name] = Sensitivity(
                _index(gap * found.score_first / variance), _index(jump * found.score_total / variance)
            )
            if entry.threshold.fixed is None:
                result[f"threshold {entry.name}"] = Sensitivity(
                    _index(gap * found.threshold_first / variance), _index(jump * found.threshold_total / variance)
                )
        return result


def _index(value: float) -> float:
    return 0.0 if value < ROUNDING else min(1.0, value)


def _totals(keys, weight: np.ndarray) -> dict[str, float]:
    sums: dict[str, list[float]] = {}
    for key, w in zip(keys, weight.tolist(), strict=True):
        if w > 0:
            sums.setdefault(key, []).append(w)
    totals = {key: math.fsum(values) for key, values in sums.items()}
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))
