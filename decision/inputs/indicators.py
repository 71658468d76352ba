"""Indicator mappings: how raw figures (RCAs, indexes, Table 1 symbols) become 0-5 scores.

``rules/indicators.yaml`` declares the indicators a profile may give, named transforms
(bands, linear scaling, ordinal symbols) and one derivation per score that combines its
inputs (mean, weighted mean, min, max). This module validates that file against the other
registries and applies it to a profile, recording every figure, rule and result so that
``decision explain`` can show a score down to the figure it came from.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from decision.errors import Problem, unknown_name
from decision.inputs.yaml_source import YamlDocument
from decision.model.result import Derivation, IndicatorUse, IndicatorValue, ScoreValue

Combine = Literal["mean", "weighted_mean", "min", "max"]
MIN_WEIGHT, MAX_WEIGHT = 1e-6, 1e6


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndicatorDef(_Strict):
    """One indicator a profile may give under ``indicators:``."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    measures: str
    unit: str
    kind: Literal["number", "symbol"] = "number"
    min: float | None = None
    max: float | None = None
    # The geography a figure describes: the project scores Flanders, some sources only
    # report Belgium, and the explanation must say so.
    scope: str = "Flanders"
    cite: str


class Band(_Strict):
    """Figures from ``from_`` up to the next band's edge take ``score``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: float = Field(alias="from")
    score: float


class LinearMap(_Strict):
    """Maps the interval ``from_`` onto ``to``, clamped at both ends."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: tuple[float, float] = Field(alias="from")
    to: tuple[float, float]


class Transform(_Strict):
    """Exactly one of: bands, linear, symbols (``scale`` = the mapping of scales.yaml)."""

    bands: list[Band] | None = None
    linear: LinearMap | None = None
    symbols: Literal["scale"] | None = None

    @property
    def kind(self) -> str:
        """Which of the three kinds this transform is."""
        return "bands" if self.bands is not None else "linear" if self.linear is not None else "symbols"


class DerivationInput(_Strict):
    """One indicator feeding a derivation, through a named transform."""

    indicator: str
    transform: str
    weight: float | None = None

    @field_validator("weight")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        # Weights are relative (3 and 1 count three to one). Far outside this range the
        # weighted sum overflows to infinity or loses every digit, and the score becomes NaN.
        if value is not None and not (math.isfinite(value) and MIN_WEIGHT <= value <= MAX_WEIGHT):
            raise ValueError(
                f"a weight must be a number from {MIN_WEIGHT:g} to {MAX_WEIGHT:g} (weights are relative: 3 and 1 "
                "count three to one)"
            )
        return value


class DerivationRule(_Strict):
    """How one score is derived from indicators; coded like tree nodes (VD01 ...)."""

    code: str = Field(pattern=r"^VD\d{2}$")
    name: str
    score: str
    combine: Combine
    missing: Literal["block", "skip"]
    inputs: list[DerivationInput] = Field(min_length=1)
    cite: str
    interpretation: str | None = None


class IndicatorsFile(_Strict):
    """``rules/indicators.yaml`` as written."""

    indicators: list[IndicatorDef]
    transforms: dict[str, Transform]
    derivations: list[DerivationRule]


class IndicatorRules(BaseModel):
    """The validated indicator registry, transforms and derivations (one per score)."""

    model_config = ConfigDict(frozen=True)

    indicators: dict[str, IndicatorDef]
    transforms: dict[str, Transform]
    derivations: dict[str, DerivationRule]

    def evidence_for(self, score: str) -> str:
        """In words, what would give a missing score a value: its indicators or a cited score."""
        rule = self.derivations.get(score)
        if rule is None:
            return f"a cited {score} score"
        names = ", ".join(item.indicator for item in rule.inputs)
        return f"a figure for {names} ({rule.code}), or a cited {score} score"


def check_indicator_rules(
    parsed: IndicatorsFile,
    document: YamlDocument,
    scores: set[str],
    symbols: dict[str, float | None],
    scale: tuple[float, float],
) -> tuple[IndicatorRules, list[Problem]]:
    """Cross-check indicators.yaml against the score registry and the scale; list all problems."""
    problems: list[Problem] = []
    low, high = scale
    indicators: dict[str, IndicatorDef] = {}
    for index, indicator in enumerate(parsed.indicators):
        loc = ("indicators", index)
        if indicator.name in indicators:
            problems.append(document.problem((*loc, "name"), indicator.name, f'duplicate indicator "{indicator.name}"'))
        if indicator.min is not None and indicator.max is not None and indicator.min >= indicator.max:
            problems.append(document.problem((*loc, "min"), indicator.name, "min must be below max"))
        indicators[indicator.name] = indicator

    for name, transform in parsed.transforms.items():
        loc = ("transforms", name)
        given = [kind for kind in ("bands", "linear", "symbols") if getattr(transform, kind) is not None]
        if len(given) != 1:
            message = "a transform needs exactly one of bands, linear, symbols" + (
                f" (got {', '.join(given)})" if given else ""
            )
            problems.append(document.problem(loc, name, message))
            continue
        if transform.bands is not None:
            if not transform.bands:
                problems.append(document.problem((*loc, "bands"), name, "bands need at least one band"))
            edges = [band.from_ for band in transform.bands]
            for position, band in enumerate(transform.bands):
                if not low <= band.score <= high:
                    problems.append(
                        document.problem(
                            (*loc, "bands", position, "score"),
                            name,
                            f"band score {band.score:g} is outside the scale {low:g}-{high:g}",
                        )
                    )
                if position and edges[position] <= edges[position - 1]:
                    problems.append(
                        document.problem(
                            (*loc, "bands", position, "from"),
                            name,
                            f"band edges must rise: {edges[position]:g} follows {edges[position - 1]:g}",
                        )
                    )
        if transform.linear is not None:
            (a, b), (c, d) = transform.linear.from_, transform.linear.to
            if a == b:
                problems.append(document.problem((*loc, "linear", "from"), name, "an empty interval cannot be scaled"))
            for value in (c, d):
                if not low <= value <= high:
                    problems.append(
                        document.problem(
                            (*loc, "linear", "to"), name, f"{value:g} is outside the scale {low:g}-{high:g}"
                        )
                    )

    derivations: dict[str, DerivationRule] = {}
    seen_codes: set[str] = set()
    for index, rule in enumerate(parsed.derivations):
        loc = ("derivations", index)
        if rule.code in seen_codes:
            problems.append(document.problem((*loc, "code"), rule.code, f'duplicate code "{rule.code}"'))
        seen_codes.add(rule.code)
        if rule.score not in scores:
            problems.append(document.problem((*loc, "score"), rule.code, unknown_name("score", rule.score, scores)))
        elif rule.score in derivations:
            other = derivations[rule.score].code
            problems.append(
                document.problem((*loc, "score"), rule.code, f'score "{rule.score}" is already derived by {other}')
            )
        weights = [item.weight is not None for item in rule.inputs]
        if rule.combine == "weighted_mean" and not all(weights):
            problems.append(
                document.problem((*loc, "inputs"), rule.code, "weighted_mean needs a weight on every input")
            )
        if rule.combine != "weighted_mean" and any(weights):
            problems.append(
                document.problem(
                    (*loc, "inputs"), rule.code, f"weights only apply to weighted_mean, not {rule.combine}"
                )
            )
        seen_inputs: set[str] = set()
        for position, item in enumerate(rule.inputs):
            item_loc = (*loc, "inputs", position)
            if item.indicator in seen_inputs:
                problems.append(
                    document.problem((*item_loc, "indicator"), rule.code, f'indicator "{item.indicator}" given twice')
                )
            seen_inputs.add(item.indicator)
            definition = indicators.get(item.indicator)
            if definition is None:
                problems.append(
                    document.problem(
                        (*item_loc, "indicator"), rule.code, unknown_name("indicator", item.indicator, indicators)
                    )
                )
            transform = parsed.transforms.get(item.transform)
            if transform is None:
                problems.append(
                    document.problem(
                        (*item_loc, "transform"),
                        rule.code,
                        unknown_name("transform", item.transform, parsed.transforms),
                    )
                )
            elif definition is not None:
                problems.extend(_transform_fit(document, item_loc, rule.code, definition, item.transform, transform))
        if rule.score not in derivations:
            derivations[rule.score] = rule
    rules = IndicatorRules(indicators=indicators, transforms=dict(parsed.transforms), derivations=derivations)
    return rules, problems


def _transform_fit(
    document: YamlDocument, loc: tuple, code: str, indicator: IndicatorDef, name: str, transform: Transform
) -> list[Problem]:
    """A symbol indicator needs the symbol transform and a number one a numeric transform;
    bands must start at the indicator's minimum so every valid figure lands in a band."""
    where = (*loc, "transform")
    if (indicator.kind == "symbol") != (transform.symbols is not None):
        want = "a symbols transform" if indicator.kind == "symbol" else "a bands or linear transform"
        return [document.problem(where, code, f'indicator "{indicator.name}" ({indicator.kind}) needs {want}')]
    if transform.bands:
        first = transform.bands[0].from_
        if indicator.min is None or first > indicator.min:
            floor = "no minimum" if indicator.min is None else f"minimum {indicator.min:g}"
            return [
                document.problem(
                    where,
                    code,
                    f'transform "{name}" starts at {first:g} but "{indicator.name}" has {floor}: '
                    "figures below the first band would have no score",
                )
            ]
    return []


def apply_transform(transform: Transform, value: float, symbol: str | None) -> tuple[float, str]:
    """The score of one figure and the rule applied, in words."""
    if transform.bands is not None:
        chosen = transform.bands[0]
        upper: float | None = None
        for position, band in enumerate(transform.bands):
            if value >= band.from_:
                chosen = band
                nxt = transform.bands[position + 1] if position + 1 < len(transform.bands) else None
                upper = None if nxt is None else nxt.from_
        span = f"{chosen.from_:g} <= x" + ("" if upper is None else f" < {upper:g}")
        return chosen.score, f"band {span} -> {chosen.score:g}"
    if transform.linear is not None:
        (a, b), (c, d) = transform.linear.from_, transform.linear.to
        share = min(max((value - a) / (b - a), 0.0), 1.0)
        result = round(c + share * (d - c), 4)
        clamped = " (clamped)" if (value - a) / (b - a) != share else ""
        return result, f"linear {a:g}..{b:g} -> {c:g}..{d:g}{clamped} -> {result:g}"
    return value, f'symbol "{symbol}" -> {value:g} (rules/scales.yaml)'


def derive_scores(
    rules: IndicatorRules,
    indicators: dict[str, IndicatorValue],
    scores: dict[str, ScoreValue],
) -> dict[str, ScoreValue]:
    """Scores with derivations applied: a derived score fills a missing one; an explicit
    score wins and carries the derivation it overrode, so the explanation can show both."""
    result = dict(scores)
    for score, rule in rules.derivations.items():
        given = [item for item in rule.inputs if item.indicator in indicators]
        if not given:
            continue
        derivation = _derive(rules, rule, indicators)
        explicit = scores.get(score)
        if explicit is not None:
            result[score] = explicit.model_copy(update={"derivation": derivation.model_copy(update={"used": False})})
            continue
        located = [*derivation.inputs, *derivation.unavailable]
        first_location = next((figure.location for figure in located if figure.location), None)
        # A score built on a proxy figure is itself an assumption, whatever the others are.
        proxies = [
            use.indicator for use in derivation.inputs if getattr(indicators.get(use.indicator), "assumption", False)
        ]
        result[score] = ScoreValue(
            value=derivation.value,
            origin="indicators",
            location=first_location,
            note=derivation.summary + (f" (proxy: {', '.join(proxies)})" if proxies else ""),
            assumption=bool(proxies),
            derivation=derivation,
        )
    return result


def _derive(rules: IndicatorRules, rule: DerivationRule, indicators: dict[str, IndicatorValue]) -> Derivation:
    uses: list[IndicatorUse] = []
    missing: list[str] = []
    unavailable: list[IndicatorValue] = []
    for item in rule.inputs:
        figure = indicators.get(item.indicator)
        if figure is None or figure.value is None:
            missing.append(item.indicator)
            if figure is not None:
                unavailable.append(figure)
            continue
        transform = rules.transforms[item.transform]
        value, rule_text = apply_transform(transform, figure.value, figure.symbol)
        uses.append(
            IndicatorUse(
                indicator=item.indicator,
                label=rules.indicators[item.indicator].label,
                raw=figure.value,
                symbol=figure.symbol,
                source=figure.source,
                note=figure.note,
                location=figure.location,
                transform=item.transform,
                rule=rule_text,
                score=value,
                weight=item.weight,
            )
        )
    value: float | None
    if not uses or (missing and rule.missing == "block"):
        value = None
    elif rule.combine == "min":
        value = min(use.score for use in uses)
    elif rule.combine == "max":
        value = max(use.score for use in uses)
    elif rule.combine == "mean":
        value = round(sum(use.score for use in uses) / len(uses), 4)
    else:
        total = sum(use.weight or 0 for use in uses)
        value = round(sum(use.score * (use.weight or 0) for use in uses) / total, 4)
    parts = [f'{use.indicator} "{use.symbol}"' if use.symbol else f"{use.indicator} {use.raw:g}" for use in uses]
    if not uses:
        summary = f"{rule.code}: no figure for {', '.join(missing)}, so the score is missing"
    else:
        summary = f"{rule.code} {rule.combine} of " + ", ".join(
            f"{part} -> {use.score:g}" for part, use in zip(parts, uses, strict=True)
        )
        # Inputs left out of a skip derivation are listed in the derivation itself; the
        # one-line summary names missing inputs only where they made the score missing.
        if missing and value is None:
            summary += f"; missing {', '.join(missing)} ({rule.missing}: so the score is missing)"
        if value is not None:
            summary += f" = {value:g}"
    return Derivation(
        code=rule.code,
        name=rule.name,
        combine=rule.combine,
        missing_rule=rule.missing,
        inputs=uses,
        missing=missing,
        unavailable=unavailable,
        value=value,
        used=True,
        summary=summary,
        cite=rule.cite,
        interpretation=rule.interpretation,
    )
