"""Plain-language phrasing of results, shared by every renderer so they never disagree."""

from __future__ import annotations

from decision.model.result import DomainResult, Reading, ScoreValue, Step

NEGATION = {">=": "<", ">": "<="}
# The framework's categories in the order every count and table lists them.
CATEGORY_ORDER = ("strong", "ecosystem-gap", "moonshot", "no-focus", "undetermined")


def number(value: float | None) -> str:
    """A score or threshold as people write it: 4, 3.5, or 'missing'."""
    return "missing" if value is None else f"{value:g}"


def reading_text(reading: Reading) -> str:
    """'economic 2 < 4 (fails)' style text of one comparison."""
    origin = "" if reading.threshold_origin == "rules" else f" [{reading.threshold_origin}]"
    if reading.passed is None:
        return f"{reading.score} missing (threshold {reading.op} {number(reading.threshold)}{origin})"
    op = reading.op if reading.passed else NEGATION[reading.op]
    verdict = "passes" if reading.passed else "fails"
    return f"{reading.score} {number(reading.value)} {op} {number(reading.threshold)}{origin} ({verdict})"


def step_text(step: Step) -> str:
    """One line: code, name, the question's answer and the figures it read."""
    joiner = " or " if step.combine == "any" else " and "
    readings = joiner.join(reading_text(r) for r in step.readings)
    return f"{step.node} {step.node_name} [{step.criterion_key}]: {readings} -> {step.outcome}"


def category_text(result: DomainResult) -> str:
    """Category with its variant, e.g. 'no-focus (partnership)'."""
    return result.category if result.variant is None else f"{result.category} ({result.variant})"


def provenance_text(score: ScoreValue) -> str:
    """Where a score came from, in one line."""
    parts = []
    if score.symbol is not None:
        parts.append(f'symbol "{score.symbol}"')
    if score.low is not None and score.high is not None:
        parts.append(f"range {score.low:g}-{score.high:g} ({score.distribution or 'uniform'})")
    if score.origin != "profile":
        parts.append(score.origin)
    if score.source:
        parts.append(score.source)
    if score.note:
        parts.append(score.note)
    if score.derivation is not None and not score.derivation.used:
        parts.append(f"overrides {score.derivation.code}, which would give {number(score.derivation.value)}")
    if score.assumption:
        parts.append("ASSUMPTION")
    if score.location:
        parts.append(f"at {score.location}")
    return "; ".join(part.rstrip(". ") for part in parts)


def _where(figure) -> str:
    """' [source; note; at file:line]' of one indicator figure, or ''."""
    parts = (figure.source, figure.note, figure.location and f"at {figure.location}")
    where = "; ".join(part.rstrip(". ") for part in parts if part)
    return f" [{where}]" if where else ""


def derivation_lines(name: str, score: ScoreValue) -> list[str]:
    """How a score was derived from indicators, figure by figure, in plain lines.

    For an explicit score that overrode a derivation, the first line says so."""
    derivation = score.derivation
    if derivation is None:
        return []
    if derivation.used and derivation.value is None:
        head = f"{name} is missing: {derivation.code} {derivation.name} has no usable figure"
    elif derivation.used:
        head = f"{name} = {number(derivation.value)}, derived by {derivation.code} {derivation.name}"
        head += f" ({derivation.combine})"
    else:
        head = (
            f"{name}: the profile's own score {number(score.value)} wins; {derivation.code} {derivation.name} "
            f"would give {number(derivation.value)} from the indicators"
        )
    lines = [head]
    for use in derivation.inputs:
        figure = f'"{use.symbol}"' if use.symbol else f"{use.raw:g}"
        weight = "" if use.weight is None else f", weight {use.weight:g}"
        lines.append(f"  {use.indicator} ({use.label}) {figure}: {use.rule}{weight}{_where(use)}")
    for figure in derivation.unavailable:
        lines.append(f"  {figure.indicator} not available ({figure.symbol or 'na'}){_where(figure)}")
    if derivation.missing:
        effect = "the score is missing" if derivation.value is None else "left out of the " + derivation.combine
        lines.append(f"  missing: {', '.join(derivation.missing)} ({derivation.missing_rule}: {effect})")
    if derivation.interpretation:
        lines.append(f"  interpretation, not stated in the source: {derivation.interpretation}")
    lines.append(f"  [{derivation.cite}]")
    return lines


def result_derivation_lines(result: DomainResult) -> list[str]:
    """The derivation lines of every score of a result, in the rules' order of scores."""
    names = dict.fromkeys([*(n for n in result.thresholds if n in result.scores), *result.scores])
    return [line for name in names for line in derivation_lines(name, result.scores[name])]


def plural(count: int, noun: str) -> str:
    """'1 domain', '2 domains'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def path_summary(result: DomainResult) -> str:
    """Compact path for tables: 'VT01 G+ > VT02 P+ > VT03 E-'."""
    marks = {"yes": "+", "no": "-", "unknown": "?"}
    steps = " > ".join(f"{s.node} {s.criterion_key}{marks[s.outcome]}" for s in result.path)
    end = result.leaf.code if result.leaf else "?"
    return f"{steps} > {end}"


def run_banner(results: list[DomainResult]) -> str | None:
    """One line saying how a run's rules differ from its rules folder, or None.

    A workshop that changed a threshold or chose another reading must see it on every
    page it shows, not only in the JSON.
    """
    if not results:
        return None
    first = results[0]
    parts = []
    changed = [f"{name} {t.op} {t.value:g} ({t.origin})" for name, t in first.thresholds.items() if t.origin != "rules"]
    if changed:
        parts.append("thresholds changed for this run: " + ", ".join(changed))
    if first.readings:
        parts.append("read under " + ", ".join(first.readings) + " (not the default reading)")
    return "; ".join(parts) if parts else None
