"""A pure-Python evaluator of the tree, for the few dozen rows ``decision classify``
needs to flag fragile results.

It is :class:`~decision.engine.bulk.BulkEvaluator` one row at a time, without numpy: importing
numpy costs about 60 ms, more than ``classify`` spends on everything else it adds, and
the fragile flag needs at most two rows per score and domain. Like the bulk evaluator
it is compiled from ``rules/`` (no hand-written tree), uses the same three-valued logic
(a missing score makes a test unknown, and an unknown test is explored on both sides),
and returns the same outcome labels; tests prove it identical to the bulk evaluator and
to the durable-rules engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from decision.errors import EngineError
from decision.inputs.rulebook import Rulebook

UNDETERMINED_LABEL = "undetermined"


def outcome_label(category: str, variant: str | None) -> str:
    """The label of a (category, variant) pair, as the bulk evaluator writes it."""
    return category if variant is None else f"{category}/{variant}"


class ScalarEvaluator:
    """Outcome labels of single rows of scores under one rulebook."""

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook
        self._leaf_label = {code: outcome_label(leaf.category, leaf.variant) for code, leaf in rulebook.leaves.items()}

    def label(self, values: Mapping[str, float | None], thresholds: Mapping[str, float] | None = None) -> str:
        """The outcome label of one row ("undetermined" when a missing score decides).

        ``values`` maps score names to numbers (None or absent = missing); ``thresholds``
        overrides threshold values by score name, as in ``BulkEvaluator.evaluate``.
        """
        rulebook = self.rulebook
        in_force = rulebook.thresholds
        labels: set[str] = set()
        seen: set[str] = set()
        pending = [rulebook.root]
        while pending:
            code = pending.pop()
            if code in seen:
                continue
            seen.add(code)
            if code in self._leaf_label:
                labels.add(self._leaf_label[code])
                continue
            criterion = rulebook.criteria[rulebook.nodes[code].criterion]
            passed = []
            for score in criterion.scores:
                value = values.get(score)
                threshold = in_force[score]
                limit = threshold.value if thresholds is None else thresholds.get(score, threshold.value)
                if value is None or value != value:  # None or NaN: missing
                    passed.append(None)
                elif threshold.op == ">=":
                    passed.append(value >= limit)
                elif threshold.op == ">":
                    passed.append(value > limit)
                else:
                    raise EngineError(f'unknown operator "{threshold.op}"')
            if criterion.combine == "any":
                met = any(p is True for p in passed)
                failed = all(p is False for p in passed)
            else:
                met = all(p is True for p in passed)
                failed = any(p is False for p in passed)
            node = rulebook.nodes[code]
            if not failed:
                pending.append(node.if_yes)
            if not met:
                pending.append(node.if_no)
        return next(iter(labels)) if len(labels) == 1 else UNDETERMINED_LABEL

    def labels(
        self, rows: Iterable[Mapping[str, float | None]], thresholds: Mapping[str, float] | None = None
    ) -> list[str]:
        """The outcome label of every row."""
        return [self.label(row, thresholds) for row in rows]
