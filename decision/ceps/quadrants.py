"""The CEPS quadrants (CEPS/Balland 2026, seed 004, section 2): ``rules/quadrants.yaml``.

CEPS places technologies by relatedness density (x) and technological complexity (y),
both 0-100, and cuts the plane into four quadrants: optimal, moonshot, incremental
growth, cautious. The report never states where the lines are; the rules folder does,
with the reasoning behind the values (see that file and docs/quadrants.md). Each
quadrant carries a permanent VQ code and the VARIO categories it is read to correspond
to, which ``decision compare-quadrants`` checks against the engine.

This module validates the file against the rulebook it sits in (indicator names from
rules/indicators.yaml, categories from rules/tree.yaml) and reports every problem as
``file:line:col: field: message``, like every other rules file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from decision.errors import Problem, RulesError
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import NAME_PATTERN, Rulebook, _located, read_rules_file
from decision.model.result import DomainResult

QUADRANTS_FILE = "quadrants.yaml"
Side = Literal["high", "low"]
SIDES: tuple[Side, Side] = ("high", "low")


class _Strict(BaseModel):
    # strict: a split written as "33" or true is refused rather than coerced.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Axis(_Strict):
    """One axis of the chart: the indicator it reads and where it splits high from low."""

    indicator: str
    label: str = Field(min_length=1)
    meaning: str
    reads_as: str = Field(min_length=1)  # what CEPS uses the indicator for, short enough for an axis title
    min: float = Field(allow_inf_nan=False)
    max: float = Field(allow_inf_nan=False)
    split: float = Field(allow_inf_nan=False)
    op: Literal[">=", ">"] = ">="
    cite: str

    def side(self, value: float) -> Side:
        """'high' when ``value`` is on the high side of the split, else 'low'."""
        high = value >= self.split if self.op == ">=" else value > self.split
        return "high" if high else "low"

    def split_text(self) -> str:
        """'relatedness_density >= 33' as people read it."""
        return f"{self.indicator} {self.op} {self.split:g}"


class Quadrant(_Strict):
    """One quadrant: a permanent code, its side of each split, and the VARIO reading of it."""

    code: str = Field(pattern=r"^VQ\d{2}$")
    name: str = Field(pattern=NAME_PATTERN)
    label: str = Field(min_length=1)
    x: Side
    y: Side
    cite: str
    corresponds_to: list[str] = Field(min_length=1)
    interpretation: str | None = None


class QuadrantsFile(_Strict):
    """The whole of rules/quadrants.yaml."""

    x: Axis
    y: Axis
    quadrants: list[Quadrant]


@dataclass(frozen=True)
class Quadrants:
    """The validated quadrant settings of one rules folder."""

    file: Path
    x: Axis
    y: Axis
    quadrants: tuple[Quadrant, ...]

    def locate(self, x: float | None, y: float | None) -> Quadrant | None:
        """The quadrant of a point; None when either coordinate is missing."""
        if x is None or y is None:
            return None
        sides = (self.x.side(x), self.y.side(y))
        return next(q for q in self.quadrants if (q.x, q.y) == sides)


def known_indicators(rulebook: Rulebook) -> list[str]:
    """Indicator names the rules folder defines (rules/indicators.yaml)."""
    return list(rulebook.indicators.indicators)


def load_quadrants(rulebook: Rulebook) -> Quadrants:
    """Read and check ``quadrants.yaml`` of the rulebook's folder; raise RulesError listing every problem."""
    document, parsed = read_rules_file(rulebook.directory, QUADRANTS_FILE, QuadrantsFile, "the CEPS quadrant commands")

    problems: list[Problem] = []

    def problem(loc: tuple, message: str, *, prefer_key: bool = False) -> None:
        field_name = ".".join(str(part) for part in loc)
        problems.append(_located(document, loc, field_name, message, prefer_key=prefer_key))

    indicators = known_indicators(rulebook)
    for name in ("x", "y"):
        axis: Axis = getattr(parsed, name)
        if axis.indicator not in indicators:
            problem((name, "indicator"), f'unknown indicator "{axis.indicator}" (known: {", ".join(indicators)})')
        if axis.min >= axis.max:
            problem((name, "max"), f"max {axis.max:g} must be above min {axis.min:g}")
        elif not axis.min < axis.split < axis.max:
            # A split on or beyond an end of the axis leaves two quadrants empty.
            problem(
                (name, "split"),
                f"split {axis.split:g} must lie strictly between min {axis.min:g} and max {axis.max:g}",
            )
    if parsed.x.indicator == parsed.y.indicator:
        problem(("y", "indicator"), f'x and y both read "{parsed.x.indicator}"')

    for attribute in ("code", "name"):
        seen: set[str] = set()
        for index, quadrant in enumerate(parsed.quadrants):
            value = getattr(quadrant, attribute)
            if value in seen:
                problem(("quadrants", index, attribute), f'duplicate {attribute} "{value}"')
            seen.add(value)
    corners: dict[tuple[str, str], str] = {}
    for index, quadrant in enumerate(parsed.quadrants):
        corner = (quadrant.x, quadrant.y)
        if corner in corners:
            problem(
                ("quadrants", index, "x"),
                f"{quadrant.code} covers x {quadrant.x}, y {quadrant.y}, as {corners[corner]} already does",
            )
        corners.setdefault(corner, quadrant.code)
        categories = list(rulebook.categories)
        listed: set[str] = set()
        for position, category in enumerate(quadrant.corresponds_to):
            loc = ("quadrants", index, "corresponds_to", position)
            if category not in rulebook.categories:
                problem(loc, f'unknown category "{category}" (known: {", ".join(categories)})')
            elif category in listed:
                problem(loc, f'duplicate category "{category}"')
            listed.add(category)
    for x_side in SIDES:
        for y_side in SIDES:
            if (x_side, y_side) not in corners:
                problem(("quadrants",), f"no quadrant for x {x_side}, y {y_side}", prefer_key=True)
    if problems:
        raise RulesError(problems)
    return Quadrants(file=document.path, x=parsed.x, y=parsed.y, quadrants=tuple(parsed.quadrants))


# The RCA a chart may colour its points by: --rca value -> indicator name.
RCA_INDICATORS = {"patent": "patent_rca", "publication": "publication_rca", "funding": "funding_rca"}


def indicator_value(profile: DomainProfile, name: str) -> float | None:
    """The figure a profile gives for an indicator; None when absent or "na"."""
    entry = profile.indicators.get(name)
    return None if entry is None else entry.value


class QuadrantPoint(BaseModel):
    """One domain as the chart and the comparison see it: its place and its VARIO outcome."""

    id: str
    name: str
    label: str  # what the chart writes next to the point
    x: float | None
    y: float | None
    quadrant: str | None  # VQ code; None when x or y is missing
    rca: float | None = None
    category: str
    variant: str | None = None


def short_label(name: str) -> str:
    """The chart label of a domain: the acronym of "Internet of Things (IOT)", else the name."""
    match = re.fullmatch(r".*\(([^()]{2,8})\)\s*", name)
    return match.group(1) if match else name


def quadrant_points(
    quadrants: Quadrants,
    profiles: list[DomainProfile],
    results: list[DomainResult],
    rca_indicator: str | None = None,
) -> list[QuadrantPoint]:
    """A point per profile, in the profiles' order, with ``results`` (same order) for the category."""
    points = []
    for profile, result in zip(profiles, results, strict=True):
        x = indicator_value(profile, quadrants.x.indicator)
        y = indicator_value(profile, quadrants.y.indicator)
        quadrant = quadrants.locate(x, y)
        points.append(
            QuadrantPoint(
                id=profile.id,
                name=profile.name,
                label=short_label(profile.name),
                x=x,
                y=y,
                quadrant=None if quadrant is None else quadrant.code,
                rca=None if rca_indicator is None else indicator_value(profile, rca_indicator),
                category=result.category,
                variant=result.variant,
            )
        )
    return points
