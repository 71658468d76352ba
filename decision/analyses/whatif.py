"""``decision whatif``: one domain before and after changing some of its scores.

Both sides are classified by the durable-rules engine under the same rules and
thresholds; the "after" profile is the file's with the ``--set`` scores replaced (origin
``--set``). The result says whether the outcome moved, where the two paths part (the
first test answered differently, with what each side read there), and which actions
and warnings appear or vanish. Text and JSON are both written from :class:`WhatIfResult`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from decision.engine.walk import Engine
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import Rulebook
from decision.model.result import ActionRef, DomainResult, Notice, ScoreValue, Step
from decision.model.wording import number, reading_text

Verdict = Literal["outcome changes", "leaf changes", "path changes", "actions or warnings change", "no change"]


class ScoreChange(BaseModel):
    """One score as the file gives it and as ``--set`` replaces it."""

    score: str
    before: float | None
    after: float | None
    text: str  # "economic 2 -> 4", "science 5 -> missing"


class Parting(BaseModel):
    """The first test the two sides answer differently."""

    node: str
    node_name: str
    criterion_key: str
    question: str
    before: Step
    after: Step
    before_text: str  # "economic 2 < 4 (fails) -> no, on to VT07"
    after_text: str
    changed_scores: list[str]  # scores read here whose value differs between the sides


class WhatIfResult(BaseModel):
    """Before and after, side by side, and what differs between them."""

    id: str
    name: str
    file: str
    changes: list[ScoreChange]
    verdict: Verdict
    summary: str
    before_outcome: str  # "category" or "category/variant", or "undetermined"
    after_outcome: str
    parting: Parting | None  # None when both sides take the same path
    actions_added: list[ActionRef]
    actions_removed: list[ActionRef]
    warnings_added: list[Notice]
    warnings_removed: list[Notice]
    before: DomainResult
    after: DomainResult


def outcome_of(result: DomainResult) -> str:
    """'strong', 'no-focus/partnership' or 'undetermined'."""
    return result.category if result.variant is None else f"{result.category}/{result.variant}"


def _leaf(result: DomainResult) -> str:
    return result.leaf.code if result.leaf else "none"


def changed_profile(profile: DomainProfile, values: dict[str, float | None]) -> DomainProfile:
    """The profile with some scores replaced; each replaced score carries origin ``--set``."""
    scores = dict(profile.scores)
    for name, value in values.items():
        was = profile.value(name)
        scores[name] = ScoreValue(
            value=value,
            symbol="na" if value is None else None,
            origin="--set",
            note=f"set on the command line (the profile gives {number(was)})",
        )
    return profile.model_copy(update={"scores": scores})


def _reading_line(step: Step) -> str:
    """'economic 2 < 4 (fails) -> no, on to VT07'."""
    joiner = " or " if step.combine == "any" else " and "
    text = f"{joiner.join(reading_text(r) for r in step.readings)} -> {step.outcome}"
    return text + (f", on to {step.next}" if step.next else " (a missing score: both ways explored)")


def paths_part(before: DomainResult, after: DomainResult) -> Parting | None:
    """The first test the two paths answer differently (or leave for different places), or None.

    Shared by ``whatif`` (one profile, two sets of scores) and ``diff`` (two runs, possibly
    under different rules, where an edited tree can send the same answer elsewhere).
    """
    for old, new in zip(before.path, after.path, strict=False):
        if old.node != new.node:  # only when the two sides start from different roots
            break
        if old.outcome != new.outcome or old.next != new.next:
            values_before = {r.score: (r.value, r.threshold) for r in old.readings}
            changed = [r.score for r in new.readings if values_before.get(r.score) != (r.value, r.threshold)]
            return Parting(
                node=old.node,
                node_name=old.node_name,
                criterion_key=old.criterion_key,
                question=old.question,
                before=old,
                after=new,
                before_text=_reading_line(old),
                after_text=_reading_line(new),
                changed_scores=changed,
            )
    return None


class Comparison(BaseModel):
    """What differs between two results of one domain (shared by ``whatif`` and ``diff``)."""

    verdict: Verdict
    summary: str
    before_outcome: str
    after_outcome: str
    parting: Parting | None
    actions_added: list[ActionRef]
    actions_removed: list[ActionRef]
    warnings_added: list[Notice]
    warnings_removed: list[Notice]


def compare_results(before: DomainResult, after: DomainResult) -> Comparison:
    """Outcome, leaf, where the paths part, and the actions and warnings that appear or vanish."""
    old_actions = {a.code for a in before.actions}
    new_actions = {a.code for a in after.actions}
    old_warnings = {(w.code, w.message) for w in before.warnings}
    new_warnings = {(w.code, w.message) for w in after.warnings}
    actions_added = [a for a in after.actions if a.code not in old_actions]
    actions_removed = [a for a in before.actions if a.code not in new_actions]
    warnings_added = [w for w in after.warnings if (w.code, w.message) not in old_warnings]
    warnings_removed = [w for w in before.warnings if (w.code, w.message) not in new_warnings]
    parting = paths_part(before, after)
    old_outcome, new_outcome = outcome_of(before), outcome_of(after)
    verdict: Verdict
    if old_outcome != new_outcome:
        verdict, summary = "outcome changes", f"outcome changes: {old_outcome} -> {new_outcome}"
    elif _leaf(before) != _leaf(after):
        verdict = "leaf changes"
        summary = f"same outcome ({old_outcome}), but the leaf changes: {_leaf(before)} -> {_leaf(after)}"
    elif parting is not None:
        verdict, summary = "path changes", f"same outcome ({old_outcome}) and leaf, but the path changes"
    elif actions_added or actions_removed or warnings_added or warnings_removed:
        verdict = "actions or warnings change"
        summary = f"same outcome ({old_outcome}), leaf and path; actions or warnings change"
    else:
        verdict = "no change"
        summary = f"no change: still {old_outcome} (leaf {_leaf(before)}), same path, actions and warnings"
    return Comparison(
        verdict=verdict,
        summary=summary,
        before_outcome=old_outcome,
        after_outcome=new_outcome,
        parting=parting,
        actions_added=actions_added,
        actions_removed=actions_removed,
        warnings_added=warnings_added,
        warnings_removed=warnings_removed,
    )


def whatif(rulebook: Rulebook, profile: DomainProfile, values: dict[str, float | None]) -> WhatIfResult:
    """Classify ``profile`` as it is and with ``values`` set; compare the two."""
    engine = Engine(rulebook)
    before = engine.classify(profile)
    after = engine.classify(changed_profile(profile, values))
    changes = [
        ScoreChange(
            score=name,
            before=profile.value(name),
            after=value,
            text=f"{name} {number(profile.value(name))} -> {number(value)}",
        )
        for name, value in values.items()
    ]
    comparison = compare_results(before, after)
    return WhatIfResult(
        id=profile.id,
        name=profile.name,
        file=profile.file,
        changes=changes,
        verdict=comparison.verdict,
        summary=comparison.summary,
        before_outcome=comparison.before_outcome,
        after_outcome=comparison.after_outcome,
        parting=comparison.parting,
        actions_added=comparison.actions_added,
        actions_removed=comparison.actions_removed,
        warnings_added=comparison.warnings_added,
        warnings_removed=comparison.warnings_removed,
        before=before,
        after=after,
    )
