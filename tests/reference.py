"""An independent reading of the spec's decision table (framework.md, section 3).

Written by hand from the spec, not from rules/: the engine is checked against it. Missing
scores make a test unknown; the reference then tries every truth value of the unknown
tests and reports every (category, variant) that stays possible.
"""

from __future__ import annotations

import itertools

THRESHOLDS = {
    "economic": 4.0,
    "innovation": 4.0,
    "technology": 4.0,
    "science": 4.0,
    "opportunity": 3.0,
    "transition": 3.0,
    "feasibility": 3.0,
}


def _at_least(scores: dict, name: str, thresholds: dict) -> bool | None:
    value = scores.get(name)
    return None if value is None else value >= thresholds[name]


def _either(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


def tests(scores: dict, thresholds: dict = THRESHOLDS) -> dict[str, bool | None]:
    """The spec's tests E, IT, S, G, P, F: True, False, or None (unknown)."""
    return {
        "E": _at_least(scores, "economic", thresholds),
        "IT": _either(_at_least(scores, "innovation", thresholds), _at_least(scores, "technology", thresholds)),
        "S": _at_least(scores, "science", thresholds),
        "G": _at_least(scores, "opportunity", thresholds),
        "P": _at_least(scores, "transition", thresholds),
        "F": _at_least(scores, "feasibility", thresholds),
    }


def table(G: bool, P: bool, E: bool, IT: bool, S: bool) -> tuple[str, str | None, tuple[str, ...]]:
    """The spec's tree as a table: (category, variant, missing links)."""
    if G and P:
        if E and IT and S:
            return "strong", None, ()
        if E and IT and not S:
            return "ecosystem-gap", None, ("science",)
        if E and S and not IT:
            return "ecosystem-gap", None, ("innovation-technology",)
        if E:
            return "ecosystem-gap", None, ("innovation-technology", "science")
        if IT and S:
            return "ecosystem-gap", None, ("economic",)
        return "moonshot", None, ()
    if G:
        return ("strong", None, ()) if (E and IT and S) else ("no-focus", None, ())
    if not P:
        return "no-focus", None, ()
    return ("no-focus", "internationalisation", ()) if E else ("no-focus", "partnership", ())


def classify(scores: dict, thresholds: dict = THRESHOLDS):
    """(category, variant, missing links or None, reachable set) for a dict of scores."""
    known = tests(scores, thresholds)
    names = ["G", "P", "E", "IT", "S"]
    unknown = [n for n in names if known[n] is None]
    endings = set()
    for values in itertools.product([True, False], repeat=len(unknown)):
        filled = {**known, **dict(zip(unknown, values, strict=True))}
        endings.add(table(*(filled[n] for n in names)))
    outcomes = {(category, variant) for category, variant, _ in endings}
    if len(outcomes) > 1:
        return "undetermined", None, None, outcomes
    category, variant = next(iter(outcomes))
    links = {links for _, _, links in endings}
    return category, variant, (next(iter(links)) if len(links) == 1 else None), outcomes
