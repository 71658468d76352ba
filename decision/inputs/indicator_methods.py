"""``rules/indicator_methods.yaml``: how counts become RCA, relatedness density and complexity.

The file names the RCA cut-off, the relatedness measure, the complexity method and the
rescaling, the indicators the figures fill, and the method variants that ``decision
indicators compare`` tries. The names of measures and methods are a fixed registry here
(each is code in :mod:`decision.analyses.count_indicators`); an unknown one is refused
when the file is read, as ``file:line:col: field: message`` with the closest known name.
The indicator names are checked against ``rules/indicators.yaml`` of the same rulebook.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from decision.errors import Problem, RulesError, UsageError, did_you_mean
from decision.inputs.rulebook import Rulebook, _located, read_rules_file

METHODS_FILE = "indicator_methods.yaml"
RELATEDNESS_MEASURES = ("proximity", "cosine", "association_strength")
COMPLEXITY_METHODS = ("eigenvector", "reflections")
RESCALINGS = ("minmax", "percentile")
# The figures a run writes, each into the indicator the file names for it.
FIGURES = ("rca", "presence", "relatedness_density", "complexity")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class RcaSection(_Strict):
    """The RCA cut-off for presence."""

    cutoff: float = Field(allow_inf_nan=False, gt=0)
    cite: str


class RelatednessSection(_Strict):
    """The relatedness measure and whether a technology's relation to itself counts."""

    measure: str
    exclude_self: bool = True
    cite: str


class ComplexitySection(_Strict):
    """The complexity method; ``steps`` for the method of reflections."""

    method: str
    steps: int = Field(default=20, ge=1, le=10_000)
    cite: str


class IndicatorTargets(_Strict):
    """Which indicator of rules/indicators.yaml each computed figure fills."""

    rca: str
    presence: str
    relatedness_density: str
    complexity: str


class Variant(_Strict):
    """One method variant of ``decision indicators compare``: the fields it changes."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    rca_cutoff: float | None = Field(default=None, allow_inf_nan=False, gt=0)
    relatedness: str | None = None
    complexity: str | None = None
    rescaling: str | None = None


class MethodsFile(_Strict):
    """The whole of rules/indicator_methods.yaml."""

    rca: RcaSection
    relatedness: RelatednessSection
    complexity: ComplexitySection
    rescaling: str
    indicators: IndicatorTargets
    sensitivity: list[Variant] = []


@dataclass(frozen=True)
class Method:
    """One complete method: everything that changes a computed figure."""

    rca_cutoff: float
    relatedness: str
    exclude_self: bool
    complexity: str
    steps: int
    rescaling: str

    def describe(self) -> str:
        """The method and its parameters in one line, as the provenance of a figure cites it."""
        steps = f" ({self.steps} steps)" if self.complexity == "reflections" else ""
        self_text = "itself excluded" if self.exclude_self else "itself included"
        return (
            f"RCA cut-off {self.rca_cutoff:g}; relatedness {self.relatedness} ({self_text}); "
            f"complexity {self.complexity}{steps}, rescaled {self.rescaling}"
        )

    def describe_density(self) -> str:
        """The parameters relatedness density depends on."""
        self_text = "itself excluded" if self.exclude_self else "itself included"
        return f"relatedness {self.relatedness} ({self_text}) over presence RCA >= {self.rca_cutoff:g}"

    def describe_complexity(self) -> str:
        """The parameters complexity depends on."""
        steps = f" ({self.steps} steps)" if self.complexity == "reflections" else ""
        return f"{self.complexity}{steps} over presence RCA >= {self.rca_cutoff:g}, rescaled {self.rescaling} 0-100"

    def changed(self, variant: Variant) -> Method:
        """This method with the fields ``variant`` gives replaced."""
        updates = {
            "rca_cutoff": variant.rca_cutoff,
            "relatedness": variant.relatedness,
            "complexity": variant.complexity,
            "rescaling": variant.rescaling,
        }
        return replace(self, **{key: value for key, value in updates.items() if value is not None})


@dataclass(frozen=True)
class IndicatorMethods:
    """The validated file: the method, the target indicators and the comparison variants."""

    file: Path
    method: Method
    targets: IndicatorTargets
    variants: tuple[Variant, ...]

    def with_options(
        self, relatedness: str | None = None, complexity: str | None = None, rca_cutoff: float | None = None
    ) -> IndicatorMethods:
        """The file's method with a run's ``--relatedness``, ``--complexity``, ``--rca-cutoff``.

        Raises UsageError naming the option and the closest known name."""
        for option, value, known in (
            ("--relatedness", relatedness, RELATEDNESS_MEASURES),
            ("--complexity", complexity, COMPLEXITY_METHODS),
        ):
            if value is not None and value not in known:
                raise UsageError(
                    f"{option} {value}: unknown name{did_you_mean(value, known)} (known: {', '.join(known)})"
                )
        if rca_cutoff is not None and not (math.isfinite(rca_cutoff) and rca_cutoff > 0):
            raise UsageError(f"--rca-cutoff {rca_cutoff:g}: must be a positive number")
        variant = Variant(name="run", relatedness=relatedness, complexity=complexity, rca_cutoff=rca_cutoff)
        return replace(self, method=self.method.changed(variant))


def load_indicator_methods(rulebook: Rulebook) -> IndicatorMethods:
    """Read and check ``indicator_methods.yaml`` of the rulebook's folder; raise RulesError listing every problem."""
    document, parsed = read_rules_file(rulebook.directory, METHODS_FILE, MethodsFile, "decision indicators")

    problems: list[Problem] = []

    def check_name(loc: tuple, value: str | None, known: tuple[str, ...], what: str) -> None:
        if value is not None and value not in known:
            field_name = ".".join(str(part) for part in loc)
            message = f'unknown {what} "{value}"{did_you_mean(value, known)} (known: {", ".join(known)})'
            problems.append(_located(document, loc, field_name, message))

    check_name(("relatedness", "measure"), parsed.relatedness.measure, RELATEDNESS_MEASURES, "relatedness measure")
    check_name(("complexity", "method"), parsed.complexity.method, COMPLEXITY_METHODS, "complexity method")
    check_name(("rescaling",), parsed.rescaling, RESCALINGS, "rescaling")
    indicators = tuple(rulebook.indicators.indicators)
    for figure in FIGURES:
        check_name(("indicators", figure), getattr(parsed.indicators, figure), indicators, "indicator")
    targets = [getattr(parsed.indicators, figure) for figure in FIGURES]
    for figure in FIGURES:
        if targets.count(getattr(parsed.indicators, figure)) > 1:
            problems.append(
                _located(
                    document,
                    ("indicators", figure),
                    f"indicators.{figure}",
                    f'indicator "{getattr(parsed.indicators, figure)}" is named for two figures',
                )
            )
    seen: set[str] = set()
    for index, variant in enumerate(parsed.sensitivity):
        loc = ("sensitivity", index)
        if variant.name in seen:
            problems.append(
                _located(document, (*loc, "name"), f"sensitivity.{index}.name", f'duplicate name "{variant.name}"')
            )
        seen.add(variant.name)
        check_name((*loc, "relatedness"), variant.relatedness, RELATEDNESS_MEASURES, "relatedness measure")
        check_name((*loc, "complexity"), variant.complexity, COMPLEXITY_METHODS, "complexity method")
        check_name((*loc, "rescaling"), variant.rescaling, RESCALINGS, "rescaling")
        if all(getattr(variant, key) is None for key in ("rca_cutoff", "relatedness", "complexity", "rescaling")):
            problems.append(
                _located(document, loc, f"sensitivity.{index}", f'variant "{variant.name}" changes nothing')
            )
    if problems:
        raise RulesError(problems)
    method = Method(
        rca_cutoff=parsed.rca.cutoff,
        relatedness=parsed.relatedness.measure,
        exclude_self=parsed.relatedness.exclude_self,
        complexity=parsed.complexity.method,
        steps=parsed.complexity.steps,
        rescaling=parsed.rescaling,
    )
    return IndicatorMethods(
        file=document.path, method=method, targets=parsed.indicators, variants=tuple(parsed.sensitivity)
    )
