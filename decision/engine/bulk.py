"""A vectorised evaluator compiled from the same ``rules/`` data as the engine.

Sweeps (margins, counterfactuals, robustness draws) need millions of evaluations; the
durable-rules walk does a few thousand a second. This module reads the same rulebook,
the same criteria and thresholds and the same tree, and evaluates whole columns of
profiles at once with numpy, with the same three-valued logic (a missing score, NaN
here, makes a test unknown; an unknown test is explored on both sides). There is no
second hand-written tree: change ``rules/`` and both evaluators follow. Tests prove the
two identical on the exhaustive grid and on random profiles.

durable-rules stays the engine for explained single-domain results; this one returns
only outcome codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decision.engine.scalar import outcome_label
from decision.inputs.rulebook import Criterion, Rulebook

UNDETERMINED = -1


@dataclass(frozen=True)
class BulkOutcome:
    """Outcome codes for a batch; index into ``labels`` / ``leaves`` (-1 = undetermined / open)."""

    outcome: np.ndarray  # int16: index into labels, or UNDETERMINED
    leaf: np.ndarray  # int16: index into leaves when a single leaf is reached, else -1
    labels: tuple[str, ...]  # "category" or "category/variant"
    leaves: tuple[str, ...]  # leaf codes

    def label_of(self, index: int) -> str:
        """The outcome label of row ``index`` ("undetermined" when a missing score decides)."""
        code = int(self.outcome[index])
        return "undetermined" if code == UNDETERMINED else self.labels[code]


class BulkEvaluator:
    """Classifies columns of scores under one rulebook, vectorised."""

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook
        self.score_names = tuple(rulebook.scores)
        self.leaves = tuple(rulebook.leaves)
        labels: list[str] = []
        for leaf in rulebook.leaves.values():
            label = outcome_label(leaf.category, leaf.variant)
            if label not in labels:
                labels.append(label)
        self.labels = tuple(labels)
        self._leaf_label = np.array(
            [self.labels.index(outcome_label(leaf.category, leaf.variant)) for leaf in rulebook.leaves.values()],
            dtype=np.int16,
        )
        # Nodes in an order where every node comes after the nodes that lead to it.
        self._order = self._topological_order()

    def _topological_order(self) -> list[str]:
        rulebook = self.rulebook
        parents: dict[str, int] = dict.fromkeys(rulebook.nodes, 0)
        for node in rulebook.nodes.values():
            for target in (node.if_yes, node.if_no):
                if target in parents:
                    parents[target] += 1
        order, ready = [], [rulebook.root]
        while ready:
            code = ready.pop()
            order.append(code)
            node = rulebook.nodes[code]
            for target in (node.if_yes, node.if_no):
                if target in parents:
                    parents[target] -= 1
                    if parents[target] == 0:
                        ready.append(target)
        return order

    def _criterion(
        self, criterion: Criterion, columns: dict[str, np.ndarray], thresholds: dict[str, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(met, failed) masks; a row in neither is unknown."""
        passes, fails = [], []
        for score in criterion.scores:
            values = columns[score]
            threshold = thresholds[score]
            op = self.rulebook.thresholds[score].op
            present = ~np.isnan(values)
            # NaN compares False, so `passed` is already False for missing scores.
            passed = values >= threshold if op == ">=" else values > threshold
            passes.append(passed)
            fails.append(present & ~passed)
        if criterion.combine == "any":
            met = np.logical_or.reduce(passes)
            failed = np.logical_and.reduce(fails)
        else:
            met = np.logical_and.reduce(passes)
            failed = np.logical_or.reduce(fails)
        return met, failed

    def evaluate(
        self, columns: dict[str, np.ndarray], thresholds: dict[str, float] | None = None, chunk: int = 1 << 18
    ) -> BulkOutcome:
        """Classify every row. ``columns`` maps score name to a float array (NaN = missing);
        ``thresholds`` overrides threshold values by score name."""
        size = len(next(iter(columns.values())))
        full = {
            name: np.asarray(columns[name], dtype=float) if name in columns else np.full(size, np.nan)
            for name in self.score_names
        }
        in_force = {name: t.value for name, t in self.rulebook.thresholds.items()}
        if thresholds:
            in_force.update(thresholds)
        outcome = np.empty(size, dtype=np.int16)
        leaf = np.empty(size, dtype=np.int16)
        # Chunks keep the boolean work arrays in cache; the result is the same.
        for start in range(0, size, chunk):
            part = {name: values[start : start + chunk] for name, values in full.items()}
            outcome[start : start + chunk], leaf[start : start + chunk] = self._evaluate_chunk(part, in_force)
        return BulkOutcome(outcome=outcome, leaf=leaf, labels=self.labels, leaves=self.leaves)

    def _evaluate_chunk(self, columns: dict[str, np.ndarray], thresholds: dict[str, float]):
        rulebook = self.rulebook
        size = len(next(iter(columns.values())))
        criteria: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        reach: dict[str, np.ndarray] = {rulebook.root: np.ones(size, dtype=bool)}
        for code in self._order:
            node = rulebook.nodes[code]
            here = reach.get(code)
            if here is None:
                continue
            if node.criterion not in criteria:
                criteria[node.criterion] = self._criterion(rulebook.criteria[node.criterion], columns, thresholds)
            met, failed = criteria[node.criterion]
            for target, mask in ((node.if_yes, here & ~failed), (node.if_no, here & ~met)):
                reach[target] = reach[target] | mask if target in reach else mask
        # Count the distinct outcome labels and leaves each row can reach; with exactly
        # one, the running sum of (index + 1) is that index + 1.
        label_masks: dict[int, np.ndarray] = {}
        leaf_count = np.zeros(size, dtype=np.int16)
        leaf_sum = np.zeros(size, dtype=np.int16)
        for index, code in enumerate(self.leaves):
            mask = reach.get(code)
            if mask is None:
                continue
            leaf_count += mask
            leaf_sum += mask * np.int16(index + 1)
            label = int(self._leaf_label[index])
            label_masks[label] = label_masks[label] | mask if label in label_masks else mask
        label_count = np.zeros(size, dtype=np.int16)
        label_sum = np.zeros(size, dtype=np.int16)
        for label, mask in label_masks.items():
            label_count += mask
            label_sum += mask * np.int16(label + 1)
        outcome = np.where(label_count == 1, label_sum - 1, UNDETERMINED).astype(np.int16)
        leaf = np.where(leaf_count == 1, leaf_sum - 1, -1).astype(np.int16)
        return outcome, leaf

    def columns_from_profiles(self, profiles) -> dict[str, np.ndarray]:
        """Score columns (NaN for missing) from validated DomainProfile objects."""
        return {
            name: np.array([np.nan if p.value(name) is None else p.value(name) for p in profiles], dtype=float)
            for name in self.score_names
        }
