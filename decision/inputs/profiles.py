"""Domain profiles: strict validation of ``domains/*.yaml`` against the rules' registries.

The accepted score names and ordinal symbols come from ``rules/``, so the profile model
is built per rulebook. Every problem is collected (all files, all fields) and reported
with its file, line and field; nothing invalid reaches the engine.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError

from decision.errors import Problem, ProfileError, UsageError, completed_unknown, did_you_mean, plain_message
from decision.inputs.indicators import derive_scores
from decision.inputs.kept import Kept
from decision.inputs.rulebook import Rulebook
from decision.inputs.yaml_source import YamlDocument, YamlLoadError, load_yaml_file
from decision.model.result import IndicatorValue, ScoreValue

DETAIL_KEYS = ("value", "source", "note", "assumption")
# An uncertain score also gives the range it may take (``decision robustness`` draws from it).
RANGE_KEYS = ("low", "high", "distribution")
DISTRIBUTIONS = ("uniform", "triangular")
FACTOR_RANGE_REFUSAL = "a range is for scores only, not for feasibility factors"
DomainKind = Literal["sector", "technology", "value-chain", "ecosystem"]
ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"


class DomainProfile(BaseModel):
    """One validated domain: its identity and resolved scores with their provenance."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    kind: DomainKind | None = None
    description: str | None = None
    file: str
    line: int
    scores: dict[str, ScoreValue]
    factors: dict[str, ScoreValue] = {}
    indicators: dict[str, IndicatorValue] = {}

    def value(self, score: str) -> float | None:
        """The numeric value of a score, or None when it is missing."""
        entry = self.scores.get(score)
        return None if entry is None else entry.value


def _shown(raw: Any) -> str:
    """A value as it appears in a message: JSON where it can be, text otherwise (a date,
    bytes), never an error of its own."""
    try:
        text = json.dumps(raw, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _score_validator(rulebook: Rulebook, *, range_refusal: str | None = None):
    """The validator of one score; ``range_refusal`` is None where ``low``/``high`` are
    allowed, else the reason they are not (shown to the user)."""
    symbols = rulebook.symbols
    low, high = rulebook.scale.min, rulebook.scale.max
    symbol_list = ", ".join(f'"{s}"' for s in symbols)

    def number_or_symbol(raw: Any) -> tuple[float | None, str | None]:
        if isinstance(raw, bool) or raw is None:
            raise PydanticCustomError(
                "score",
                "expected a number {low}-{high} or a symbol ({symbols}), got {got}",
                {
                    "low": f"{low:g}",
                    "high": f"{high:g}",
                    "symbols": symbol_list,
                    "got": _shown(raw),
                },
            )
        if isinstance(raw, int | float):
            try:
                value = float(raw)
            except OverflowError:  # an integer too large for a float is far off the scale
                value = math.inf if raw > 0 else -math.inf
            if isinstance(raw, float) and not math.isfinite(value):
                raise PydanticCustomError("score", "score must be a finite number, got {got}", {"got": str(raw)})
            if not low <= value <= high:
                raise PydanticCustomError(
                    "score",
                    "score {got} is outside the scale {low}-{high}",
                    {
                        "got": f"{value:g}" if math.isfinite(value) else f"{str(raw)[:12]}...",
                        "low": f"{low:g}",
                        "high": f"{high:g}",
                    },
                )
            return value, None
        if isinstance(raw, str):
            text = raw.strip()
            if text in symbols:
                return symbols[text], text
            if re.fullmatch(r"[+-]?\d+,\d+", text):
                raise PydanticCustomError(
                    "score",
                    'decimal comma in "{got}": write the decimal with a point, {fixed}',
                    {"got": raw, "fixed": text.replace(",", ".")},
                )
            try:
                quoted = float(text)
            except ValueError:
                quoted = None
            if quoted is not None and math.isfinite(quoted):
                raise PydanticCustomError(
                    "score",
                    '"{got}" is a number in quotes, which reads as text: write {got} without the quotes',
                    {"got": text},
                )
            raise PydanticCustomError(
                "score",
                'unknown symbol "{got}" (known: {symbols}; or a number {low}-{high})',
                {"got": raw, "symbols": symbol_list, "low": f"{low:g}", "high": f"{high:g}"},
            )
        raise PydanticCustomError(
            "score",
            "expected a number, a symbol or a mapping with value/source/note, got {got}",
            {"got": type(raw).__name__},
        )

    allowed_keys = DETAIL_KEYS if range_refusal is not None else DETAIL_KEYS + RANGE_KEYS

    def bound(raw: dict, key: str) -> float:
        try:
            value, _ = number_or_symbol(raw[key])
        except PydanticCustomError as exc:
            raise PydanticCustomError("score", exc.message(), {"subkey": key}) from None
        if value is None:
            raise PydanticCustomError(
                "score",
                '"{key}" cannot be missing ({got}): a range needs numbers or symbols with a value',
                {"key": key, "got": _shown(raw[key]), "subkey": key},
            )
        return value

    def score_range(raw: dict, value: float | None) -> dict[str, Any]:
        has_low, has_high = "low" in raw, "high" in raw
        if has_low != has_high:
            present, absent = ("low", "high") if has_low else ("high", "low")
            raise PydanticCustomError(
                "score",
                'a range needs both "low" and "high" ("{absent}" is missing)',
                {"absent": absent, "subkey": present},
            )
        if not has_low:
            if "distribution" in raw:
                raise PydanticCustomError(
                    "score", '"distribution" needs a range ("low" and "high")', {"subkey": "distribution"}
                )
            return {}
        low_value, high_value = bound(raw, "low"), bound(raw, "high")
        if value is None:
            raise PydanticCustomError(
                "score",
                "a score with a range needs a value inside it (the best estimate), not a missing one",
                {"subkey": "value"},
            )
        if low_value > value:
            raise PydanticCustomError(
                "score",
                '"low" {low} is above the value {value} (a range needs low <= value <= high)',
                {"low": f"{low_value:g}", "value": f"{value:g}", "subkey": "low"},
            )
        if high_value < value:
            raise PydanticCustomError(
                "score",
                '"high" {high} is below the value {value} (a range needs low <= value <= high)',
                {"high": f"{high_value:g}", "value": f"{value:g}", "subkey": "high"},
            )
        distribution = raw.get("distribution", "uniform")
        if distribution not in DISTRIBUTIONS:
            raise PydanticCustomError(
                "score",
                '"distribution" must be one of {known}, got {got}',
                {"known": ", ".join(DISTRIBUTIONS), "got": _shown(distribution), "subkey": "distribution"},
            )
        return {"low": low_value, "high": high_value, "distribution": distribution}

    def validate(raw: Any) -> dict[str, Any]:
        if isinstance(raw, dict):
            for key in raw:
                if key not in allowed_keys and key in RANGE_KEYS:
                    raise PydanticCustomError(
                        "score", '"{key}" is not allowed here: {why}', {"key": key, "why": range_refusal, "subkey": key}
                    )
                if key not in allowed_keys:
                    raise PydanticCustomError(
                        "score",
                        'unknown field "{key}" (allowed: {allowed})',
                        {"key": str(key), "allowed": ", ".join(allowed_keys), "subkey": str(key)},
                    )
            if "value" not in raw:
                raise PydanticCustomError("score", 'a score mapping needs a "value"', {})
            _check_provenance(raw, "score")
            try:
                value, symbol = number_or_symbol(raw["value"])
            except PydanticCustomError as exc:
                raise PydanticCustomError("score", exc.message(), {"subkey": "value"}) from None
            return {
                "value": value,
                "symbol": symbol,
                "source": raw.get("source"),
                "note": raw.get("note"),
                "assumption": raw.get("assumption", False),
                **(score_range(raw, value) if range_refusal is None else {}),
            }
        value, symbol = number_or_symbol(raw)
        return {"value": value, "symbol": symbol}

    number_schema = {"type": "number", "minimum": low, "maximum": high}
    symbol_schema = {"type": "string", "enum": list(symbols)}
    bound_schema = {
        "anyOf": [number_schema, {"type": "string", "enum": [s for s, v in symbols.items() if v is not None]}]
    }
    range_properties = {
        "low": {**bound_schema, "description": "lowest plausible value (needs high; low <= value <= high)"},
        "high": {**bound_schema, "description": "highest plausible value (needs low)"},
        "distribution": {
            "enum": list(DISTRIBUTIONS),
            "description": "how draws spread over [low, high]: uniform (default), or triangular with value as mode",
        },
    }
    schema = {
        "anyOf": [
            number_schema,
            symbol_schema,
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["value"],
                "properties": {
                    "value": {"anyOf": [number_schema, symbol_schema]},
                    "source": {"type": "string", "description": "where the figure comes from"},
                    "note": {"type": "string", "description": "how the value was obtained"},
                    "assumption": {
                        "type": "boolean",
                        "description": "an argued assumption, not a measured figure",
                    },
                },
            },
        ]
    }
    if range_refusal is None:
        mapping = schema["anyOf"][2]
        mapping["properties"].update(range_properties)
        # JSON Schema cannot compare low <= value <= high; the loader does.
        mapping["dependencies"] = {"low": ["high"], "high": ["low"], "distribution": ["low", "high"]}
    return Annotated[Any, PlainValidator(validate), WithJsonSchema(schema)]


INDICATOR_KEYS = ("value", "source", "note", "assumption")


def _check_provenance(raw: dict, kind: str) -> None:
    """A score's or an indicator's source and note are text, its assumption flag a boolean."""
    for key in ("source", "note"):
        if key in raw and not isinstance(raw[key], str):
            raise PydanticCustomError(kind, '"{key}" must be text', {"key": key, "subkey": key})
    if "assumption" in raw and not isinstance(raw["assumption"], bool):
        raise PydanticCustomError(kind, '"assumption" must be true or false', {"subkey": "assumption"})


def _indicator_validator(rulebook: Rulebook, name: str):
    """The validator of one indicator: a figure within its declared range, or for symbol
    indicators an ordinal symbol; either may be a mapping with value/source/note."""
    definition = rulebook.indicators.indicators[name]
    symbols = rulebook.symbols
    symbol_list = ", ".join(f'"{s}"' for s in symbols)

    def figure(raw: Any) -> tuple[float | None, str | None]:
        if definition.kind == "symbol":
            if isinstance(raw, str) and raw.strip() in symbols:
                return symbols[raw.strip()], raw.strip()
            raise PydanticCustomError(
                "indicator",
                "expected a symbol ({symbols}), got {got}",
                {"symbols": symbol_list, "got": _shown(raw)},
            )
        if isinstance(raw, str) and raw.strip() == "na":
            return None, "na"
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise PydanticCustomError(
                "indicator",
                'expected a number ({unit}) or "na", got {got}',
                {"unit": definition.unit, "got": _shown(raw)},
            )
        try:
            value = float(raw)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise PydanticCustomError(
                "indicator", "a figure must be a finite number, got {got}", {"got": str(raw)[:20]}
            )
        if definition.min is not None and value < definition.min:
            raise PydanticCustomError(
                "indicator",
                "{got} is below the minimum {low} of {name} ({unit})",
                {"got": f"{value:g}", "low": f"{definition.min:g}", "name": name, "unit": definition.unit},
            )
        if definition.max is not None and value > definition.max:
            raise PydanticCustomError(
                "indicator",
                "{got} is above the maximum {high} of {name} ({unit})",
                {"got": f"{value:g}", "high": f"{definition.max:g}", "name": name, "unit": definition.unit},
            )
        return value, None

    def validate(raw: Any) -> dict[str, Any]:
        if isinstance(raw, dict):
            for key in raw:
                if key not in INDICATOR_KEYS:
                    raise PydanticCustomError(
                        "indicator",
                        'unknown field "{key}" (allowed: {allowed})',
                        {"key": str(key), "allowed": ", ".join(INDICATOR_KEYS), "subkey": str(key)},
                    )
            if "value" not in raw:
                raise PydanticCustomError("indicator", 'an indicator mapping needs a "value"', {})
            _check_provenance(raw, "indicator")
            try:
                value, symbol = figure(raw["value"])
            except PydanticCustomError as exc:
                raise PydanticCustomError("indicator", exc.message(), {"subkey": "value"}) from None
            return {
                "value": value,
                "symbol": symbol,
                "source": raw.get("source"),
                "note": raw.get("note"),
                "assumption": raw.get("assumption", False),
            }
        value, symbol = figure(raw)
        return {"value": value, "symbol": symbol}

    if definition.kind == "symbol":
        value_schema: dict[str, Any] = {"type": "string", "enum": list(symbols)}
    else:
        value_schema = {"anyOf": [{"type": "number"}, {"const": "na"}]}
        if definition.min is not None:
            value_schema["anyOf"][0]["minimum"] = definition.min
        if definition.max is not None:
            value_schema["anyOf"][0]["maximum"] = definition.max
    schema = {
        "anyOf": [
            value_schema,
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["value"],
                "properties": {
                    "value": value_schema,
                    "source": {"type": "string", "description": "where the figure comes from"},
                    "note": {"type": "string"},
                    "assumption": {"type": "boolean", "description": "a proxy, not the domain's own figure"},
                },
            },
        ]
    }
    return Annotated[Any, PlainValidator(validate), WithJsonSchema(schema)]


# Building the models is a pydantic schema build each time, and every run loads its own
# Rulebook of the same registries (decision.inputs.kept). The models depend only on what
# this key holds, so they are kept by it.
_models: Kept[tuple[type[BaseModel], type[BaseModel]]] = Kept(32)


def _registries_key(rulebook: Rulebook) -> str:
    parts = {
        "scale": rulebook.scale.model_dump(),
        "symbols": rulebook.symbols,
        "scores": {name: d.model_dump() for name, d in rulebook.scores.items()},
        "factors": {name: d.model_dump() for name, d in rulebook.factors.items()},
        "indicators": {name: d.model_dump() for name, d in rulebook.indicators.indicators.items()},
    }
    return json.dumps(parts, default=str)


def profile_models(rulebook: Rulebook) -> tuple[type[BaseModel], type[BaseModel]]:
    """The pydantic models of one profile and of a ``domains:`` list, for this rulebook."""
    key = _registries_key(rulebook)
    return _models.get(key) or _models.keep(key, _build_profile_models(rulebook))


def _build_profile_models(rulebook: Rulebook) -> tuple[type[BaseModel], type[BaseModel]]:
    score_type = _score_validator(rulebook)
    factor_type = _score_validator(rulebook, range_refusal=FACTOR_RANGE_REFUSAL)
    strict = ConfigDict(extra="forbid")
    scores_model = create_model(
        "Scores",
        __config__=strict,
        **{
            name: (
                score_type | None,
                Field(default=None, description=f"{definition.label}: {definition.measured_by}"),
            )
            for name, definition in rulebook.scores.items()
        },
    )
    factors_model = create_model(
        "FeasibilityFactors",
        __config__=strict,
        **{
            name: (factor_type | None, Field(default=None, description=definition.label))
            for name, definition in rulebook.factors.items()
        },
    )
    indicators_model = create_model(
        "Indicators",
        __config__=strict,
        **{
            name: (
                _indicator_validator(rulebook, name) | None,
                Field(default=None, description=f"{definition.label} ({definition.unit}): {definition.measures}"),
            )
            for name, definition in rulebook.indicators.indicators.items()
        },
    )
    profile_model = create_model(
        "DomainProfileFile",
        __config__=strict,
        id=(str, Field(pattern=ID_PATTERN, description="unique lowercase slug")),
        name=(str, Field(min_length=1)),
        kind=(DomainKind | None, None),
        description=(str | None, None),
        scores=(scores_model, Field(default_factory=scores_model)),
        feasibility_factors=(factors_model | None, None),
        indicators=(indicators_model | None, None),
    )
    list_model = create_model(
        "DomainListFile",
        __config__=strict,
        domains=(list[profile_model], Field(min_length=1)),
    )
    return profile_model, list_model


def profile_json_schema(rulebook: Rulebook) -> dict[str, Any]:
    """JSON Schema of a profile file: one domain, or a list under ``domains:``."""
    single, many = profile_models(rulebook)
    single_schema = single.model_json_schema()
    many_schema = many.model_json_schema()
    definitions = {**single_schema.pop("$defs", {}), **many_schema.pop("$defs", {})}
    definitions["DomainProfileFile"] = single_schema
    many_schema["properties"]["domains"]["items"] = {"$ref": "#/$defs/DomainProfileFile"}
    definitions["DomainListFile"] = many_schema
    return {
        # Draft-07: what editor YAML plugins support best; every keyword used is in it.
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "decision domain profile",
        "anyOf": [{"$ref": "#/$defs/DomainProfileFile"}, {"$ref": "#/$defs/DomainListFile"}],
        "$defs": definitions,
    }


def _problems_from(document: YamlDocument, error: ValidationError, prefix: tuple) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = (*prefix, *item["loc"])
        ctx = item.get("ctx") or {}
        prefer_key = False
        if "subkey" in ctx:
            loc = (*loc, ctx["subkey"])
            prefer_key = ctx["subkey"] not in ("value", *RANGE_KEYS)
        if item["type"] == "extra_forbidden":
            section = loc[-2] if len(loc) >= 2 else ""
            noun = {"scores": "score", "feasibility_factors": "feasibility factor", "indicators": "indicator"}.get(
                str(section), "field"
            )
            message = f'unknown {noun} "{loc[-1]}"'
            prefer_key = True
        elif item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] == "string_pattern_mismatch" and loc[-1] == "id":
            message = "an id is a lowercase slug: a-z, 0-9 and '-', starting with a letter or digit"
        else:
            message = plain_message(item)
        field_name = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
        field_name = field_name or "file"
        problems.append(document.problem(loc, field_name, message, prefer_key=prefer_key))
    return problems


def _resolve(raw_scores: dict, document: YamlDocument, loc: tuple, origin_path: str) -> dict[str, ScoreValue]:
    resolved: dict[str, ScoreValue] = {}
    for name, detail in raw_scores.items():
        if detail is None:
            continue
        line, _ = document.position((*loc, name), prefer_key=True)
        resolved[name] = ScoreValue(origin="profile", location=f"{origin_path}:{line}", **detail)
    return resolved


def _resolve_indicators(raw: dict, document: YamlDocument, loc: tuple, origin_path: str) -> dict[str, IndicatorValue]:
    resolved: dict[str, IndicatorValue] = {}
    for name, detail in raw.items():
        if detail is None:
            continue
        line, _ = document.position((*loc, name), prefer_key=True)
        resolved[name] = IndicatorValue(indicator=name, location=f"{origin_path}:{line}", **detail)
    return resolved


def _with_derived_feasibility(
    scores: dict[str, ScoreValue], factors: dict[str, ScoreValue], rule: str
) -> dict[str, ScoreValue]:
    given = scores.get("feasibility")
    if rule == "none" or (given is not None and given.value is not None):
        return scores
    present = {name: factor for name, factor in factors.items() if factor.value is not None}
    if not present:
        return scores
    weakest = min(present, key=lambda name: present[name].value)
    derived = ScoreValue(
        value=present[weakest].value,
        origin="derived",
        location=present[weakest].location,
        note=(f"weakest of the feasibility factors given ({', '.join(sorted(present))}): {weakest}"),
        assumption=any(f.assumption for f in present.values()),
    )
    return {**scores, "feasibility": derived}


def _display(path: Path) -> Path:
    """Paths under the working folder are shown relative to it, so messages stay short."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, RuntimeError, OSError):
        # Outside the working folder, or a path that cannot be resolved (a symlink loop):
        # shown as given, and the checks below say what is wrong with it.
        return path


def profile_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders (``*.yaml``/``*.yml``, sorted) into a list of files."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        path = _display(Path(path))
        try:
            path.stat()
        except OSError as exc:
            if path.is_symlink():
                problems.append(
                    Problem(str(path), 1, 1, "path", f"a symbolic link that leads nowhere ({exc.strerror})")
                )
                continue
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                problems.append(Problem(str(path), 1, 1, "path", "folder holds no .yaml or .yml file"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 1, 1, "path", "no such file or folder"))
    return files, problems


MAX_DOMAINS = 100_000  # per run; see load_profiles


def load_profiles(paths: Iterable[Path], rulebook: Rulebook) -> list[DomainProfile]:
    """Load every profile under ``paths``; raise ProfileError listing all problems."""
    files, problems = profile_files(paths)
    single, many = profile_models(rulebook)
    profiles: list[DomainProfile] = []
    first_seen: dict[str, str] = {}
    for path in files:
        try:
            document = load_yaml_file(path)
        except YamlLoadError as exc:
            problems.append(exc.problem)
            continue
        data = document.data
        if isinstance(data, dict) and "domains" in data:
            model = many
        elif isinstance(data, dict):
            model = single
        else:
            problems.append(document.problem((), "file", "expected a domain mapping or a 'domains:' list"))
            continue
        try:
            parsed = model.model_validate(data)
        except ValidationError as exc:
            for problem in _problems_from(document, exc, ()):
                # The generated models know the registries; the message should too.
                for prefix, names in (
                    ("unknown score", rulebook.scores),
                    ("unknown feasibility factor", rulebook.factors),
                    ("unknown indicator", rulebook.indicators.indicators),
                ):
                    if problem.message.startswith(prefix):
                        problem = replace(problem, message=completed_unknown(problem.message, names))
                        break
                problems.append(problem)
            continue
        entries = parsed.domains if model is many else [parsed]
        for index, entry in enumerate(entries):
            loc = ("domains", index) if model is many else ()
            line, _ = document.position(loc)
            if len(profiles) >= MAX_DOMAINS:
                # Refused where the limit is passed, before more is read: a run of this size
                # would take minutes and gigabytes, and is almost always a mistake.
                message = f"more than {MAX_DOMAINS:,} domains in one run; split the portfolio into several runs"
                problems.append(document.problem(loc, "domains", message))
                raise ProfileError(problems)
            if entry.id in first_seen:
                problems.append(
                    document.problem(
                        (*loc, "id"),
                        "id",
                        f'duplicate id "{entry.id}" (first in {first_seen[entry.id]})',
                    )
                )
                continue
            first_seen[entry.id] = f"{path}:{document.position((*loc, 'id'))[0]}"
            raw_scores = entry.scores.model_dump()
            raw_factors = entry.feasibility_factors.model_dump() if entry.feasibility_factors else {}
            scores = _resolve(raw_scores, document, (*loc, "scores"), str(path))
            factors = _resolve(raw_factors, document, (*loc, "feasibility_factors"), str(path))
            indicators = _resolve_indicators(
                entry.indicators.model_dump() if entry.indicators else {}, document, (*loc, "indicators"), str(path)
            )
            scores = derive_scores(rulebook.indicators, indicators, scores)
            profiles.append(
                DomainProfile(
                    id=entry.id,
                    name=entry.name,
                    kind=entry.kind,
                    description=entry.description,
                    file=str(path),
                    line=line,
                    scores=_with_derived_feasibility(scores, factors, rulebook.feasibility.derive_from_factors),
                    factors=factors,
                    indicators=indicators,
                )
            )
    if problems:
        raise ProfileError(problems)
    return profiles


def find_profile(profiles: list[DomainProfile], domain_id: str) -> DomainProfile:
    """The profile with ``domain_id``; a UsageError naming the known ids when there is none."""
    for profile in profiles:
        if profile.id == domain_id:
            return profile
    known = ", ".join(sorted(p.id for p in profiles))
    suggestion = did_you_mean(domain_id, (p.id for p in profiles))
    raise UsageError(f'no domain with id "{domain_id}"{suggestion} (known: {known})')
