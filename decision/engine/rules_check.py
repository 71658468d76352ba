"""Proof that a rule set is total and unambiguous, by exhaustive enumeration.

Every criterion compares scores with thresholds, so each score's behaviour falls into a
few classes: missing, below its threshold, at it, above it. A grid holding, per score,
the scale's ends, each threshold, the floats just below and just above it, and
"missing" meets every class (for ">=" and for ">"), so enumerating the grid covers every
possible profile.

Two checks, both by the engine of the run itself (durable-rules or zen):
1. per node, every grid combination of the scores it reads is submitted so that all
   matching rules fire (durable-rules: *asserted* as a fact; zen: its decision tables
   collect every matching row): exactly one of yes / no / unknown must;
2. every profile of the full grid is walked from the root and must end in leaves only.

:func:`check_engines` proves the two engines interchangeable on the same grid: at every
node and grid combination they fire the same rules (the walk is one function of those
decisions, so every profile of the grid gets the same category, variant, leaf, path,
blocking scores and reachable categories), and the compiled JDM graph's own answer
(category, variant, leaf, computed inside zen-engine) equals the walk's on every profile
of the full grid.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from decision.engine.choice import DURABLE, ZEN
from decision.engine.nodes import node_criteria
from decision.engine.walk import Engine
from decision.inputs.rulebook import Rulebook


@dataclass
class CheckReport:
    """What the enumeration found."""

    grid: dict[str, list[float | None]]
    profiles: int
    leaf_counts: dict[str, int]
    undetermined: int
    node_combinations: int
    gaps: list[str] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)
    unreached_leaves: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the rules are total, unambiguous, and every leaf is reachable."""
        return not (self.gaps or self.overlaps or self.unreached_leaves)


def score_grid(rulebook: Rulebook) -> dict[str, list[float | None]]:
    """Per score: scale ends, the threshold, the floats just below and above it, and None (missing)."""
    grid: dict[str, list[float | None]] = {}
    low, high = rulebook.scale.min, rulebook.scale.max
    for name in rulebook.scores:
        values = {low, high}
        threshold = rulebook.thresholds.get(name)
        if threshold is not None:
            # The threshold and its two float neighbours: the classes of both >= and >.
            for value in (
                threshold.value,
                math.nextafter(threshold.value, -math.inf),
                math.nextafter(threshold.value, math.inf),
            ):
                if low <= value <= high:
                    values.add(value)
        grid[name] = [*sorted(values), None]
    return grid


def check_rules(rulebook: Rulebook) -> CheckReport:
    """Enumerate the grid; report gaps, overlaps, unreached leaves and counts per leaf."""
    engine = Engine(rulebook)
    grid = score_grid(rulebook)
    report = CheckReport(
        grid=grid,
        profiles=0,
        leaf_counts=dict.fromkeys(rulebook.leaves, 0),
        undetermined=0,
        node_combinations=0,
    )

    nodes = node_criteria(rulebook)
    outcome_table: dict[tuple, str] = {}
    for code, criterion in nodes.items():
        for values in itertools.product(*(grid[s] for s in criterion.scores)):
            scores = dict(zip(criterion.scores, values, strict=True))
            report.node_combinations += 1
            fired = {name for name in engine.fire(code, scores, all_matches=True) if name.startswith(f"{code}.")}
            shown = ", ".join(f"{s}={'missing' if v is None else repr(v)}" for s, v in scores.items())
            if not fired:
                report.gaps.append(f"{code}: no rule matches {shown}")
            elif len(fired) > 1:
                report.overlaps.append(f"{code}: rules {', '.join(sorted(fired))} all match {shown}")
            else:
                outcome_table[(code, values)] = next(iter(fired)).rsplit(".", 1)[1]
    if report.gaps or report.overlaps:
        return report

    for count, scores in grid_patterns(grid, nodes, outcome_table):
        report.profiles += count
        leaves = _reachable_leaves(rulebook, nodes, outcome_table, scores)
        outcomes = {(rulebook.leaves[leaf].category, rulebook.leaves[leaf].variant) for leaf in leaves}
        if len(outcomes) > 1:
            report.undetermined += count
        elif len(leaves) == 1:
            report.leaf_counts[next(iter(leaves))] += count
        else:
            # Same category through several leaves (e.g. which link is missing is open).
            report.leaf_counts.setdefault("(category known, leaf open)", 0)
            report.leaf_counts["(category known, leaf open)"] += count
    report.unreached_leaves = [code for code in rulebook.leaves if report.leaf_counts[code] == 0]
    return report


_OUTCOME_CODES = {"yes": 0, "no": 1, "unknown": 2}
# Up to this many nodes a pattern packs into one whole number (3**39 < 2**63), which sorts
# far faster than rows of outcomes.
PACKED_NODES = 39


def grid_patterns(grid, nodes, outcome_table) -> list[tuple[int, dict[str, float | None]]]:
    """Each pattern of node outcomes on the full grid: how many profiles show it, and the
    first of them in enumeration order.

    The walk's result is a function of the node outcomes alone, so the hundreds of
    patterns stand for the grid's hundreds of thousands of profiles. Each node's outcome
    is spread over the grid as an array (it reads only its own scores), so no profile is
    visited one by one; the counts are exact.
    """
    import numpy as np

    names = list(grid)
    shape = tuple(len(grid[name]) for name in names)
    columns = []
    for code, criterion in nodes.items():
        read = list(criterion.scores)
        table = np.empty([len(grid[s]) for s in read], dtype=np.int8)
        for index in itertools.product(*(range(len(grid[s])) for s in read)):
            values = tuple(grid[s][i] for s, i in zip(read, index, strict=True))
            table[index] = _OUTCOME_CODES[outcome_table[(code, values)]]
        axes = [names.index(s) for s in read]
        order = sorted(range(len(read)), key=lambda k: axes[k])
        table = table.transpose(order)
        spread = [shape[axis] if axis in axes else 1 for axis in range(len(names))]
        columns.append(np.broadcast_to(table.reshape(spread), shape).reshape(-1))
    if not columns:  # a tree whose root is a leaf: one pattern, every profile
        return [(int(np.prod(shape)), {name: grid[name][0] for name in names})]
    if len(columns) <= PACKED_NODES:
        outcomes = np.zeros(columns[0].shape, dtype=np.int64)
        for column in columns:
            outcomes *= 3
            outcomes += column
        _, first, counts = np.unique(outcomes, return_index=True, return_counts=True)
    else:
        _, first, counts = np.unique(np.stack(columns, axis=1), axis=0, return_index=True, return_counts=True)
    patterns = []
    for position in np.argsort(first, kind="stable"):
        index = np.unravel_index(int(first[position]), shape)
        scores = {name: grid[name][int(i)] for name, i in zip(names, index, strict=True)}
        patterns.append((int(counts[position]), scores))
    return patterns


def _reachable_leaves(rulebook, nodes, outcome_table, scores) -> set[str]:
    leaves: set[str] = set()
    pending = [rulebook.root]
    while pending:
        code = pending.pop()
        if code in rulebook.leaves:
            leaves.add(code)
            continue
        criterion = nodes[code]
        outcome = outcome_table[(code, tuple(scores[s] for s in criterion.scores))]
        node = rulebook.nodes[code]
        if outcome in ("yes", "unknown"):
            pending.append(node.if_yes)
        if outcome in ("no", "unknown"):
            pending.append(node.if_no)
    return leaves


@dataclass
class EngineComparison:
    """What comparing the two engines on the grid found."""

    node_combinations: int = 0
    profiles: int = 0
    patterns: int = 0  # distinct patterns of node outcomes among the profiles
    disagreements: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the engines agree everywhere on the grid."""
        return not self.disagreements


def check_engines(rulebook: Rulebook, *, limit: int = 20) -> EngineComparison:
    """Compare durable-rules and zen-engine on the grid of :func:`check_rules`.

    Stops listing after ``limit`` disagreements (the count of combinations goes on).
    """
    from decision.engine.zen import ZenBackend, answer_of

    durable, zen = Engine(rulebook, DURABLE), Engine(rulebook, ZEN)
    grid = score_grid(rulebook)
    report = EngineComparison()
    nodes = node_criteria(rulebook)
    outcome_table: dict[tuple, str] = {}

    def disagree(text: str) -> None:
        if len(report.disagreements) < limit:
            report.disagreements.append(text)

    for code, criterion in nodes.items():
        for values in itertools.product(*(grid[s] for s in criterion.scores)):
            scores = dict(zip(criterion.scores, values, strict=True))
            report.node_combinations += 1
            # Sets: durable-rules fires a rule once per alternative of an "$or" that matches.
            by_durable = sorted({n for n in durable.fire(code, scores, all_matches=True) if n.startswith(f"{code}.")})
            by_zen = sorted(set(zen.fire(code, scores, all_matches=True)))
            if by_durable != by_zen:
                shown = ", ".join(f"{s}={'missing' if v is None else repr(v)}" for s, v in scores.items())
                disagree(f"{code} at {shown}: durable-rules fires {by_durable or 'none'}, zen {by_zen or 'none'}")
            elif len(by_durable) == 1:
                outcome_table[(code, values)] = by_durable[0].rsplit(".", 1)[1]
    if not report.ok or len(outcome_table) != report.node_combinations:
        return report

    # The graph's answer is a function of its tables' decisions alone, and each table
    # reads only its node's scores, so one profile per pattern of node outcomes stands
    # for every profile of the grid with that pattern.
    backend = zen.backend
    assert isinstance(backend, ZenBackend)
    for count, scores in grid_patterns(grid, nodes, outcome_table):
        report.profiles += count
        report.patterns += 1
        leaves = _reachable_leaves(rulebook, nodes, outcome_table, scores)
        labels = {(rulebook.leaves[leaf].category, rulebook.leaves[leaf].variant) for leaf in leaves}
        category, variant = next(iter(labels)) if len(labels) == 1 else ("undetermined", None)
        expected = {"category": category, "variant": variant, "leaf": next(iter(leaves)) if len(leaves) == 1 else None}
        answer = answer_of(backend.answer(scores))
        if answer != expected:
            shown = ", ".join(f"{s}={'missing' if v is None else repr(v)}" for s, v in scores.items())
            disagree(f"graph at {shown}: answers {answer}, the walk {expected}")
    return report
