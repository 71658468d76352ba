"""``decision indicators compare``: does a technology's placement survive a change of method?

The figures of one region are computed from a count table under the method of
``rules/indicator_methods.yaml`` (the baseline) and again under each of its
``sensitivity`` variants (another relatedness measure, another RCA cut-off, ...). For
each technology and method this module gives its CEPS quadrant (``rules/quadrants.yaml``,
from relatedness density and complexity) and, where a shipped profile describes the same
technology, its VARIO category.

**Which profile, and what changes in it.** A technology matches the profile whose id is
its own id (its label lower-cased, words joined by hyphens) or that id behind ``kst-``
(the prefix of the 38 key strategic technologies in ``domains/technologies/``). The
profile is classified with the computed figures in place of its CEPS ones (the RCA,
presence, relatedness density and complexity indicators the methods file names); its
other indicators and every score it states keep their values, and scores derived from
indicators are derived again. A technology no profile matches gets its quadrant only:
the counts give no economic, transition or feasibility score, and a category made up of
missing scores would say nothing about the method.
"""

from __future__ import annotations

from pydantic import BaseModel

from decision.analyses.count_indicators import RegionFigures, region_figures, technology_id
from decision.ceps.quadrants import Quadrants
from decision.engine.walk import Engine
from decision.inputs.count_table import CountMatrix
from decision.inputs.indicator_methods import IndicatorMethods, Method
from decision.inputs.indicators import derive_scores
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import Rulebook
from decision.model.result import IndicatorValue

PROFILE_PREFIXES = ("", "kst-")


class Placement(BaseModel):
    """One technology under one method: its figures, quadrant and (with a profile) category."""

    method: str  # "baseline" or the variant's name
    rca: float
    presence: bool
    relatedness_density: float | None
    complexity: float | None
    quadrant: str | None  # VQ code; None when a coordinate is missing
    quadrant_name: str | None
    category: str | None  # "strong", "no-focus/partnership", "undetermined"; None without a profile


class TechnologySensitivity(BaseModel):
    """One technology across the methods, and whether its placement survives every change."""

    technology: str
    id: str
    profile: str | None  # id of the matched profile
    profile_file: str | None
    placements: list[Placement]
    quadrant_survives: bool
    category_survives: bool | None  # None without a profile
    moves: list[str]  # "cosine: VQ01 optimal -> VQ03 incremental-growth"


class MethodInfo(BaseModel):
    """One method of the comparison, in words."""

    name: str
    description: str


class SensitivityReport(BaseModel):
    """The whole comparison: the methods, every technology, and the counts of survivors."""

    table: str
    sha256: str
    region: str
    methods: list[MethodInfo]
    technologies: list[TechnologySensitivity]
    notices: list[str]
    quadrant_survivors: int
    category_survivors: int
    with_profile: int


def matching_profile(label: str, profiles: list[DomainProfile]) -> DomainProfile | None:
    """The profile describing the technology ``label`` (see the module's docstring), if any."""
    by_id = {profile.id: profile for profile in profiles}
    slug = technology_id(label)
    return next((by_id[prefix + slug] for prefix in PROFILE_PREFIXES if prefix + slug in by_id), None)


def _outcome(result) -> str:
    return result.category + (f"/{result.variant}" if result.variant else "")


def _with_figures(
    profile: DomainProfile, figures: dict[str, float | None], rulebook: Rulebook, source: str
) -> DomainProfile:
    """The profile with the computed figures replacing its own, its derived scores derived again."""
    indicators = dict(profile.indicators)
    for name, value in figures.items():
        if value is None:
            indicators.pop(name, None)
        else:
            indicators[name] = IndicatorValue(indicator=name, value=value, source=source, location=None)
    stated = {name: score for name, score in profile.scores.items() if score.origin != "indicators"}
    scores = derive_scores(rulebook.indicators, indicators, stated)
    return profile.model_copy(update={"indicators": indicators, "scores": scores})


def method_sensitivity(
    matrix: CountMatrix,
    region: str,
    methods: IndicatorMethods,
    rulebook: Rulebook,
    quadrants: Quadrants,
    profiles: list[DomainProfile],
    engine: str | None = None,
) -> SensitivityReport:
    """Each technology's quadrant and category under the baseline method and every variant."""
    runs: list[tuple[str, Method, RegionFigures]] = [
        ("baseline", methods.method, region_figures(matrix, region, methods.method))
    ]
    for variant in methods.variants:
        method = methods.method.changed(variant)
        runs.append((variant.name, method, region_figures(matrix, region, method)))
    walker = Engine(rulebook, engine)
    targets = methods.targets
    x_name, y_name = quadrants.x.indicator, quadrants.y.indicator
    notices: list[str] = []
    for name, _, figures in runs:
        notices.extend(f"{name}: {notice}" for notice in figures.notices)

    rows: list[TechnologySensitivity] = []
    for index, base_row in enumerate(runs[0][2].technologies):
        profile = matching_profile(base_row.technology, profiles)
        placements: list[Placement] = []
        for name, _, figures in runs:
            row = figures.technologies[index]
            values = {
                targets.rca: row.rca,
                targets.presence: float(row.presence),
                targets.relatedness_density: row.relatedness_density,
                targets.complexity: row.complexity,
            }
            quadrant = quadrants.locate(values.get(x_name), values.get(y_name))
            category = None
            if profile is not None:
                changed = _with_figures(profile, values, rulebook, f"{matrix.label}, region {region}, method {name}")
                category = _outcome(walker.classify(changed))
            placements.append(
                Placement(
                    method=name,
                    rca=row.rca,
                    presence=row.presence,
                    relatedness_density=row.relatedness_density,
                    complexity=row.complexity,
                    quadrant=None if quadrant is None else quadrant.code,
                    quadrant_name=None if quadrant is None else quadrant.name,
                    category=category,
                )
            )
        base = placements[0]
        moves = []
        for placement in placements[1:]:
            changes = []
            if placement.quadrant != base.quadrant:
                changes.append(
                    f"quadrant {base.quadrant} {base.quadrant_name} -> {placement.quadrant} {placement.quadrant_name}"
                )
            if placement.category != base.category:
                changes.append(f"category {base.category} -> {placement.category}")
            if changes:
                moves.append(f"{placement.method}: {'; '.join(changes)}")
        rows.append(
            TechnologySensitivity(
                technology=base_row.technology,
                id=technology_id(base_row.technology),
                profile=None if profile is None else profile.id,
                profile_file=None if profile is None else profile.file,
                placements=placements,
                quadrant_survives=all(p.quadrant == base.quadrant for p in placements),
                category_survives=None if profile is None else all(p.category == base.category for p in placements),
                moves=moves,
            )
        )
    return SensitivityReport(
        table=str(matrix.path),
        sha256=matrix.sha256,
        region=region,
        methods=[MethodInfo(name=name, description=method.describe()) for name, method, _ in runs],
        technologies=rows,
        notices=notices,
        quadrant_survivors=sum(row.quadrant_survives for row in rows),
        category_survivors=sum(bool(row.category_survives) for row in rows),
        with_profile=sum(row.profile is not None for row in rows),
    )
