"""``decision diff``: what differs between two classified portfolios.

The two sides are lists of :class:`DomainResult`: two profile folders classified under
the same rules, the same profiles classified under two rules folders, or two run records
of the audit store. Domains are matched by id. For each domain on both sides the
comparison is the one ``decision whatif`` makes (:func:`decision.analyses.whatif.compare_results`:
outcome, leaf, the first test where the paths part with what each side read there,
actions and warnings); on top come the domains added and removed, the score changes per
domain, the threshold changes, and, for two rules folders, what changed in each file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from decision.analyses.whatif import Parting, ScoreChange, Verdict, compare_results, outcome_of
from decision.errors import UsageError
from decision.inputs.rulebook import RULE_FILES, Rulebook
from decision.model.result import ActionRef, DomainResult, Notice, ScoreValue, ThresholdUsed
from decision.model.wording import number, plural

DiffKind = Literal["profiles", "rules", "runs"]
KIND_NOUNS = {"profiles": "profiles", "rules": "a rules folder", "runs": "a run record"}


class Side(BaseModel):
    """One side of the comparison, as given on the command line."""

    label: str  # "domains/", "rules-2026/", "run:3"
    description: str  # what it is, in a few words
    domains: int


class DomainRef(BaseModel):
    """A domain present on one side only."""

    id: str
    name: str
    file: str
    outcome: str
    leaf: str | None
    reachable: list[str]  # when undetermined: the outcomes still possible


class DomainChange(BaseModel):
    """A domain on both sides whose classification differs."""

    id: str
    name: str
    verdict: Verdict
    summary: str
    before_outcome: str
    after_outcome: str
    before_leaf: str | None
    after_leaf: str | None
    before_reachable: list[str]  # when undetermined: the outcomes still possible
    after_reachable: list[str]
    parting: Parting | None
    # When the outcome or leaf changes but no test is answered differently: why.
    note: str | None
    actions_added: list[ActionRef]
    actions_removed: list[ActionRef]
    warnings_added: list[Notice]
    warnings_removed: list[Notice]


class DomainScores(BaseModel):
    """The scores (and feasibility factors) of one domain whose values differ."""

    id: str
    scores: list[ScoreChange]
    factors: list[ScoreChange]


class ThresholdChange(BaseModel):
    """A threshold whose value or operator differs between the sides."""

    score: str
    before: ThresholdUsed | None
    after: ThresholdUsed | None
    text: str  # "science >= 4 -> >= 4.5"


class RuleChange(BaseModel):
    """One entry of a rules file added, removed or changed (thresholds: see ThresholdChange)."""

    file: str
    item: str  # a code (VT03), a name (economic), or a setting (fragile_step)
    change: Literal["added", "removed", "changed"]
    fields: list[str]  # for a changed entry with fields: which ones
    text: str


class PortfolioDiff(BaseModel):
    """Everything ``decision diff`` prints, in text or JSON."""

    kind: DiffKind
    old: Side
    new: Side
    different: bool
    summary: str
    changed: list[DomainChange]
    added: list[DomainRef]
    removed: list[DomainRef]
    unchanged: list[str]  # same outcome, leaf, path, actions and warnings (scores may differ)
    score_changes: list[DomainScores]
    threshold_changes: list[ThresholdChange]
    rules_changes: list[RuleChange]


def _leaf(result: DomainResult) -> str | None:
    return result.leaf.code if result.leaf else None


def _by_id(results: Sequence[DomainResult], side: str) -> dict[str, DomainResult]:
    found: dict[str, DomainResult] = {}
    for result in results:
        if result.id in found:
            raise UsageError(
                f'{side}: the domain id "{result.id}" occurs twice ({found[result.id].file}, {result.file})'
            )
        found[result.id] = result
    return found


def _note(before: DomainResult, after: DomainResult, verdict: Verdict, parting: Parting | None) -> str | None:
    if parting is not None or verdict not in ("outcome changes", "leaf changes", "path changes"):
        return None
    if before.path and after.path and before.path[0].node != after.path[0].node:
        return f"the paths start at different roots ({before.path[0].node}, {after.path[0].node})"
    if _leaf(before) is not None and _leaf(before) == _leaf(after):
        return f"both paths end in {_leaf(before)}, whose definition differs between the two rules"
    if _leaf(before) is None and _leaf(after) is None and before.path and after.path:
        last = before.path[-1]
        return f"both paths stop at {last.node} (unknown); the leaves beyond it differ (see alternatives)"
    return "every test is answered alike; what differs lies after the path (see the rules changes)"


def _value_changes(old: dict[str, ScoreValue], new: dict[str, ScoreValue], names: Iterable[str]) -> list[ScoreChange]:
    changes = []
    for name in names:
        before = old[name].value if name in old else None
        after = new[name].value if name in new else None
        if before != after:
            changes.append(
                ScoreChange(score=name, before=before, after=after, text=f"{name} {number(before)} -> {number(after)}")
            )
    return changes


def _ordered_names(*mappings: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for mapping in mappings:
        names.extend(name for name in mapping if name not in names)
    return names


def _threshold_text(threshold: ThresholdUsed | None) -> str:
    if threshold is None:
        return "none"
    origin = "" if threshold.origin == "rules" else f" [{threshold.origin}]"
    return f"{threshold.op} {number(threshold.value)}{origin}"


def threshold_changes(
    old: dict[str, ThresholdUsed],
    new: dict[str, ThresholdUsed],
    overridden: dict[str, ThresholdUsed] | None = None,
) -> list[ThresholdChange]:
    """Thresholds whose value, operator or origin differ. ``overridden``: thresholds that
    ``--threshold`` replaced on both sides (the change is then in the files only)."""

    def key(threshold: ThresholdUsed | None) -> tuple | None:
        return None if threshold is None else (threshold.op, threshold.value, threshold.origin)

    changes = []
    for name in _ordered_names(old, new):
        before, after = old.get(name), new.get(name)
        if key(before) != key(after):
            text = f"{name} {_threshold_text(before)} -> {_threshold_text(after)}"
            if overridden and name in overridden:
                text += f" (both overridden for this run: {_threshold_text(overridden[name])})"
            changes.append(ThresholdChange(score=name, before=before, after=after, text=text))
    return changes


def thresholds_of(rulebook: Rulebook) -> dict[str, ThresholdUsed]:
    """The thresholds in force under ``rulebook``, as results record them."""
    return {
        name: ThresholdUsed(value=t.value, op=t.op, origin=t.origin, meaning=t.meaning, interpretation=t.interpretation)
        for name, t in rulebook.thresholds.items()
    }


def _sections(rulebook: Rulebook) -> dict[str, dict[str, Any]]:
    """Per rules file, its entries by code, name or setting (thresholds without value and op)."""
    portfolio = rulebook.portfolio
    return {
        "scales.yaml": {
            "scale": rulebook.scale,
            **{f"symbol {symbol}": value for symbol, value in rulebook.symbols.items()},
        },
        "scores.yaml": {**rulebook.scores, **{f"factor {name}": f for name, f in rulebook.factors.items()}},
        "thresholds.yaml": {
            name: t.model_copy(update={"value": 0.0, "op": "", "origin": ""}) for name, t in rulebook.thresholds.items()
        },
        "criteria.yaml": dict(rulebook.criteria),
        "tree.yaml": {
            "root": rulebook.root,
            **{f"category {name}": c for name, c in rulebook.categories.items()},
            **{f"variant {name}": v for name, v in rulebook.variants.items()},
            **{f"missing link {name}": m for name, m in rulebook.missing_links.items()},
            "feasibility": rulebook.feasibility,
            **rulebook.nodes,
            **rulebook.leaves,
        },
        "actions.yaml": dict(rulebook.actions),
        "workshop.yaml": rulebook.workshop.model_dump(),
        "portfolio.yaml": {
            **portfolio.model_dump(exclude={"warnings"}),
            **{w.code: w for w in portfolio.warnings},
        },
    }


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, float):
        return number(value)
    return "missing" if value is None else str(value)


def rules_changes(old: Rulebook, new: Rulebook) -> list[RuleChange]:
    """Entries added, removed or changed per rules file; threshold values are left to threshold_changes."""
    changes: list[RuleChange] = []
    old_sections, new_sections = _sections(old), _sections(new)
    for file in RULE_FILES:
        before, after = old_sections.get(file, {}), new_sections.get(file, {})
        found = []
        for item in _ordered_names(before, after):
            if item not in after:
                found.append(RuleChange(file=file, item=item, change="removed", fields=[], text=f"{item} removed"))
            elif item not in before:
                found.append(RuleChange(file=file, item=item, change="added", fields=[], text=f"{item} added"))
            elif isinstance(before[item], BaseModel) and isinstance(after[item], BaseModel):
                old_fields, new_fields = before[item].model_dump(), after[item].model_dump()
                fields = [f for f in _ordered_names(old_fields, new_fields) if old_fields.get(f) != new_fields.get(f)]
                if fields:
                    text = f"{item} changed: {', '.join(fields)}"
                    found.append(RuleChange(file=file, item=item, change="changed", fields=fields, text=text))
            elif before[item] != after[item]:
                text = f"{item} {_shown(before[item])} -> {_shown(after[item])}"
                found.append(RuleChange(file=file, item=item, change="changed", fields=[], text=text))
        if not found and old.file_digests.get(file) != new.file_digests.get(file):
            thresholds_only = file == "thresholds.yaml" and threshold_changes(thresholds_of(old), thresholds_of(new))
            if not thresholds_only:
                found.append(
                    RuleChange(file=file, item="(file)", change="changed", fields=[], text="comments or layout only")
                )
        changes.extend(found)
    return changes


def digest_changes(old: dict[str, str], new: dict[str, str]) -> list[RuleChange]:
    """Rules files whose SHA-256 differs, when their entries cannot be compared (run records
    whose rules folder has changed since, or is gone)."""
    changes = []
    for file in _ordered_names(old, new):
        before, after = old.get(file), new.get(file)
        if before == after:
            continue
        if before is None or after is None:
            change: Literal["added", "removed", "changed"] = "added" if before is None else "removed"
            changes.append(RuleChange(file=file, item="(file)", change=change, fields=[], text=f"file {change}"))
        else:
            text = f"content differs (sha256 {before[:12]} -> {after[:12]})"
            changes.append(RuleChange(file=file, item="(file)", change="changed", fields=[], text=text))
    return changes


def _ref(result: DomainResult) -> DomainRef:
    return DomainRef(
        id=result.id,
        name=result.name,
        file=result.file,
        outcome=outcome_of(result),
        leaf=_leaf(result),
        reachable=list(result.reachable),
    )


def _summary(changed: list[DomainChange], added: int, removed: int, unchanged: int) -> str:
    """'1 domain changes outcome, 1 added, 1 removed, 9 unchanged'."""
    parts = []
    for verdict, what in (
        ("outcome changes", "outcome"),
        ("leaf changes", "leaf only"),
        ("path changes", "path only"),
        ("actions or warnings change", "actions or warnings only"),
    ):
        count = sum(1 for c in changed if c.verdict == verdict)
        if count:
            parts.append(f"{plural(count, 'domain')} {'changes' if count == 1 else 'change'} {what}")
    parts += [f"{added} added", f"{removed} removed", f"{unchanged} unchanged"]
    return ", ".join(parts)


def diff_results(
    old: Sequence[DomainResult],
    new: Sequence[DomainResult],
    *,
    kind: DiffKind,
    old_side: Side,
    new_side: Side,
    old_thresholds: dict[str, ThresholdUsed] | None = None,
    new_thresholds: dict[str, ThresholdUsed] | None = None,
    overridden_thresholds: dict[str, ThresholdUsed] | None = None,
    changed_rules: list[RuleChange] | None = None,
) -> PortfolioDiff:
    """Compare two classified portfolios, domain by domain (matched by id)."""
    old_by_id, new_by_id = _by_id(old, old_side.label), _by_id(new, new_side.label)
    changed: list[DomainChange] = []
    unchanged: list[str] = []
    score_changes: list[DomainScores] = []
    for result in new:
        if result.id not in old_by_id:
            continue
        before = old_by_id[result.id]
        comparison = compare_results(before, result)
        if comparison.before_outcome == comparison.after_outcome == "undetermined" and sorted(
            before.reachable
        ) != sorted(result.reachable):
            # Still undetermined, but between other outcomes: for a portfolio, that is a move.
            old_text, new_text = " or ".join(before.reachable), " or ".join(result.reachable)
            summary = f"outcome changes: undetermined ({old_text}) -> undetermined ({new_text})"
            comparison = comparison.model_copy(update={"verdict": "outcome changes", "summary": summary})
        if comparison.verdict == "no change":
            unchanged.append(result.id)
        else:
            changed.append(
                DomainChange(
                    id=result.id,
                    name=result.name,
                    before_leaf=_leaf(before),
                    after_leaf=_leaf(result),
                    before_reachable=list(before.reachable),
                    after_reachable=list(result.reachable),
                    note=_note(before, result, comparison.verdict, comparison.parting),
                    **dict(comparison),
                )
            )
        scores = _value_changes(before.scores, result.scores, _ordered_names(before.scores, result.scores))
        factors = _value_changes(before.factors, result.factors, _ordered_names(before.factors, result.factors))
        if scores or factors:
            score_changes.append(DomainScores(id=result.id, scores=scores, factors=factors))
    added = [_ref(r) for r in new if r.id not in old_by_id]
    removed = [_ref(r) for r in old if r.id not in new_by_id]
    if old_thresholds is None:
        old_thresholds = old[0].thresholds if old else {}
    if new_thresholds is None:
        new_thresholds = new[0].thresholds if new else {}
    thresholds = threshold_changes(old_thresholds, new_thresholds, overridden_thresholds)
    rules = list(changed_rules or [])
    different = bool(changed or added or removed or score_changes or thresholds or rules)
    return PortfolioDiff(
        kind=kind,
        old=old_side,
        new=new_side,
        different=different,
        summary=_summary(changed, len(added), len(removed), len(unchanged)),
        changed=changed,
        added=added,
        removed=removed,
        unchanged=unchanged,
        score_changes=score_changes,
        threshold_changes=thresholds,
        rules_changes=rules,
    )
