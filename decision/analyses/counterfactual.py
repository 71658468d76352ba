"""Counterfactuals: the smallest change of scores that moves a domain into a target category.

Exact for this tree, not a heuristic. Every test of the tree compares one score with one
threshold, so a profile's outcome depends only on the *class* of each score: missing, or
which side of every threshold on that score its value lies. The classes of a score are
closed intervals of the scale (``>= 4`` splits 0-5 into [0, 3.9999999999999996] and
[4, 5]; ``> 4`` into [0, 4] and [4.000000000000001, 5]).

Hence, for a present score with value ``v``, the only values worth trying are ``v``
itself and, for every *other* class, the point of that class nearest to ``v`` (for one
``>=`` threshold ``t``: ``t`` to pass, ``math.nextafter(t, -inf)`` to fail). Any other
change set can be replaced by one of these with the same outcome, the same or fewer
changed scores (a change that stays in its own class is dropped) and the same or a
smaller total change (the nearest point of a class is at least as close). So the
optimum over the whole continuous scale is among these candidates, and enumerating
them all (every subset of changeable scores times every choice of other class) is a
complete search. There are at most prod(1 + other classes) candidates: 64 for six
present scores with one threshold each. They are all evaluated in one vectorised
:class:`~decision.engine.bulk.BulkEvaluator` call, ranked by (number of scores changed, total
absolute change) computed exactly with fractions, and every optimal change set is
confirmed by the rules engine's walk (:class:`~decision.engine.walk.Engine`).

**Missing scores.** A missing score may be filled in. Filling counts as one change,
and its distance is **0**: a missing score has no position on the scale to move from,
and any invented origin (the scale's midpoint, its bottom) would be arbitrary and would
let that choice decide the answer. What a fill asserts is a *class* ("economic turns
out to be at least 4"), and every value of the class gives the same outcome; the result
states the class as a range and uses its end at a threshold (the lower end when the
class lies between two thresholds) as the value shown and confirmed. Consequence: with
equal numbers of changes, filling a missing score ranks before moving a known one, i.e.
"find out the missing score" is the cheapest advice when it suffices.

A change always puts a value on the scale; a present score is never made missing.
Scores no node of the tree reads (feasibility, in ``warn`` mode) can never change the
category and are not searched. A score marked fixed keeps its value (a missing fixed
score stays missing).
"""

from __future__ import annotations

import itertools
import math
import textwrap
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from decision.engine.bulk import UNDETERMINED, BulkEvaluator, outcome_label
from decision.engine.walk import Engine
from decision.errors import EngineError, UsageError, unknown_name
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import Rulebook, Threshold
from decision.model.result import DomainResult, ScoreValue
from decision.model.wording import path_summary

FILL_DISTANCE = Fraction(0)
NBSP = "\u00a0"
FILL_RULE = (
    "a filled-in missing score counts as one change at distance 0 (it has no value to move from); "
    "every value of the stated range gives the same result, the value shown is the range's end at a threshold"
)


# ----------------------------------------------------------------------------- classes


@dataclass(frozen=True)
class ScoreClass:
    """A closed interval of the scale on which every test reading the score answers alike."""

    lo: float
    hi: float
    # Written with the thresholds as people read them: "[0, 4)", "[4, 5]", "(4, 5]".
    text: str = ""

    def contains(self, value: float) -> bool:
        return self.lo <= value <= self.hi

    def nearest(self, value: float) -> float:
        """The point of the class closest to ``value``."""
        return min(max(value, self.lo), self.hi)


def thresholds_on(rulebook: Rulebook, score: str) -> list[Threshold]:
    """Every threshold the tree compares ``score`` with (one per score in this rules format)."""
    threshold = rulebook.thresholds.get(score)
    return [] if threshold is None else [threshold]


def _passes(value: float, threshold: Threshold) -> bool:
    return value >= threshold.value if threshold.op == ">=" else value > threshold.value


def score_classes(rulebook: Rulebook, score: str) -> list[ScoreClass]:
    """The classes of ``score`` in ascending order, restricted to the scale (empty ones dropped)."""
    low, high = rulebook.scale.min, rulebook.scale.max
    # Each threshold splits the scale at the first value of its passing side: (that
    # value, whether it is the threshold itself), i.e. (4, True) for ">= 4" and
    # (4.000000000000001, False) for "> 4".
    splits = sorted(
        {
            (t.value, True) if t.op == ">=" else (math.nextafter(t.value, math.inf), False)
            for t in thresholds_on(rulebook, score)
        }
    )
    classes = []
    edges = [(-math.inf, True), *splits]
    for index, (start, start_closed) in enumerate(edges):
        lo = max(start, low)
        if index + 1 < len(edges):
            end, end_closed = edges[index + 1]
            hi = math.nextafter(end, -math.inf)
        else:
            end, end_closed, hi = high, None, high
        hi = min(hi, high)
        if lo > hi:
            continue
        left = f"[{fmt(lo)}" if start_closed or lo == low else f"({fmt(math.nextafter(lo, -math.inf))}"
        # The upper end is open only below a ">=" threshold: "[0, 4)".
        right = f"{fmt(end)})" if end_closed and hi < high else f"{fmt(hi)}]"
        classes.append(ScoreClass(lo, hi, f"{left}, {right}"))
    return classes


def near_threshold(rulebook: Rulebook, score: str, value: float) -> str:
    """' (just below 4)' when ``value`` is the float next to a threshold on ``score``, else ''."""
    for threshold in thresholds_on(rulebook, score):
        if value == math.nextafter(threshold.value, -math.inf):
            return f" (just below {fmt(threshold.value)})"
        if value == math.nextafter(threshold.value, math.inf):
            return f" (just above {fmt(threshold.value)})"
    return ""


def fill_value(rulebook: Rulebook, klass: ScoreClass) -> float:
    """The value a fill into ``klass`` is shown and confirmed with: its end at a threshold."""
    if klass.lo == rulebook.scale.min and klass.hi < rulebook.scale.max:
        return klass.hi
    return klass.lo


def decisive_scores(rulebook: Rulebook) -> list[str]:
    """Scores some node of the tree reads, in the rulebook's score order."""
    read = {score for node in rulebook.nodes.values() for score in rulebook.criteria[node.criterion].scores}
    return [name for name in rulebook.scores if name in read]


def criteria_reading(rulebook: Rulebook, score: str) -> list[str]:
    """Keys (E, IT, ...) of the tree's criteria that read ``score``."""
    used = {node.criterion for node in rulebook.nodes.values()}
    return [c.key for code, c in rulebook.criteria.items() if code in used and score in c.scores]


# ----------------------------------------------------------------------------- targets


def target_labels(rulebook: Rulebook) -> list[str]:
    """Valid --to values: every category, then every category/variant the leaves use."""
    labels = list(rulebook.categories)
    for leaf in rulebook.leaves.values():
        label = outcome_label(leaf.category, leaf.variant)
        if label not in labels:
            labels.append(label)
    return labels


def parse_target(rulebook: Rulebook, target: str | None) -> str:
    """Check a --to value; a plain category stands for all of its variants."""
    valid = ", ".join(target_labels(rulebook))
    if target is None:
        raise UsageError(f"--to CATEGORY is required (valid: {valid})")
    if target == "undetermined":
        raise UsageError(f"--to undetermined is not allowed: a counterfactual must land in a category (valid: {valid})")
    if target not in target_labels(rulebook):
        raise UsageError(f'--to "{target}": unknown category (valid: {valid})')
    return target


def matches_target(label: str, target: str) -> bool:
    """True when an outcome label lies in the target (``no-focus`` covers its variants)."""
    return label == target or label.startswith(target + "/")


def parse_fixed(rulebook: Rulebook, fixed: list[str] | None) -> list[str]:
    """Check --fix values against the score registry; keep the rulebook's order."""
    names = set()
    for raw in fixed or []:
        for name in (part.strip() for part in raw.split(",")):
            if name not in rulebook.scores:
                raise UsageError(f"--fix {name}: {unknown_name('score', name, rulebook.scores)}")
            names.add(name)
    return [name for name in rulebook.scores if name in names]


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Crossing:
    """A threshold a change crosses: ``before``/``after`` are passes (True), fails (False), missing (None)."""

    score: str
    op: str
    threshold: float
    criteria: tuple[str, ...]
    before: bool | None
    after: bool


@dataclass(frozen=True)
class Change:
    """One changed score."""

    score: str
    before: float | None
    after: float
    distance: Fraction
    klass: ScoreClass
    crossings: tuple[Crossing, ...]
    after_note: str = ""  # " (just below 4)" when the new value sits next to a threshold

    @property
    def filled(self) -> bool:
        return self.before is None

    @property
    def delta(self) -> float | None:
        return None if self.before is None else float(Fraction(self.after) - Fraction(self.before))


@dataclass
class Solution:
    """A change set and where it lands, confirmed by the engine."""

    changes: tuple[Change, ...]
    label: str
    leaf: str | None
    result: DomainResult | None = None

    @property
    def size(self) -> int:
        return len(self.changes)

    @property
    def total(self) -> Fraction:
        return sum((c.distance for c in self.changes), Fraction(0))


@dataclass
class Counterfactual:
    """The answer to "what is the smallest change that lands ``profile`` in ``target``?"."""

    profile: DomainProfile
    target: str
    current: DomainResult
    status: str  # "already", "found" or "unreachable"
    fixed: list[str]
    searched: list[str]  # the scores the search may change
    not_read: list[str]  # scores no tree node reads: never changed
    candidates: int
    solutions: list[Solution] = field(default_factory=list)
    # Only when unreachable with --fix: what the search finds without the fixes.
    without_fixes: Counterfactual | None = None
    release: list[tuple[str, ...]] = field(default_factory=list)
    # Every candidate landing in the target, best first (the --fix diagnosis reads it).
    landing: list[Solution] = field(default_factory=list, repr=False)

    @property
    def best(self) -> Solution | None:
        return self.solutions[0] if self.solutions else None


# ----------------------------------------------------------------------------- search


@dataclass
class _Candidates:
    rows: list[tuple[tuple[str, float, ScoreClass], ...]]  # per row: (score, new value, class) per change
    columns: dict[str, np.ndarray]


def _candidates(rulebook: Rulebook, profile: DomainProfile, changeable: list[str]) -> _Candidates:
    """Every subset of ``changeable`` by increasing size, times every choice of other class."""
    options: dict[str, list[tuple[float, ScoreClass]]] = {}
    for score in changeable:
        value = profile.value(score)
        options[score] = [
            ((fill_value(rulebook, klass) if value is None else klass.nearest(value)), klass)
            for klass in score_classes(rulebook, score)
            if value is None or not klass.contains(value)
        ]
    movable = [score for score in changeable if options[score]]
    rows: list[tuple[tuple[str, float, ScoreClass], ...]] = []
    for size in range(len(movable) + 1):
        for subset in itertools.combinations(movable, size):
            for choice in itertools.product(*(options[score] for score in subset)):
                rows.append(tuple((score, value, klass) for score, (value, klass) in zip(subset, choice, strict=True)))
    columns = {}
    for name in rulebook.scores:
        value = profile.value(name)
        columns[name] = np.full(len(rows), np.nan if value is None else value, dtype=float)
    for index, row in enumerate(rows):
        for score, value, _ in row:
            columns[score][index] = value
    return _Candidates(rows, columns)


def _change(rulebook: Rulebook, profile: DomainProfile, score: str, value: float, klass: ScoreClass) -> Change:
    before = profile.value(score)
    crossings = []
    for threshold in thresholds_on(rulebook, score):
        was = None if before is None else _passes(before, threshold)
        now = _passes(value, threshold)
        if was != now:
            crossings.append(
                Crossing(score, threshold.op, threshold.value, tuple(criteria_reading(rulebook, score)), was, now)
            )
    distance = FILL_DISTANCE if before is None else abs(Fraction(value) - Fraction(before))
    return Change(score, before, value, distance, klass, tuple(crossings), near_threshold(rulebook, score, value))


def changed_profile(profile: DomainProfile, changes: tuple[Change, ...]) -> DomainProfile:
    """The profile with the changes applied (what the engine confirms)."""
    scores = dict(profile.scores)
    for change in changes:
        was = "missing" if change.before is None else repr(change.before)
        scores[change.score] = ScoreValue(value=change.after, note=f"counterfactual: was {was}")
    return profile.model_copy(update={"scores": scores})


def _label(result: DomainResult) -> str:
    return "undetermined" if result.category == "undetermined" else outcome_label(result.category, result.variant)


def _search(
    rulebook: Rulebook,
    profile: DomainProfile,
    target: str,
    fixed: list[str],
    engine: Engine,
    current: DomainResult,
) -> Counterfactual:
    decisive = decisive_scores(rulebook)
    searched = [score for score in decisive if score not in fixed]
    not_read = [score for score in rulebook.scores if score not in decisive]
    candidates = _candidates(rulebook, profile, searched)
    bulk = BulkEvaluator(rulebook)
    out = bulk.evaluate(candidates.columns)
    # Indexed by outcome code; the extra last entry is what UNDETERMINED (-1) picks.
    in_target = np.array([matches_target(label, target) for label in bulk.labels] + [False])
    assert UNDETERMINED == -1
    landing = np.flatnonzero(in_target[out.outcome])
    answer = Counterfactual(
        profile=profile,
        target=target,
        current=current,
        status="unreachable",
        fixed=fixed,
        searched=searched,
        not_read=not_read,
        candidates=len(candidates.rows),
    )
    if landing.size == 0:
        return answer
    solutions = []
    for index in landing:
        changes = tuple(_change(rulebook, profile, *entry) for entry in candidates.rows[index])
        leaf = int(out.leaf[index])
        solutions.append(
            Solution(changes, bulk.labels[int(out.outcome[index])], bulk.leaves[leaf] if leaf >= 0 else None)
        )
    order = {name: position for position, name in enumerate(rulebook.scores)}

    def rank(solution: Solution):
        return (
            solution.size,
            solution.total,
            tuple(order[c.score] for c in solution.changes),
            tuple(c.after for c in solution.changes),
        )

    solutions.sort(key=rank)
    best = rank(solutions[0])[:2]
    answer.solutions = [s for s in solutions if rank(s)[:2] == best]
    answer.status = "already" if best[0] == 0 else "found"
    for solution in answer.solutions:
        _confirm(engine, profile, solution, target)
    answer.landing = solutions
    return answer


def _confirm(engine: Engine, profile: DomainProfile, solution: Solution, target: str) -> None:
    """Classify the changed profile with the rules engine; it must agree with the bulk evaluator."""
    result = engine.classify(changed_profile(profile, solution.changes))
    label = _label(result)
    leaf = result.leaf.code if result.leaf else None
    if label != solution.label or leaf != solution.leaf or not matches_target(label, target):
        changes = ", ".join(f"{c.score}={c.after!r}" for c in solution.changes) or "no change"
        raise EngineError(
            f"counterfactual {changes}: the engine gives {label} (leaf {leaf}), "
            f"the vectorised evaluator {solution.label} (leaf {solution.leaf})"
        )
    solution.result = result


def counterfactual(
    rulebook: Rulebook, profile: DomainProfile, target: str, fixed: list[str] | None = None
) -> Counterfactual:
    """The smallest change sets (fewest scores, then least total change) landing ``profile`` in ``target``.

    ``target`` must already be checked with :func:`parse_target` and ``fixed`` with
    :func:`parse_fixed`. When the target is unreachable with fixed scores, the search is
    repeated without them, and ``release`` lists the smallest sets of fixed scores that
    would have to be freed.
    """
    fixed = list(fixed or [])
    engine = Engine(rulebook)
    current = engine.classify(profile)
    answer = _search(rulebook, profile, target, fixed, engine, current)
    if answer.status == "unreachable" and fixed:
        free = _search(rulebook, profile, target, [], engine, current)
        answer.without_fixes = free
        if free.status != "unreachable":
            needed = {tuple(c.score for c in s.changes if c.score in fixed) for s in free.landing}
            smallest = min(len(n) for n in needed)
            answer.release = sorted(n for n in needed if len(n) == smallest)
    return answer


# ----------------------------------------------------------------------------- wording


def fmt(value: float) -> str:
    """A number in its shortest exact form: 4, 3.5, 3.9999999999999996."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def shown(value: float) -> str:
    """A number for people: exact when short, else 'about' its ten-digit rounding (the JSON
    keeps the exact float, e.g. the value just below a threshold)."""
    exact = fmt(value)
    rounded = f"{value:.10g}"
    return exact if exact == rounded else f"about {rounded}"


def _status_word(passed: bool | None) -> str:
    return {True: "passes", False: "fails", None: "missing"}[passed]


def crossing_text(crossing: Crossing) -> str:
    keys = "/".join(crossing.criteria)
    read = f" ({keys})" if keys else ""
    # Non-breaking spaces keep "economic >= 4" on one line when the report wraps.
    return (
        f"{crossing.score}{NBSP}{crossing.op}{NBSP}{fmt(crossing.threshold)}{read}: "
        f"{_status_word(crossing.before)} -> {_status_word(crossing.after)}"
    )


def change_text(change: Change) -> str:
    """'economic: 2 -> 4 (+2); crosses economic >= 4 (E): fails -> passes'."""
    crossed = "; ".join(crossing_text(c) for c in change.crossings)
    if change.filled:
        return (
            f"{change.score}: missing -> {_after_text(change)}, filled in: any value in "
            f"{change.klass.text} (distance 0); crosses {crossed}"
        )
    delta = change.delta
    sign = "+" if delta > 0 else ""
    step = f"{sign}{shown(delta)}" if abs(delta) >= 1e-9 else f"an infinitesimal step {'up' if delta > 0 else 'down'}"
    return f"{change.score}: {fmt(change.before)} -> {_after_text(change)} ({step}); crosses {crossed}"


def _after_text(change: Change) -> str:
    # Just below a threshold the exact float (3.9999999999999996) says less than the words.
    return change.after_note.strip(" ()") if change.after_note else fmt(change.after)


def _result_text(result: DomainResult) -> str:
    label = _label(result)
    if result.leaf is not None:
        return f"{label}, leaf{NBSP}{result.leaf.code}{NBSP}{result.leaf.name}"
    return f"{label}, leaf open ({result.reason})"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _wrapped(line: str, width: int = 100) -> list[str]:
    """Wrap one report line; continuation lines are indented four more spaces."""
    if len(line) > width:
        indent = " " * (len(line) - len(line.lstrip(" ")) + 4)
        lines = textwrap.wrap(line, width=width, subsequent_indent=indent, break_on_hyphens=False)
    else:
        lines = [line]
    return [part.replace(NBSP, " ") for part in lines]


def _total_text(total: Fraction) -> str:
    if 0 < total < Fraction(1, 10**9):
        return "an infinitesimal step across a threshold"
    return shown(float(total))


def to_text(rulebook: Rulebook, answer: Counterfactual) -> str:
    """The plain-text report (lines wrapped at 100 characters)."""
    profile = answer.profile
    lines = [
        f"{profile.name} ({profile.id})  from {profile.file}",
        f"now:    {_result_text(answer.current)}",
        f"target: {answer.target}" + ("  (any variant)" if answer.target == "no-focus" else ""),
    ]
    overridden = [
        f"{name} {t.op} {fmt(t.value)} ({t.origin})" for name, t in rulebook.thresholds.items() if t.origin != "rules"
    ]
    if overridden:
        lines.append(f"thresholds overridden: {', '.join(overridden)}")
    if answer.fixed:
        lines.append(f"fixed:  {', '.join(answer.fixed)} (may not change)")
    if answer.status == "already":
        lines.append(f"already there: {_label(answer.current)} lies in {answer.target}; no change is needed")
        lines.append(f"  path: {path_summary(answer.current)}")
    elif answer.status == "found":
        best = answer.best
        count = len(answer.solutions)
        tie = "1 optimal change set" if count == 1 else f"{count} optimal change sets tie; the first is the answer"
        lines.append(f"smallest change: {_plural(best.size, 'score')}, total change {_total_text(best.total)}; {tie}")
        for number, solution in enumerate(answer.solutions, start=1):
            indent = "  "
            if count > 1:
                lines.append(f"  option {number}:")
                indent = "    "
            lines.extend(indent + change_text(change) for change in solution.changes)
            lines.append(
                f"{indent}result (confirmed by the {solution.result.engine} engine): {_result_text(solution.result)}"
            )
            lines.append(f"{indent}path: {path_summary(solution.result)}")
        if any(c.filled for s in answer.solutions for c in s.changes):
            lines.append(f"note: {FILL_RULE}")
    else:
        scale = f"{rulebook.scale.min:g}-{rulebook.scale.max:g}"
        lines.append(f"unreachable: no change of the scores within the scale {scale} lands in {answer.target}")
        free = answer.without_fixes
        if free is not None:
            if free.status == "unreachable":
                lines.append("  not because of --fix: without fixed scores it is unreachable too")
            else:
                options = " or ".join(", ".join(r) for r in answer.release)
                lines.append(f"  blocked by --fix: it becomes reachable only if {options} may change")
                best = free.best
                lines.append(
                    f"  without fixed scores the smallest change is {_plural(best.size, 'score')}, "
                    f"total change {_total_text(best.total)}:"
                )
                lines.extend("    " + change_text(change) for change in best.changes)
                lines.append(f"    result: {_result_text(best.result)}")
    lines.append(
        f"searched {_plural(answer.candidates, 'candidate profile')} in one vectorised pass: every subset of the "
        f"changeable scores ({', '.join(answer.searched) or 'none'}), each unchanged or at the nearest value "
        "of another threshold class; exact for this tree"
    )
    if answer.not_read:
        lines.append(f"not searched: {', '.join(answer.not_read)} (no node of the tree reads it)")
    return "\n".join(wrapped for line in lines for wrapped in _wrapped(line)) + "\n"


def _change_json(change: Change) -> dict:
    return {
        "score": change.score,
        "from": change.before,
        "to": change.after,
        "delta": change.delta,
        "distance": float(change.distance),
        "filled": change.filled,
        "range": [change.klass.lo, change.klass.hi],
        "range_text": change.klass.text,
        "crossed": [
            {
                "score": c.score,
                "op": c.op,
                "threshold": c.threshold,
                "criteria": list(c.criteria),
                "before": _status_word(c.before),
                "after": _status_word(c.after),
            }
            for c in change.crossings
        ],
    }


def _result_json(result: DomainResult) -> dict:
    return {
        "category": result.category,
        "variant": result.variant,
        "leaf": None if result.leaf is None else {"code": result.leaf.code, "name": result.leaf.name},
        "reason": result.reason,
        "path": path_summary(result),
    }


def _solution_json(solution: Solution) -> dict:
    return {
        "changed": solution.size,
        "total_change": float(solution.total),
        "changes": [_change_json(c) for c in solution.changes],
        "result": {**_result_json(solution.result), "confirmed_by": f"{solution.result.engine} engine"},
    }


def to_json(answer: Counterfactual) -> dict:
    """The JSON object of one counterfactual."""
    best = answer.best
    data = {
        "id": answer.profile.id,
        "name": answer.profile.name,
        "file": answer.profile.file,
        "target": answer.target,
        "status": answer.status,
        "current": _result_json(answer.current),
        "fixed": answer.fixed,
        "changed": None if best is None else best.size,
        "total_change": None if best is None else float(best.total),
        "changes": None if best is None else [_change_json(c) for c in best.changes],
        "result": None if best is None else _solution_json(best)["result"],
        "optimal_count": len(answer.solutions),
        "solutions": [_solution_json(s) for s in answer.solutions],
        "search": {
            "candidates": answer.candidates,
            "searched_scores": answer.searched,
            "not_read_by_tree": answer.not_read,
            "exact": True,
            "missing_score_rule": FILL_RULE,
        },
    }
    if answer.without_fixes is not None:
        free = answer.without_fixes
        data["without_fixes"] = {
            "status": free.status,
            "release": [list(r) for r in answer.release],
            "best": None if free.best is None else _solution_json(free.best),
        }
    return data
