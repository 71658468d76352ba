"""``decision compare-quadrants``: the CEPS quadrant of each technology beside VARIO's category.

Per domain: its CEPS quadrant (rules/quadrants.yaml) from its relatedness density and
complexity, the category the engine gives it, and whether they agree under the
quadrant's ``corresponds_to`` (an interpretation, see that file). Then, where they do not
agree, why, in terms of VARIO's path, and the smallest change of scores that would make
VARIO agree (:mod:`decision.analyses.counterfactual`); the summary groups the domains by the
thresholds that change crosses.

**Why, exactly.** Each test of the tree asks one criterion (E, IT, S, G, P), whose
answer is a property of the scores. For a path that ends outside the quadrant's
categories, the reason names the tests of that path which, each on its own answered the
other way (every other answer kept), would surely end in one of them; when no single
test does, it says so and the smallest change tells how many must move. An undetermined
result has one path per way its missing scores can fall (the engine's
``alternatives``); each is read the same way, so a reason may be a figure the profile
gives or an assumption about a missing score. Endings with the same reason are told once.

Agreement is ``agree`` (every way VARIO can end is a corresponding category),
``disagree`` (none is), ``open`` (a missing score decides between agreeing and not), or
``not-placed`` (no quadrant: a coordinate is missing).

One pydantic model, :class:`QuadrantComparison`, holds everything; the table, the
Markdown and the JSON are all written from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from decision.ceps.quadrants import Quadrants, indicator_value
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import Rulebook
from decision.model.result import DomainResult, Step
from decision.model.wording import path_summary, reading_text

Agreement = Literal["agree", "disagree", "open", "not-placed"]
AGREEMENTS: tuple[Agreement, ...] = ("agree", "disagree", "open", "not-placed")


class AxisInfo(BaseModel):
    """One axis as the comparison used it."""

    indicator: str
    label: str
    split: float
    op: str


class QuadrantInfo(BaseModel):
    """One quadrant and the VARIO categories it is read to correspond to."""

    code: str
    name: str
    label: str
    corresponds_to: list[str]
    interpretation: str | None


class Ending(BaseModel):
    """One way VARIO's path can end (one for a determined result, one per alternative otherwise)."""

    assumptions: list[str]  # e.g. ["VT03 E=no"]: how the missing scores fall on this path
    outcome: str  # "moonshot", "no-focus/partnership"
    leaf: str
    agrees: bool
    reason: str | None  # the test where this path leaves the corresponding categories
    cause: str | None  # the short form of that test, e.g. "S passes (VT08)"


class SmallestChange(BaseModel):
    """The smallest change of scores that makes VARIO agree (decision.analyses.counterfactual, exact)."""

    target: str
    changed: int
    total_change: float
    changes: list[str]
    crossings: list[str]  # the thresholds it crosses: "economic >= 4 (E): missing -> fails"
    result: str
    path: str


class TechnologyComparison(BaseModel):
    """One domain: where CEPS puts it, what VARIO says, whether and why they differ."""

    id: str
    name: str
    file: str
    x: float | None
    y: float | None
    quadrant: str | None
    quadrant_name: str | None
    quadrant_label: str | None
    corresponds_to: list[str]
    vario: str  # outcome: category, category/variant, or "undetermined"
    leaf: str | None
    path: str
    blocking: list[str]
    reachable: list[str]
    agreement: Agreement
    why: list[str]
    endings: list[Ending]
    smallest_change: SmallestChange | None


class Need(BaseModel):
    """What VARIO would need to agree (the thresholds a smallest change crosses), and for which domains."""

    crossings: list[str]
    domains: list[str]


class ComparisonSummary(BaseModel):
    """The counts, and the disagreeing and open domains grouped by what VARIO would need to agree."""

    counts: dict[str, int]
    disagree: list[str]
    open: list[str]
    not_placed: list[str]
    needs: list[Need]
    unreachable: list[str]  # no change of the scores makes VARIO agree


class QuadrantComparison(BaseModel):
    """Everything ``decision compare-quadrants`` prints, in any format."""

    x: AxisInfo
    y: AxisInfo
    quadrants: list[QuadrantInfo]
    interpretation: str
    technologies: list[TechnologyComparison]
    summary: ComparisonSummary


INTERPRETATION = (
    "The correspondence of quadrants to VARIO categories (corresponds_to in rules/quadrants.yaml) and the split "
    "values are the project's reading; neither report states them."
)


def _category(label: str) -> str:
    return label.partition("/")[0]


def _outcome(category: str, variant: str | None) -> str:
    return category if variant is None else f"{category}/{variant}"


def _walk(rulebook: Rulebook, truth: dict[str, bool | None]) -> set[str]:
    """Categories the tree can end in when each criterion (by code) is true, false or open (None)."""

    def go(code: str) -> set[str]:
        if code in rulebook.leaves:
            return {rulebook.leaves[code].category}
        node = rulebook.nodes[code]
        value = truth.get(node.criterion)
        if value is None:
            return go(node.if_yes) | go(node.if_no)
        return go(node.if_yes if value else node.if_no)

    return go(rulebook.root)


def _criteria_truth(rulebook: Rulebook, result: DomainResult) -> dict[str, bool | None]:
    """Each criterion's answer on the result's scores (None where a missing score leaves it open)."""
    from decision.engine.walk import combine, compare

    truth: dict[str, bool | None] = {}
    for code, criterion in rulebook.criteria.items():
        passed = []
        for score in criterion.scores:
            entry = result.scores.get(score)
            threshold = rulebook.thresholds[score]
            passed.append(compare(None if entry is None else entry.value, threshold.op, threshold.value))
        truth[code] = {"yes": True, "no": False}.get(combine(passed, criterion.combine))
    return truth


def _endings(result: DomainResult) -> list[tuple[list[str], list[Step], str, str]]:
    """(assumptions, full path, outcome, leaf) for every way the result can end."""
    if result.category != "undetermined":
        leaf = result.leaf.code if result.leaf else ""
        return [([], list(result.path), _outcome(result.category, result.variant), leaf)]
    return [
        (list(alt.assumptions), [*result.path, *alt.path], _outcome(alt.category, alt.variant), alt.leaf)
        for alt in result.alternatives
    ]


def _derived_note(step: Step, result: DomainResult) -> str:
    """' (science from publication_rca 2.15, VD02)' for the scores of a test derived from indicators."""
    notes = []
    for reading in step.readings:
        score = result.scores.get(reading.score)
        derivation = None if score is None else score.derivation
        if derivation is not None and derivation.used and derivation.inputs:
            figures = ", ".join(f"{i.indicator} {i.raw:g}" for i in derivation.inputs)
            notes.append(f"{reading.score} from {figures}, {derivation.code}")
    return f" ({'; '.join(notes)})" if notes else ""


def _test_text(step: Step, outcome: bool, result: DomainResult) -> tuple[str, str]:
    """(long, short) description of one test of the path, as this ending takes it."""
    verb = "passes" if outcome else "fails"
    if step.outcome == "unknown":
        missing = ", ".join(r.score for r in step.readings if r.value is None)
        return (
            f"{step.node} {step.node_name} [{step.criterion_key}], open with {missing} missing, taken here as "
            f"{'passing' if outcome else 'failing'}",
            f"{step.criterion_key} {verb}, missing {missing} ({step.node})",
        )
    joiner = " or " if step.combine == "any" else " and "
    readings = joiner.join(reading_text(r) for r in step.readings)
    return (
        f"{step.node} {step.node_name} [{step.criterion_key}]: {readings}{_derived_note(step, result)}",
        f"{step.criterion_key} {verb} ({step.node})",
    )


def _divergence(
    rulebook: Rulebook, steps: list[Step], expected: set[str], result: DomainResult, assumptions: list[str]
) -> tuple[str, str]:
    """(reason, cause) for a path that ends outside ``expected``.

    The reason names the tests of the path that, each on its own going the other way
    (every other answer, known or assumed, kept), would surely land in ``expected``.
    A criterion is a property of the scores, so flipping it flips it at every node that
    reads it.
    """
    truth = _criteria_truth(rulebook, result)
    by_node = {a.split(" ")[0]: a.rpartition("=")[2] == "yes" for a in assumptions}  # node -> assumed answer
    for step in steps:
        if step.node in by_node:
            truth[rulebook.nodes[step.node].criterion] = by_node[step.node]
    wanted = " or ".join(sorted(expected))
    flips: list[tuple[str, str]] = []
    seen: set[str] = set()
    for step in steps:
        criterion = rulebook.nodes[step.node].criterion
        if criterion in seen or truth.get(criterion) is None:
            continue
        seen.add(criterion)
        if _walk(rulebook, {**truth, criterion: not truth[criterion]}) <= expected:
            flips.append(_test_text(step, bool(truth[criterion]), result))
    if not flips:
        return (
            f"no single test of the path going the other way makes it {wanted}; "
            "the smallest change shows how many must",
            "two or more tests at once",
        )
    lead = "if this test went the other way" if len(flips) == 1 else "if any one of these tests went the other way"
    reason = f"{wanted} would follow {lead}: " + "; ".join(text for text, _ in flips)
    return reason, " or ".join(short for _, short in flips)


def _smallest_change(rulebook: Rulebook, profile: DomainProfile, targets: list[str]) -> SmallestChange | None:
    from decision.analyses.counterfactual import NBSP, change_text, counterfactual, crossing_text

    best = None
    for target in targets:
        answer = counterfactual(rulebook, profile, target)
        if answer.best is None:
            continue
        key = (answer.best.size, answer.best.total)
        if best is None or key < best[0]:
            best = (key, target, answer.best)
    if best is None:
        return None
    (_, total), target, solution = best
    result = solution.result
    leaf = f", leaf {result.leaf.code} {result.leaf.name}" if result.leaf else ""
    return SmallestChange(
        target=target,
        changed=solution.size,
        total_change=float(total),
        # The counterfactual's wording keeps "economic >= 4" together with no-break spaces.
        changes=[change_text(change).replace(NBSP, " ") for change in solution.changes],
        crossings=[crossing_text(c).replace(NBSP, " ") for change in solution.changes for c in change.crossings],
        result=_outcome(result.category, result.variant) + leaf,
        path=path_summary(result),
    )


def compare_quadrants(
    rulebook: Rulebook,
    quadrants: Quadrants,
    profiles: Sequence[DomainProfile],
    results: Sequence[DomainResult],
) -> QuadrantComparison:
    """Compare the CEPS quadrant and VARIO's category of every profile (``results`` in the same order)."""
    rows: list[TechnologyComparison] = []
    needs: dict[tuple[str, ...], list[str]] = {}
    unreachable: list[str] = []
    for profile, result in zip(profiles, results, strict=True):
        x = indicator_value(profile, quadrants.x.indicator)
        y = indicator_value(profile, quadrants.y.indicator)
        quadrant = quadrants.locate(x, y)
        vario = "undetermined" if result.category == "undetermined" else _outcome(result.category, result.variant)
        expected = set(quadrant.corresponds_to) if quadrant else set()
        endings = []
        why: list[str] = []
        smallest = None
        if quadrant is None:
            agreement: Agreement = "not-placed"
            absent = [name for name, value in ((quadrants.x.indicator, x), (quadrants.y.indicator, y)) if value is None]
            why.append(f"no quadrant: the profile gives no {' and no '.join(absent)}")
        else:
            for assumptions, steps, outcome, leaf in _endings(result):
                agrees = _category(outcome) in expected
                reason = cause = None
                if not agrees:
                    reason, cause = _divergence(rulebook, steps, expected, result, assumptions)
                endings.append(
                    Ending(
                        assumptions=assumptions, outcome=outcome, leaf=leaf, agrees=agrees, reason=reason, cause=cause
                    )
                )
            agreeing = [e for e in endings if e.agrees]
            agreement = "agree" if len(agreeing) == len(endings) else "disagree" if not agreeing else "open"
            if agreement != "agree":
                wanted = " or ".join(quadrant.corresponds_to)
                if result.category == "undetermined":
                    why.append(
                        f"missing {', '.join(result.blocking)} decides between {', '.join(result.reachable)}; "
                        + (f"{wanted} is not among them" if agreement == "disagree" else f"{wanted} is among them")
                    )
                # Endings that leave for the same reason are told once, with the outcomes they reach.
                groups: dict[str, list[Ending]] = {}
                for ending in endings:
                    if ending.agrees:
                        condition = f"if {', '.join(ending.assumptions)}: " if ending.assumptions else ""
                        why.append(f"{condition}{ending.outcome} ({ending.leaf}), which agrees")
                    else:
                        groups.setdefault(ending.reason or "", []).append(ending)
                for reason, group in groups.items():
                    outcomes = ", ".join(dict.fromkeys(e.outcome for e in group))
                    if len(group) == 1:
                        condition = f"if {', '.join(group[0].assumptions)}: " if group[0].assumptions else ""
                        why.append(f"{condition}{outcomes} ({group[0].leaf}): {reason}")
                    elif len(group) == len(endings):
                        why.append(f"however the missing scores fall ({outcomes}): {reason}")
                    else:
                        why.append(
                            f"in {len(group)} of the {len(endings)} ways the missing scores can fall "
                            f"({outcomes}): {reason}"
                        )
                smallest = _smallest_change(rulebook, profile, list(quadrant.corresponds_to))
                if smallest is None:
                    unreachable.append(profile.id)
                else:
                    needs.setdefault(tuple(smallest.crossings), []).append(profile.id)
        rows.append(
            TechnologyComparison(
                id=profile.id,
                name=profile.name,
                file=profile.file,
                x=x,
                y=y,
                quadrant=quadrant.code if quadrant else None,
                quadrant_name=quadrant.name if quadrant else None,
                quadrant_label=quadrant.label if quadrant else None,
                corresponds_to=list(quadrant.corresponds_to) if quadrant else [],
                vario=vario,
                leaf=result.leaf.code if result.leaf else None,
                path=path_summary(result),
                blocking=list(result.blocking),
                reachable=list(result.reachable),
                agreement=agreement,
                why=why,
                endings=endings,
                smallest_change=smallest,
            )
        )

    def axis(a) -> AxisInfo:
        return AxisInfo(indicator=a.indicator, label=a.label, split=a.split, op=a.op)

    by = {kind: [r.id for r in rows if r.agreement == kind] for kind in AGREEMENTS}
    return QuadrantComparison(
        x=axis(quadrants.x),
        y=axis(quadrants.y),
        quadrants=[
            QuadrantInfo(
                code=q.code,
                name=q.name,
                label=q.label,
                corresponds_to=list(q.corresponds_to),
                interpretation=q.interpretation,
            )
            for q in quadrants.quadrants
        ],
        interpretation=INTERPRETATION,
        technologies=rows,
        summary=ComparisonSummary(
            counts={kind: len(ids) for kind, ids in by.items()},
            disagree=by["disagree"],
            open=by["open"],
            not_placed=by["not-placed"],
            needs=[
                Need(crossings=list(crossings), domains=ids)
                for crossings, ids in sorted(needs.items(), key=lambda item: (-len(item[1]), item[0]))
            ],
            unreachable=unreachable,
        ),
    )
