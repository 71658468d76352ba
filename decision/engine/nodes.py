"""What every engine backend shares: the nodes it must decide and the three-valued logic
the walk checks their decisions against.

A node's decision is the name of the rule that fired, ``CODE.yes``, ``CODE.no`` or
``CODE.unknown``; both backends name their rules so, which is why a recorded step reads
the same whichever engine ran.
"""

from __future__ import annotations

from decision.errors import EngineError
from decision.inputs.rulebook import Criterion, Rulebook

# Feasibility is tested beside the tree, not in it (the source makes it no gate).
FEASIBILITY_NODE = "feasibility"
OUTCOMES = ("yes", "no", "unknown")


def node_criteria(rulebook: Rulebook) -> dict[str, Criterion]:
    """Every node an engine decides, tree nodes first, feasibility last, with its criterion."""
    criteria = {code: rulebook.criteria[node.criterion] for code, node in rulebook.nodes.items()}
    criteria[FEASIBILITY_NODE] = rulebook.criteria[rulebook.feasibility.criterion]
    return criteria


def compare(value: float | None, op: str, threshold: float) -> bool | None:
    """Three-valued comparison used for the readings shown in explanations."""
    if value is None:
        return None
    if op == ">=":
        return value >= threshold
    if op == ">":
        return value > threshold
    raise EngineError(f'unknown operator "{op}"')


def combine(passed: list[bool | None], how: str) -> str:
    """Kleene combination of per-score results into yes / no / unknown."""
    if how == "any":
        if any(p is True for p in passed):
            return "yes"
        return "no" if all(p is False for p in passed) else "unknown"
    if any(p is False for p in passed):
        return "no"
    return "yes" if all(p is True for p in passed) else "unknown"
