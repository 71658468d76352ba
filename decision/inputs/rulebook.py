"""The rules folder: the tree, criteria, thresholds, actions and scales, validated.

Everything VARIO's framework says lives in ``rules/*.yaml``; this module reads it,
checks every name against an explicit registry and every reference for a target, and
reports each problem as ``file:line:col: CODE: message``. Nothing unknown is skipped.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from decision.errors import Problem, RulesError, UsageError, plain_message, unknown_name
from decision.inputs.indicators import IndicatorRules, IndicatorsFile, check_indicator_rules
from decision.inputs.kept import Kept
from decision.inputs.readings import Locator, ReadingInfo, apply_readings, load_reading_document
from decision.inputs.yaml_source import YamlDocument, YamlLoadError, load_yaml_file

RULE_FILES = (
    "scales.yaml",
    "scores.yaml",
    "thresholds.yaml",
    "criteria.yaml",
    "tree.yaml",
    "actions.yaml",
    "workshop.yaml",
    "portfolio.yaml",
    "indicators.yaml",
)

# Comparison operators a threshold may use, with the durable-rules operator and the
# operator of the negation (what "fails the test" means for a present score).
OPERATORS: dict[str, tuple[str, str]] = {
    ">=": ("$gte", "$lt"),
    ">": ("$gt", "$lte"),
}
NEGATED_SYMBOL = {">=": "<", ">": "<="}

NAME_PATTERN = r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$"
# durable-rules 2.0.28 refuses a rule set whose test joins 13 or more comparisons
# ("Could not create ruleset, error code: 113"); the loader refuses it first, located.
MAX_CRITERION_SCORES = 12


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(_Strict):
    min: float
    max: float
    cite: str


class ScalesFile(_Strict):
    scale: Scale
    symbols: dict[str, float | None]


class ScoreDef(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z_]*$")
    label: str
    dimension: str
    measured_by: str
    cite: str


class FactorDef(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z_]*$")
    label: str
    actions: list[str] = []


class ScoresFile(_Strict):
    scores: list[ScoreDef]
    feasibility_factors: list[FactorDef] = []


class Threshold(_Strict):
    value: float
    op: str
    meaning: str
    cite: str
    interpretation: str | None = None
    origin: str = "rules"

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return check_engine_number(value)


class ThresholdsFile(_Strict):
    thresholds: dict[str, Threshold]


class Criterion(_Strict):
    code: str = Field(pattern=r"^VC\d{2}$")
    key: str
    name: str = Field(pattern=NAME_PATTERN)
    question: str
    any_of: list[str] | None = None
    all_of: list[str] | None = None
    cite: str
    interpretation: str | None = None

    @property
    def scores(self) -> list[str]:
        """The scores this criterion reads."""
        return list(self.any_of or self.all_of or [])

    @property
    def combine(self) -> Literal["any", "all"]:
        """How the per-score comparisons combine."""
        return "any" if self.any_of is not None else "all"


class CriteriaFile(_Strict):
    criteria: list[Criterion]


class Labelled(_Strict):
    label: str
    cite: str


class MissingLink(_Strict):
    label: str
    actions: list[str]


class FeasibilitySetting(_Strict):
    criterion: str
    mode: Literal["warn"]
    derive_from_factors: Literal["min", "none"] = "min"
    cite: str


class CrossCutting(_Strict):
    """Actions the source gives to every domain of some categories, whatever the leaf."""

    label: str
    categories: list[str] = Field(min_length=1)
    actions: list[str] = Field(min_length=1)
    cite: str


class Node(_Strict):
    code: str = Field(pattern=r"^VT\d{2}$")
    name: str = Field(pattern=NAME_PATTERN)
    criterion: str
    if_yes: str
    if_no: str
    cite: str
    interpretation: str | None = None


class Leaf(_Strict):
    code: str = Field(pattern=r"^VL\d{2}$")
    name: str = Field(pattern=NAME_PATTERN)
    category: str
    variant: str | None = None
    missing_links: list[str] = []
    reason: str
    actions: list[str]
    cite: str
    interpretation: str | None = None


class TreeFile(_Strict):
    root: str
    categories: dict[str, Labelled]
    variants: dict[str, Labelled]
    missing_links: dict[str, MissingLink]
    feasibility: FeasibilitySetting
    # Optional so that rules stored by older runs still load and replay unchanged.
    cross_cutting: CrossCutting | None = None
    nodes: list[Node]
    leaves: list[Leaf]


class Action(_Strict):
    code: str = Field(pattern=r"^VA\d{2}$")
    name: str = Field(pattern=NAME_PATTERN)
    text: str = Field(min_length=10)
    cite: str
    interpretation: bool = False


class ActionsFile(_Strict):
    actions: list[Action]


class WorkshopSettings(_Strict):
    """Settings of the workshop tools (``whatif``, ``margins``, the fragile flag of ``classify``)."""

    # A classification is fragile when moving one score by at most this much, within the
    # scale, changes its outcome. 0 turns the flag off.
    fragile_step: float = Field(ge=0, allow_inf_nan=False)


# The checks ``decision portfolio`` runs over a whole portfolio (decision/analyses/portfolio.py).
# rules/portfolio.yaml must give each one a permanent VP code, and may name no other.
PORTFOLIO_CHECKS = ("too-many-moonshots", "empty-category", "too-many-strategic-domains", "undetermined")
# The category ``max_moonshots`` counts; it must exist in tree.yaml.
MOONSHOT_CATEGORY = "moonshot"


class PortfolioWarningDef(_Strict):
    """One portfolio warning: its permanent code, the check behind it, and its source."""

    code: str = Field(pattern=r"^VP\d{2}$")
    name: str = Field(pattern=NAME_PATTERN)
    text: str = Field(min_length=10)
    cite: str
    interpretation: str | None = None


class PortfolioSettings(_Strict):
    """Settings and warnings of ``decision portfolio`` (VARIO 2026, rec. 2): data, not code."""

    strategic_categories: list[str] = Field(min_length=1)
    diversify_across: list[str] = Field(min_length=1)
    max_moonshots: int = Field(ge=0, strict=True)
    max_strategic_domains: int = Field(ge=0, strict=True)
    warnings: list[PortfolioWarningDef]

    def warning(self, check: str) -> PortfolioWarningDef:
        """The warning defined for one of PORTFOLIO_CHECKS."""
        return next(w for w in self.warnings if w.name == check)


@dataclass(frozen=True, eq=False)
class Rulebook:
    """The validated rules of one folder, with thresholds possibly overridden for a run."""

    directory: Path
    scale: Scale
    symbols: dict[str, float | None]
    scores: dict[str, ScoreDef]
    factors: dict[str, FactorDef]
    thresholds: dict[str, Threshold]
    criteria: dict[str, Criterion]
    categories: dict[str, Labelled]
    variants: dict[str, Labelled]
    missing_links: dict[str, MissingLink]
    feasibility: FeasibilitySetting
    cross_cutting: CrossCutting | None
    root: str
    nodes: dict[str, Node]
    leaves: dict[str, Leaf]
    actions: dict[str, Action]
    workshop: WorkshopSettings
    portfolio: PortfolioSettings
    indicators: IndicatorRules
    file_digests: dict[str, str] = field(default_factory=dict)
    # The readings applied over the rules files, in order (decision.inputs.readings).
    readings: tuple[ReadingInfo, ...] = ()
    # The engine a run asked for ("durable-rules" or "zen"; None: the default of
    # decision.engine.choice). A run setting like the thresholds, not part of the rules.
    engine: str | None = None

    def with_engine(self, engine: str | None) -> Rulebook:
        """A copy whose runs use ``engine`` (None keeps the default choice)."""
        return self if engine == self.engine else replace(self, engine=engine)

    def criterion_by_key(self, key: str) -> Criterion:
        """Look up a criterion by its short key (E, IT, S, G, P, F)."""
        for criterion in self.criteria.values():
            if criterion.key == key:
                return criterion
        raise KeyError(key)

    def threshold_problem(self, name: str, value: float) -> str | None:
        """Why ``value`` cannot replace threshold ``name`` (None when it can): one check for
        ``--threshold`` and for the workshop room's sliders."""
        if name not in self.thresholds:
            return unknown_name("score", name, self.thresholds)
        if not math.isfinite(value) or not self.scale.min <= value <= self.scale.max:
            return f"a threshold must lie within {self.scale.min:g}-{self.scale.max:g}"
        return None

    def with_thresholds(self, overrides: dict[str, float], origin: str = "--threshold") -> Rulebook:
        """A copy with some thresholds replaced; names are score names, values on the scale."""
        if not overrides:
            return self
        thresholds = dict(self.thresholds)
        for name, value in overrides.items():
            problem = self.threshold_problem(name, value)
            if problem is not None:
                raise UsageError(f"{origin} {name}={value:g}: {problem}")
            thresholds[name] = thresholds[name].model_copy(update={"value": value, "origin": origin})
        return replace(self, thresholds=thresholds)

    def with_threshold_ranges(self, ranges: dict[str, tuple[float, float]]) -> Rulebook:
        """A copy with each ranged threshold at the middle of its range, checked like a value.

        The engine reads one number per threshold: the middle stands for the range where a
        single outcome is needed (the outcome "as profiled"); robustness integrates over the
        whole range."""
        for name, (low, high) in ranges.items():
            for end in (low, high):
                if name in self.thresholds and not self.scale.min <= end <= self.scale.max:
                    raise UsageError(
                        f"--threshold {name}={low:g}..{high:g}: a threshold must lie within "
                        f"{self.scale.min:g}-{self.scale.max:g}"
                    )
        return self.with_thresholds({name: (low + high) / 2 for name, (low, high) in ranges.items()})

    def identity(self) -> str:
        """A digest of the rules files and the thresholds in force (names rule sets)."""
        digest = hashlib.sha256()
        for name in sorted(self.file_digests):
            digest.update(f"{name}={self.file_digests[name]}\n".encode())
        for name in sorted(self.thresholds):
            threshold = self.thresholds[name]
            digest.update(f"{name}{threshold.op}{threshold.value!r}\n".encode())
        return digest.hexdigest()[:16]


def check_engine_number(value: float) -> float:
    """Refuse thresholds durable-rules cannot read back exactly from its rule JSON.

    Its parser rejects exponents without a decimal point, which Python writes for
    numbers below 0.0001 (1e-05); no meaningful threshold on a 0-5 scale is that small.
    """
    if 0 < abs(value) < 1e-4:
        raise ValueError("thresholds between 0 and 0.0001 are not supported (use 0 or at least 0.0001)")
    return value


RANGE_SEPARATOR = ".."


def parse_threshold_options(options: list[str] | None) -> dict[str, float]:
    """Turn repeated ``NAME=VALUE`` strings into a mapping, rejecting malformed ones.

    A range (``NAME=LOW..HIGH``) is refused here: only ``decision robustness`` can say what
    an uncertain threshold does to an outcome; see ``parse_threshold_ranges``."""
    values, ranges = parse_threshold_ranges(options, expected="NAME=VALUE")
    if ranges:
        name, (low, high) = next(iter(ranges.items()))
        raise UsageError(
            f"--threshold {name}={low:g}..{high:g}: a threshold range is understood by decision robustness "
            "only; give one value here, e.g. science=4.5"
        )
    return values


def parse_threshold_ranges(
    options: list[str] | None, expected: str = "NAME=VALUE or NAME=LOW..HIGH"
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Split repeated ``NAME=VALUE`` and ``NAME=LOW..HIGH`` strings into values and ranges.

    The syntax is checked here; names and the scale are checked by ``Rulebook.with_thresholds``
    and ``Rulebook.with_threshold_ranges``, which know the rules. ``expected`` is what a
    malformed option is told to look like."""
    values: dict[str, float] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for option in options or []:
        name, sep, raw = option.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f'--threshold "{option}": expected {expected}, e.g. science=4.5')
        if name in values or name in ranges:
            raise UsageError(f'--threshold "{option}": {name} is given more than once')
        if RANGE_SEPARATOR in raw:
            low_text, _, high_text = raw.partition(RANGE_SEPARATOR)
            try:
                low, high = float(low_text), float(high_text)
            except ValueError:
                raise UsageError(
                    f'--threshold "{option}": a range is LOW..HIGH with two numbers, e.g. science=4..4.5'
                ) from None
            if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
                raise UsageError(f'--threshold "{option}": a range needs LOW below HIGH, e.g. science=4..4.5')
            ranges[name] = (low, high)
            continue
        try:
            values[name] = float(raw)
        except ValueError:
            raise UsageError(f'--threshold "{option}": "{raw}" is not a number') from None
    return values, ranges


def read_rules_file(directory: Path, name: str, model: type[BaseModel], needed_by: str) -> tuple[YamlDocument, Any]:
    """One rules file outside the tree's own (``quadrants.yaml``, ``indicator_methods.yaml``),
    read and validated against ``model``: (the document, for locating problems, and the
    parsed model). A missing file, bad YAML or a bad shape raise RulesError, located."""
    path = Path(directory) / name
    if not path.is_file():
        raise RulesError([Problem(str(path), 1, 1, "file", f"missing rules file (needed by {needed_by})")])
    try:
        document = load_yaml_file(path)
    except YamlLoadError as exc:
        raise RulesError([exc.problem]) from None
    if not isinstance(document.data, dict):
        raise RulesError([document.problem((), "file", "expected a mapping at the top level")])
    try:
        return document, model.model_validate(document.data)
    except ValidationError as exc:
        raise RulesError(_pydantic_problems(document, exc)) from None


def _pydantic_problems(document: YamlDocument, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        field_name = ".".join(str(part) for part in loc) or "file"
        if item["type"] == "extra_forbidden":
            message = f'unknown field "{loc[-1]}"'
            problems.append(document.problem(loc, field_name, message, prefer_key=True))
        else:
            problems.append(document.problem(loc, field_name, plain_message(item)))
    return problems


def _located(document: YamlDocument, loc: tuple, code: str, message: str, *, prefer_key: bool = False) -> Problem:
    line, column = document.position(loc, prefer_key=prefer_key)
    return Problem(str(document.path), line, column, code, message)


# A process validates the same rules many times (decision.inputs.kept). A Rulebook is
# frozen and a pure function of its files' bytes and the readings, so one built from
# identical bytes is reused, with this run's folder.
_rulebooks: Kept[Rulebook] = Kept(16)


def _rules_identity(directory: Path, readings: tuple[str, ...]) -> tuple | None:
    parts = []
    try:
        for name in (*RULE_FILES, *(f"readings/{r}.yaml" for r in readings)):
            parts.append(hashlib.sha256((directory / name).read_bytes()).hexdigest())
    except (OSError, ValueError):
        return None  # the full load reports it, located
    return (*readings, *parts)


def load_rulebook(directory: Path, readings: list[str] | tuple[str, ...] = ()) -> Rulebook:
    """Load and cross-check every rules file in ``directory``; raise RulesError listing all problems.

    ``readings`` names overlays of ``directory/readings/`` applied in order before the
    cross-checks, so a reading is held to every check the rules are.
    """
    directory = Path(directory)
    identity = _rules_identity(directory, tuple(readings)) if directory.is_dir() else None
    kept = _rulebooks.get(identity) if identity is not None else None
    if kept is not None:
        return replace(kept, directory=directory)
    rulebook = _load_rulebook(directory, readings)
    return _rulebooks.keep(identity, rulebook) if identity is not None else rulebook


def _load_rulebook(directory: Path, readings: list[str] | tuple[str, ...]) -> Rulebook:
    problems: list[Problem] = []
    if not directory.is_dir():
        raise RulesError([Problem(str(directory), 1, 1, "rules", "not a folder of rules files")])

    documents: dict[str, YamlDocument] = {}
    parsed: dict[str, Any] = {}
    digests: dict[str, str] = {}
    models = {
        "scales.yaml": ScalesFile,
        "scores.yaml": ScoresFile,
        "thresholds.yaml": ThresholdsFile,
        "criteria.yaml": CriteriaFile,
        "tree.yaml": TreeFile,
        "actions.yaml": ActionsFile,
        "workshop.yaml": WorkshopSettings,
        "portfolio.yaml": PortfolioSettings,
        "indicators.yaml": IndicatorsFile,
    }
    for name, model in models.items():
        path = directory / name
        if not path.is_file():
            problems.append(Problem(str(path), 1, 1, "file", "missing rules file"))
            continue
        digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        try:
            document = load_yaml_file(path)
        except YamlLoadError as exc:
            problems.append(exc.problem)
            continue
        documents[name] = document
        if not isinstance(document.data, dict):
            problems.append(document.problem((), "file", "expected a mapping at the top level"))
            continue
        try:
            parsed[name] = model.model_validate(document.data)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(document, exc))
    reading_documents = []
    seen_readings: set[str] = set()
    for name in readings:
        if name in seen_readings:
            raise UsageError(f"--reading {name}: given more than once")
        seen_readings.add(name)
        try:
            document = load_reading_document(directory, name)
        except RulesError as exc:
            problems.extend(exc.problems)
            continue
        reading_documents.append((name, document))
        digests[f"readings/{name}.yaml"] = hashlib.sha256(Path(document.path).read_bytes()).hexdigest()
    if problems:
        raise RulesError(problems)

    scales: ScalesFile = parsed["scales.yaml"]
    scores_file: ScoresFile = parsed["scores.yaml"]
    thresholds_file: ThresholdsFile = parsed["thresholds.yaml"]
    criteria_file: CriteriaFile = parsed["criteria.yaml"]
    tree: TreeFile = parsed["tree.yaml"]
    actions_file: ActionsFile = parsed["actions.yaml"]
    workshop: WorkshopSettings = parsed["workshop.yaml"]
    portfolio: PortfolioSettings = parsed["portfolio.yaml"]
    d_scales, d_scores = documents["scales.yaml"], documents["scores.yaml"]
    d_thresholds, d_criteria = documents["thresholds.yaml"], documents["criteria.yaml"]
    d_tree, d_actions = documents["tree.yaml"], documents["actions.yaml"]
    locator = Locator(base={"nodes": d_tree, "leaves": d_tree, "criteria": d_criteria})
    reading_infos: list[ReadingInfo] = []
    retired: dict[str, str] = {}
    if reading_documents:
        merged, merged_variants, reading_infos, retired, reading_problems = apply_readings(
            {"nodes": tree.nodes, "leaves": tree.leaves, "criteria": criteria_file.criteria},
            {"nodes": Node, "leaves": Leaf, "criteria": Criterion},
            tree.variants,
            Labelled,
            reading_documents,
            locator,
        )
        if reading_problems:
            raise RulesError(reading_problems)
        tree = tree.model_copy(
            update={"nodes": merged["nodes"], "leaves": merged["leaves"], "variants": merged_variants}
        )
        criteria_file = criteria_file.model_copy(update={"criteria": merged["criteria"]})
    at = locator.problem

    if scales.scale.min >= scales.scale.max:
        problems.append(_located(d_scales, ("scale",), "scale", "min must be below max"))
    elif workshop.fragile_step > scales.scale.max - scales.scale.min:
        problems.append(
            _located(
                documents["workshop.yaml"],
                ("fragile_step",),
                "fragile_step",
                f"must not exceed the width of the scale ({scales.scale.max - scales.scale.min:g})",
            )
        )
    for symbol, value in scales.symbols.items():
        if value is not None and not scales.scale.min <= value <= scales.scale.max:
            problems.append(_located(d_scales, ("symbols", symbol), "symbols", f'"{symbol}" maps outside the scale'))

    def unique(items, document, section, attribute="code"):
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            key = getattr(item, attribute)
            if key in seen:
                message = f'duplicate {attribute} "{key}"'
                if section is None:  # nodes and leaves together: names are unique across both
                    split = len(tree.nodes)
                    place = ("nodes", index) if index < split else ("leaves", index - split)
                    problems.append(at((*place, attribute), key, message))
                elif section in locator.base:
                    problems.append(at((section, index, attribute), key, message))
                else:
                    problems.append(_located(document, (section, index, attribute), key, message))
            seen[key] = index
        return {getattr(item, attribute): item for item in items}

    scores = unique(scores_file.scores, d_scores, "scores", "name")
    factors = unique(scores_file.feasibility_factors, d_scores, "feasibility_factors", "name")
    criteria = unique(criteria_file.criteria, d_criteria, "criteria")
    unique(criteria_file.criteria, d_criteria, "criteria", "key")
    nodes = unique(tree.nodes, d_tree, "nodes")
    leaves = unique(tree.leaves, d_tree, "leaves")
    actions = unique(actions_file.actions, d_actions, "actions")
    unique(actions_file.actions, d_actions, "actions", "name")
    unique([*tree.nodes, *tree.leaves], d_tree, None, "name")

    def known_actions(codes, document, loc, owner):
        for index, code in enumerate(codes):
            if code not in actions:
                problems.append(_located(document, (*loc, index), owner, f'unknown action "{code}"'))

    for index, factor in enumerate(scores_file.feasibility_factors):
        known_actions(factor.actions, d_scores, ("feasibility_factors", index, "actions"), factor.name)

    for name, threshold in thresholds_file.thresholds.items():
        if name not in scores:
            problems.append(
                _located(d_thresholds, ("thresholds", name), name, f'unknown score "{name}"', prefer_key=True)
            )
        if threshold.op not in OPERATORS:
            problems.append(
                _located(
                    d_thresholds,
                    ("thresholds", name, "op"),
                    name,
                    f'unknown operator "{threshold.op}" (known: {", ".join(OPERATORS)})',
                )
            )
        if not scales.scale.min <= threshold.value <= scales.scale.max:
            problems.append(_located(d_thresholds, ("thresholds", name, "value"), name, "threshold outside the scale"))

    for index, criterion in enumerate(criteria_file.criteria):
        loc = ("criteria", index)
        if (criterion.any_of is None) == (criterion.all_of is None):
            problems.append(at(loc, criterion.code, "give exactly one of any_of, all_of"))
            continue
        field_name = "any_of" if criterion.any_of is not None else "all_of"
        if not criterion.scores:
            problems.append(at((*loc, field_name), criterion.code, "lists no score"))
        if len(criterion.scores) > MAX_CRITERION_SCORES:
            problems.append(
                at(
                    (*loc, field_name),
                    criterion.code,
                    f"lists {len(criterion.scores)} scores; a criterion may read at most {MAX_CRITERION_SCORES} "
                    "(durable-rules cannot compile a wider test): split it into several nodes",
                )
            )
        first_at: dict[str, int] = {}
        for position, score in enumerate(criterion.scores):
            if score in first_at:
                problems.append(
                    at(
                        (*loc, field_name, position),
                        criterion.code,
                        f'lists "{score}" twice (first as entry {first_at[score] + 1}); a score is read once per test',
                    )
                )
                continue
            first_at[score] = position
            if score not in scores:
                problems.append(
                    at(
                        (*loc, field_name, position),
                        criterion.code,
                        f'unknown score "{score}"',
                    )
                )
            elif score not in thresholds_file.thresholds:
                problems.append(
                    at(
                        (*loc, field_name, position),
                        criterion.code,
                        f'score "{score}" has no threshold',
                    )
                )

    if tree.feasibility.criterion not in criteria:
        problems.append(
            _located(
                d_tree,
                ("feasibility", "criterion"),
                "feasibility",
                f'unknown criterion "{tree.feasibility.criterion}"',
            )
        )
    for link, definition in tree.missing_links.items():
        known_actions(definition.actions, d_tree, ("missing_links", link, "actions"), link)
    if tree.cross_cutting is not None:
        known_actions(tree.cross_cutting.actions, d_tree, ("cross_cutting", "actions"), "cross_cutting")
        for index, category in enumerate(tree.cross_cutting.categories):
            if category not in tree.categories:
                message = f'unknown category "{category}" (known: {", ".join(tree.categories)})'
                problems.append(_located(d_tree, ("cross_cutting", "categories", index), "cross_cutting", message))

    targets = set(nodes) | set(leaves)
    if tree.root not in nodes:
        message = (
            f'"{tree.root}" is retired by the reading "{retired[tree.root]}"'
            if tree.root in retired
            else f'unknown node "{tree.root}"'
        )
        problems.append(_located(d_tree, ("root",), "root", message))
    for index, node in enumerate(tree.nodes):
        if node.criterion not in criteria:
            problems.append(
                at(
                    ("nodes", index, "criterion"),
                    node.code,
                    f'unknown criterion "{node.criterion}"',
                )
            )
        for branch in ("if_yes", "if_no"):
            target = getattr(node, branch)
            if target not in targets:
                problems.append(
                    at(
                        ("nodes", index, branch),
                        node.code,
                        f'"{target}" is retired by the reading "{retired[target]}", so these readings do not combine'
                        if target in retired
                        else f'unknown node or leaf "{target}"',
                    )
                )
    for index, leaf in enumerate(tree.leaves):
        loc = ("leaves", index)
        if leaf.category not in tree.categories:
            problems.append(at((*loc, "category"), leaf.code, f'unknown category "{leaf.category}"'))
        if leaf.variant is not None and leaf.variant not in tree.variants:
            problems.append(at((*loc, "variant"), leaf.code, f'unknown variant "{leaf.variant}"'))
        for position, link in enumerate(leaf.missing_links):
            if link not in tree.missing_links:
                problems.append(at((*loc, "missing_links", position), leaf.code, f'unknown missing link "{link}"'))
        for position, code in enumerate(leaf.actions):
            if code not in actions:
                problems.append(at((*loc, "actions", position), leaf.code, f'unknown action "{code}"'))

    problems.extend(_portfolio_problems(portfolio, tree, documents["portfolio.yaml"]))
    indicator_rules, indicator_problems = check_indicator_rules(
        parsed["indicators.yaml"],
        documents["indicators.yaml"],
        set(scores),
        dict(scales.symbols),
        (scales.scale.min, scales.scale.max),
    )
    problems.extend(indicator_problems)

    if not problems:
        problems.extend(_structure_problems(tree, nodes, leaves, at))
    if problems:
        raise RulesError(problems)

    return Rulebook(
        directory=directory,
        scale=scales.scale,
        symbols=dict(scales.symbols),
        scores=scores,
        factors=factors,
        thresholds=dict(thresholds_file.thresholds),
        criteria=criteria,
        categories=dict(tree.categories),
        variants=dict(tree.variants),
        missing_links=dict(tree.missing_links),
        feasibility=tree.feasibility,
        cross_cutting=tree.cross_cutting,
        root=tree.root,
        nodes=nodes,
        leaves=leaves,
        actions=actions,
        workshop=workshop,
        portfolio=portfolio,
        indicators=indicator_rules,
        file_digests=digests,
        readings=tuple(reading_infos),
    )


def _portfolio_problems(portfolio: PortfolioSettings, tree: TreeFile, document: YamlDocument) -> list[Problem]:
    """Categories the tree defines, one warning per known check, unique codes and names."""
    problems: list[Problem] = []
    for key in ("strategic_categories", "diversify_across"):
        seen_categories: set[str] = set()
        for index, category in enumerate(getattr(portfolio, key)):
            if category not in tree.categories:
                known = ", ".join(tree.categories)
                message = f'unknown category "{category}" (known: {known})'
                problems.append(_located(document, (key, index), key, message))
            elif category in seen_categories:
                problems.append(_located(document, (key, index), key, f'duplicate category "{category}"'))
            seen_categories.add(category)
    if MOONSHOT_CATEGORY not in tree.categories:
        problems.append(
            _located(
                document,
                ("max_moonshots",),
                "max_moonshots",
                f'counts the category "{MOONSHOT_CATEGORY}", which tree.yaml does not define',
            )
        )
    for attribute in ("code", "name"):
        seen: set[str] = set()
        for index, warning in enumerate(portfolio.warnings):
            value = getattr(warning, attribute)
            if value in seen:
                problems.append(
                    _located(document, ("warnings", index, attribute), value, f'duplicate {attribute} "{value}"')
                )
            seen.add(value)
    for index, warning in enumerate(portfolio.warnings):
        if warning.name not in PORTFOLIO_CHECKS:
            problems.append(
                _located(
                    document,
                    ("warnings", index, "name"),
                    warning.code,
                    f'unknown check "{warning.name}" (known: {", ".join(PORTFOLIO_CHECKS)})',
                )
            )
    defined = {warning.name for warning in portfolio.warnings}
    for check in PORTFOLIO_CHECKS:
        if check not in defined:
            problems.append(
                _located(document, ("warnings",), "warnings", f'no warning for the check "{check}"', prefer_key=True)
            )
    return problems


def _structure_problems(tree: TreeFile, nodes, leaves, at) -> list[Problem]:
    """Cycles, and nodes or leaves no path reaches.

    One depth-first pass that visits each node once (a node shared by many paths is not
    walked again, so a tree of N nodes costs N steps, never 2^N), without recursion, so
    no file can exhaust the stack. A cycle is reported at the branch that closes it.
    """
    problems: list[Problem] = []
    index_of = {node.code: ("nodes", i) for i, node in enumerate(tree.nodes)}
    index_of.update({leaf.code: ("leaves", i) for i, leaf in enumerate(tree.leaves)})
    done: set[str] = set()
    on_path: list[str] = []
    # Each frame: a node code and the branches still to follow from it.
    stack: list[tuple[str, list[str]]] = [(tree.root, ["if_yes", "if_no"] if tree.root in nodes else [])]
    on_path.append(tree.root)
    while stack:
        code, branches = stack[-1]
        if not branches:
            stack.pop()
            on_path.pop()
            done.add(code)
            continue
        branch = branches.pop(0)
        target = getattr(nodes[code], branch)
        if target in on_path:
            cycle = " -> ".join((*on_path[on_path.index(target) :], target))
            problems.append(at((*index_of[code], branch), code, f"cycle in the tree: {cycle}"))
            continue
        if target in done:
            continue
        stack.append((target, ["if_yes", "if_no"] if target in nodes else []))
        on_path.append(target)
    for code in index_of:
        if code not in done:
            problems.append(at(index_of[code], code, "no path from the root reaches it"))
    return problems


def shipped_data_dir(kind: str) -> Path:
    """The shipped ``rules`` or ``domains`` folder: the checkout's, or the wheel's copy."""
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir / "_shipped" / kind, package_dir.parent / kind):
        if candidate.is_dir():
            return candidate
    raise UsageError(f"cannot find the shipped {kind}/ folder; pass a path explicitly")
