"""Margins: how far one score, or one threshold, can move before an outcome changes.

Exact for this tree, not a sampled approximation. Every test compares one score with
one threshold, so with the other scores fixed a domain's outcome depends on a score
only through the side of its threshold the score lies on. The outcome as a function of
one score is therefore piecewise constant on *classes*, closed intervals of the scale
that end at the thresholds: ``>= 4`` splits 0-5 into [0, 3.9999999999999996] and
[4, 5]; ``> 4`` into [0, 4] and [4.000000000000001, 5]. Evaluating one point of every
class gives the outcome everywhere, and the nearest point of a class (its end towards
the current value) gives the exact distance to it. The *outcome* is the category with
its variant, or ``undetermined``; a change of leaf inside a category is not a change.

Thresholds work the same way round: a domain's outcome changes with a threshold only
when the threshold crosses the domain's value of that score, so the candidates are the
domain values and their neighbouring floats.

Candidates are evaluated with :class:`~decision.engine.bulk.BulkEvaluator` (all candidates of
``decision margins`` in one call), or, for the fragile flag of ``decision classify``,
with the numpy-free :class:`~decision.engine.scalar.ScalarEvaluator`; both are proven
identical to the durable-rules engine. Distances are computed exactly with fractions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict

from decision.engine.scalar import UNDETERMINED_LABEL, ScalarEvaluator
from decision.errors import EngineError
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import Rulebook
from decision.model.result import DomainResult

Row = dict[str, float | None]
# Outcome labels ("strong", "no-focus/partnership", "undetermined") of rows of scores,
# with optional threshold overrides by score name.
Evaluate = Callable[[Sequence[Row], dict[str, float] | None], list[str]]


def num(value: float) -> str:
    """A number as people write it (4, 3.5), or its exact repr when that would round."""
    text = f"{value:g}"
    return text if float(text) == value else repr(value)


def scale_text(rulebook: Rulebook) -> str:
    """'0-5'."""
    return f"{num(rulebook.scale.min)}-{num(rulebook.scale.max)}"


def split_label(label: str) -> tuple[str, str | None]:
    """'no-focus/partnership' -> ('no-focus', 'partnership')."""
    category, _, variant = label.partition("/")
    return category, variant or None


# ----------------------------------------------------------------------------- evaluators


def bulk_evaluate(rulebook: Rulebook) -> Evaluate:
    """Evaluate rows with the vectorised evaluator, one call per batch (imports numpy)."""
    import numpy as np

    from decision.engine.bulk import BulkEvaluator

    bulk = BulkEvaluator(rulebook)

    def evaluate(rows: Sequence[Row], thresholds: dict[str, float] | None = None) -> list[str]:
        if not rows:
            return []
        columns = {
            name: np.array([math.nan if row.get(name) is None else row[name] for row in rows], dtype=float)
            for name in bulk.score_names
        }
        out = bulk.evaluate(columns, thresholds=thresholds)
        return [UNDETERMINED_LABEL if code < 0 else out.labels[code] for code in out.outcome.tolist()]

    return evaluate


def scalar_evaluate(rulebook: Rulebook) -> Evaluate:
    """Evaluate rows one by one in pure Python (no numpy import; for small batches)."""
    return ScalarEvaluator(rulebook).labels


# ----------------------------------------------------------------------------- classes


@dataclass(frozen=True)
class ScoreClass:
    """A closed interval of the scale on which every test reading the score answers alike.

    ``lo_text`` / ``hi_text`` are its ends as people read them ("[4", "(4", "4)", "4]"),
    ``enter_up`` / ``enter_down`` say how a move into the class reads ("at 4",
    "above 4", "below 4"), and ``threshold_below`` / ``threshold_above`` the threshold
    at each end (None at the scale's ends).
    """

    lo: float
    hi: float
    lo_text: str
    hi_text: str
    enter_up: str = ""
    enter_down: str = ""
    threshold_below: float | None = None
    threshold_above: float | None = None

    @property
    def text(self) -> str:
        return f"{self.lo_text}, {self.hi_text}"

    def contains(self, value: float) -> bool:
        return self.lo <= value <= self.hi

    def nearest(self, value: float) -> float:
        return min(max(value, self.lo), self.hi)


def score_classes(rulebook: Rulebook, score: str) -> list[ScoreClass]:
    """The classes of one score under the threshold in force, from the bottom of the scale."""
    low, high = rulebook.scale.min, rulebook.scale.max
    whole = [ScoreClass(low, high, f"[{num(low)}", f"{num(high)}]")]
    threshold = rulebook.thresholds.get(score)
    if threshold is None:
        return whole
    t = threshold.value
    if threshold.op == ">=" and low < t <= high:
        top, bottom = math.nextafter(t, -math.inf), t
        top_text, bottom_text, enter_down, enter_up = f"{num(t)})", f"[{num(t)}", f"below {num(t)}", f"at {num(t)}"
    elif threshold.op == ">" and low <= t < high:
        top, bottom = t, math.nextafter(t, math.inf)
        top_text, bottom_text, enter_down, enter_up = f"{num(t)}]", f"({num(t)}", f"at {num(t)}", f"above {num(t)}"
    else:  # the threshold sits at an end of the scale: every value is on the same side
        return whole
    return [
        ScoreClass(low, top, f"[{num(low)}", top_text, enter_down=enter_down, threshold_above=t),
        ScoreClass(bottom, high, bottom_text, f"{num(high)}]", enter_up=enter_up, threshold_below=t),
    ]


# ----------------------------------------------------------------------------- models


class _Model(BaseModel):
    # Built on first use, so importing this module (decision classify does) stays cheap.
    model_config = ConfigDict(defer_build=True)


class Move(_Model):
    """The smallest move of one score, in one direction, that changes the outcome."""

    direction: Literal["down", "up"]
    changes: bool  # False: no value in this direction, within the scale, changes the outcome
    to: str | None = None  # the outcome reached ("category" or "category/variant", or "undetermined")
    at: float | None = None  # the nearest value giving it (exact)
    distance: float | None = None  # |at - value|
    threshold: float | None = None  # the threshold crossed
    any_move: bool = False  # the nearest number in this direction already changes the outcome
    amount: str | None = None  # "+0.5", "-0.01", "any increase", "any decrease"
    where: str | None = None  # where the new outcome starts: "at 4", "below 4", "above 4"
    text: str  # "+0.5 (at 4) -> strong", "any decrease (below 4) -> moonshot", "none within 0-5"


class Segment(_Model):
    """A stretch of the scale over which the outcome is the same (other scores fixed)."""

    low: float  # exact, inclusive
    high: float  # exact, inclusive
    text: str  # "[0, 4)"
    outcome: str


class ScoreMargin(_Model):
    """One score of one domain: its margins, and the outcome over its whole scale."""

    score: str
    value: float | None  # None = missing
    op: str | None
    threshold: float | None
    down: Move | None  # None when the score is missing
    up: Move | None
    ranges: list[Segment]
    text: str  # one line: the margins, or for a missing score what each range would give


class DomainMargins(_Model):
    """The margins of every score of one domain."""

    id: str
    name: str
    file: str
    outcome: str
    category: str
    variant: str | None
    scale: str
    scores: list[ScoreMargin]


class DomainFlip(_Model):
    """A domain whose outcome changes when a threshold moves past its value."""

    id: str
    before: str
    after: str


class ThresholdFlip(_Model):
    """The first threshold value (moving one way) at which some domain changes outcome."""

    at: float  # exact threshold value
    text: str  # "to 3", "above 4.5", "below 2"
    domains: list[DomainFlip]


class ThresholdMargin(_Model):
    """The threshold values over which no domain of the portfolio changes outcome."""

    score: str
    op: str
    value: float
    origin: str
    low: float  # exact, inclusive
    high: float  # exact, inclusive
    text: str  # "(3, 4.5]"
    lowering: ThresholdFlip | None  # None: no change down to the bottom of the scale
    raising: ThresholdFlip | None  # None: no change up to the top of the scale


class ThresholdMargins(_Model):
    """``decision margins --thresholds``: one entry per threshold."""

    domains: list[str]
    scale: str
    thresholds: list[ThresholdMargin]


# ----------------------------------------------------------------------------- score margins


@dataclass
class _ScoreScan:
    value: float | None
    classes: list[ScoreClass]
    labels: list[str | None]  # per class; None where not evaluated
    own: int | None  # index of the class holding the value (None = missing)


@dataclass
class _DomainScan:
    profile: DomainProfile
    outcome: str
    scores: dict[str, _ScoreScan]


def _scan(
    rulebook: Rulebook, profiles: Sequence[DomainProfile], evaluate: Evaluate, reach: float | None = None
) -> list[_DomainScan]:
    """Evaluate, in one call, every class of every score of every profile.

    With ``reach``, only classes whose nearest point lies within ``reach`` of a present
    value are evaluated (missing scores are skipped): enough for the fragile flag.
    """
    classes = {name: score_classes(rulebook, name) for name in rulebook.scores}
    rows: list[Row] = []
    plans = []
    for profile in profiles:
        base = {name: profile.value(name) for name in rulebook.scores}
        base_index = len(rows)
        rows.append(base)
        plan = {}
        for name, score_classes_ in classes.items():
            value = base[name]
            if value is None and reach is not None:
                continue
            own = None if value is None else next(i for i, c in enumerate(score_classes_) if c.contains(value))
            indices: list[int | None] = []
            for index, score_class in enumerate(score_classes_):
                point = score_class.lo if value is None else score_class.nearest(value)
                if index == own:
                    indices.append(base_index)
                elif reach is not None and abs(Fraction(point) - Fraction(value)) > Fraction(reach):
                    indices.append(None)
                else:
                    indices.append(len(rows))
                    rows.append({**base, name: point})
            plan[name] = (value, own, indices)
        plans.append((profile, base_index, plan))
    labels = evaluate(rows, None)
    scans = []
    for profile, base_index, plan in plans:
        scores = {
            name: _ScoreScan(value, classes[name], [None if i is None else labels[i] for i in indices], own)
            for name, (value, own, indices) in plan.items()
        }
        scans.append(_DomainScan(profile, labels[base_index], scores))
    return scans


def _first_change(scan: _ScoreScan, outcome: str, direction: str) -> tuple[ScoreClass, str] | None:
    """The nearest class in ``direction`` whose outcome differs, with that outcome."""
    assert scan.own is not None
    order = range(scan.own + 1, len(scan.classes)) if direction == "up" else range(scan.own - 1, -1, -1)
    for index in order:
        label = scan.labels[index]
        if label is not None and label != outcome:
            return scan.classes[index], label
    return None


def _move(rulebook: Rulebook, scan: _ScoreScan, outcome: str, direction: Literal["down", "up"]) -> Move:
    value = scan.value
    assert value is not None
    change = _first_change(scan, outcome, direction)
    if change is None:
        return Move(direction=direction, changes=False, text=f"none within {scale_text(rulebook)}")
    score_class, label = change
    at = score_class.lo if direction == "up" else score_class.hi
    distance = abs(Fraction(at) - Fraction(value))
    any_move = at == math.nextafter(value, math.inf if direction == "up" else -math.inf)
    where = score_class.enter_up if direction == "up" else score_class.enter_down
    threshold = score_class.threshold_below if direction == "up" else score_class.threshold_above
    if any_move:
        amount = "any increase" if direction == "up" else "any decrease"
    else:
        amount = ("+" if direction == "up" else "-") + f"{float(distance):g}"
    return Move(
        direction=direction,
        changes=True,
        to=label,
        at=at,
        distance=float(distance),
        threshold=threshold,
        any_move=any_move,
        amount=amount,
        where=where,
        text=f"{amount} ({where}) -> {label}",
    )


def _segments(scan: _ScoreScan) -> list[Segment]:
    """Runs of adjacent evaluated classes with the same outcome."""
    runs: list[list[tuple[ScoreClass, str]]] = []
    previous: str | None = None
    for score_class, label in zip(scan.classes, scan.labels, strict=True):
        if label is not None and runs and previous == label:
            runs[-1].append((score_class, label))
        elif label is not None:
            runs.append([(score_class, label)])
        previous = label
    return [
        Segment(low=run[0][0].lo, high=run[-1][0].hi, text=f"{run[0][0].lo_text}, {run[-1][0].hi_text}", outcome=label)
        for run in runs
        for label in [run[0][1]]
    ]


def _score_margin(rulebook: Rulebook, name: str, scan: _ScoreScan, outcome: str) -> ScoreMargin:
    threshold = rulebook.thresholds.get(name)
    segments = _segments(scan)
    if scan.value is None:
        down = up = None
        if len(segments) == 1:
            text = f"missing; any value gives {segments[0].outcome}"
            if segments[0].outcome == outcome:
                text += " (as now)"
        else:
            text = "missing; " + ", ".join(f"{s.text} -> {s.outcome}" for s in segments)
    else:
        down, up = _move(rulebook, scan, outcome, "down"), _move(rulebook, scan, outcome, "up")
        text = f"down: {down.text}; up: {up.text}"
    return ScoreMargin(
        score=name,
        value=scan.value,
        op=None if threshold is None else threshold.op,
        threshold=None if threshold is None else threshold.value,
        down=down,
        up=up,
        ranges=segments,
        text=text,
    )


def domain_margins(
    rulebook: Rulebook, profiles: Sequence[DomainProfile], evaluate: Evaluate | None = None
) -> list[DomainMargins]:
    """The margins of every score of every profile (all candidates in one evaluation)."""
    evaluate = evaluate or bulk_evaluate(rulebook)
    results = []
    for scan in _scan(rulebook, profiles, evaluate):
        category, variant = split_label(scan.outcome)
        results.append(
            DomainMargins(
                id=scan.profile.id,
                name=scan.profile.name,
                file=scan.profile.file,
                outcome=scan.outcome,
                category=category,
                variant=variant,
                scale=scale_text(rulebook),
                scores=[_score_margin(rulebook, name, s, scan.outcome) for name, s in scan.scores.items()],
            )
        )
    return results


# ----------------------------------------------------------------------------- fragility


def fragility(
    rulebook: Rulebook,
    profiles: Sequence[DomainProfile],
    step: float | None = None,
    evaluate: Evaluate | None = None,
) -> list[list[str]]:
    """Per profile, the one-score moves of at most ``step`` (default: ``fragile_step`` in
    rules/workshop.yaml) that change the outcome, e.g. ``"science -0.01 -> ecosystem-gap"``.

    Only present scores move (a missing score has no value to move from; what it would
    decide is in the result's ``blocking`` / ``reachable``). Uses the numpy-free
    evaluator unless told otherwise.
    """
    step = rulebook.workshop.fragile_step if step is None else step
    evaluate = evaluate or scalar_evaluate(rulebook)
    out = []
    for scan in _scan(rulebook, profiles, evaluate, reach=step):
        entries = []
        for name, score_scan in scan.scores.items():
            for direction in ("down", "up"):
                move = _move(rulebook, score_scan, scan.outcome, direction)
                if move.changes and Fraction(move.distance) <= Fraction(step):  # type: ignore[arg-type]
                    entries.append(f"{name} {move.amount} -> {move.to}")
        out.append(entries)
    return out


def with_fragility(
    rulebook: Rulebook, profiles: Sequence[DomainProfile], results: Sequence[DomainResult]
) -> list[DomainResult]:
    """The engine's results with ``fragile`` filled in (the numpy-free evaluator).

    The evaluator's outcome for each unchanged profile is checked against the engine's:
    a disagreement is an engine error, never a silently wrong flag.
    """
    evaluate = scalar_evaluate(rulebook)
    base = evaluate([{name: p.value(name) for name in rulebook.scores} for p in profiles], None)
    for profile, result, label in zip(profiles, results, base, strict=True):
        engine_label = result.category if result.variant is None else f"{result.category}/{result.variant}"
        if engine_label != label:
            raise EngineError(f"{profile.id}: the engine says {engine_label}, the evaluator {label}")
    flags = fragility(rulebook, profiles, evaluate=evaluate)
    return [result.model_copy(update={"fragile": flag}) for result, flag in zip(results, flags, strict=True)]


# ----------------------------------------------------------------------------- thresholds


def _first_flip(
    evaluate: Evaluate,
    rows: list[Row],
    base: list[str],
    profiles: Sequence[DomainProfile],
    name: str,
    candidates: list[tuple[float, str, float]],
) -> tuple[ThresholdFlip | None, float | None]:
    """Try the candidate threshold values in order; the first that changes an outcome."""
    for at, text, value in candidates:
        labels = evaluate(rows, {name: at})
        flips = [
            DomainFlip(id=profile.id, before=before, after=after)
            for profile, before, after in zip(profiles, base, labels, strict=True)
            if after != before
        ]
        if flips:
            return ThresholdFlip(at=at, text=text, domains=flips), value
    return None, None


def threshold_margins(
    rulebook: Rulebook, profiles: Sequence[DomainProfile], evaluate: Evaluate | None = None
) -> ThresholdMargins:
    """For each threshold, the interval of its values over which no domain changes outcome,
    and which domains change first at each end (and to what).

    A domain's test flips only when the threshold crosses the domain's value ``v``: for
    ``>=`` it passes while the threshold is at most ``v``, so raising the threshold
    flips it at the float just above ``v`` and lowering it flips it at ``v``; for ``>``
    the same with the roles swapped. Between two such points nothing changes, so trying
    them in order from the threshold in force outwards finds each end exactly. Values
    beyond the scale are never tried.
    """
    evaluate = evaluate or bulk_evaluate(rulebook)
    rows = [{name: p.value(name) for name in rulebook.scores} for p in profiles]
    base = evaluate(rows, None)
    low, high = rulebook.scale.min, rulebook.scale.max
    entries = []
    for name, threshold in rulebook.thresholds.items():
        t0, op = threshold.value, threshold.op
        values = sorted({row[name] for row in rows if row[name] is not None})
        # (threshold value at which the domain's test flips, how it reads, the domain value)
        if op == ">=":
            raising = [(math.nextafter(v, math.inf), f"above {num(v)}", v) for v in values if v >= t0]
            lowering = [(v, f"to {num(v)}", v) for v in values if v < t0]
        else:
            raising = [(v, f"to {num(v)}", v) for v in values if v > t0]
            lowering = [(math.nextafter(v, -math.inf), f"below {num(v)}", v) for v in values if v <= t0]
        raising = sorted(c for c in raising if c[0] <= high)
        lowering = sorted((c for c in lowering if c[0] >= low), reverse=True)
        up, up_value = _first_flip(evaluate, rows, base, profiles, name, raising)
        down, down_value = _first_flip(evaluate, rows, base, profiles, name, lowering)
        if up is None:
            hi, hi_text = high, f"{num(high)}]"
        else:
            hi = math.nextafter(up.at, -math.inf)
            hi_text = f"{num(up_value)}]" if op == ">=" else f"{num(up_value)})"  # type: ignore[arg-type]
        if down is None:
            lo, lo_text = low, f"[{num(low)}"
        else:
            lo = math.nextafter(down.at, math.inf)
            lo_text = f"({num(down_value)}" if op == ">=" else f"[{num(down_value)}"  # type: ignore[arg-type]
        entries.append(
            ThresholdMargin(
                score=name,
                op=op,
                value=t0,
                origin=threshold.origin,
                low=lo,
                high=hi,
                text=f"{lo_text}, {hi_text}",
                lowering=down,
                raising=up,
            )
        )
    return ThresholdMargins(domains=[p.id for p in profiles], scale=scale_text(rulebook), thresholds=entries)
