"""Readings: the source's ambiguities as small, switchable overlays of the rules.

Where VARIO's text allows more than one reading, ``rules/`` encodes one (flagged as an
interpretation) and ``rules/readings/NAME.yaml`` may encode another. A reading patches
or adds tree nodes, leaves, criteria and variants by their permanent codes, and names
the codes it retires; ``load_rulebook(..., readings=[...])`` applies it before any
cross-check, so a reading is validated exactly like the rules and every complaint names
the reading file's own line.

Takes in the parsed tree and criteria plus the reading documents; hands on the merged
lists, a locator that maps every merged entry back to the file that defined each
field, and a ``ReadingInfo`` per applied reading for results, records and docs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from decision.errors import Problem, RulesError, UsageError, did_you_mean, plain_message
from decision.inputs.yaml_source import YamlDocument, YamlLoadError, load_yaml_file

READINGS_FOLDER = "readings"
READING_NAME = r"^[a-z][a-z0-9-]*$"
# The sections of the rules a reading may touch, keyed by the permanent code of an entry.
PATCHABLE = ("nodes", "leaves", "criteria")


class ReadingFile(BaseModel):
    """One reading file: what it stands for, where the source allows it, and its changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^VR\d{2}$")
    name: str = Field(pattern=READING_NAME)
    label: str = Field(min_length=5)
    # The codes of the flagged interpretations this reading replaces (VL08, VC06, ...).
    alternative_to: list[str] = Field(min_length=1)
    instead_of: str = Field(min_length=5)
    cite: str
    nodes: list[dict[str, Any]] = []
    leaves: list[dict[str, Any]] = []
    criteria: list[dict[str, Any]] = []
    variants: dict[str, dict[str, Any]] = {}
    retires: list[str] = []


@dataclass(frozen=True)
class ReadingInfo:
    """An applied reading, as results, records and docs name it."""

    code: str
    name: str
    label: str
    instead_of: str
    alternative_to: tuple[str, ...]
    cite: str
    file: str  # relative to the rules folder, e.g. "readings/science-without-translation.yaml"
    changed: tuple[str, ...]  # codes patched or added, in file order
    retires: tuple[str, ...]


@dataclass
class Locator:
    """Where each field of a merged rules entry was written: base file or reading file."""

    base: dict[str, YamlDocument]  # section -> the base document holding it
    # (section, merged index) -> list of (document, index there, fields it gave or None = all)
    origins: dict[tuple[str, int], list[tuple[YamlDocument, int, frozenset[str] | None]]] = field(default_factory=dict)

    def problem(self, loc: tuple, owner: str, message: str, *, prefer_key: bool = False) -> Problem:
        """A problem at the file, line and column that defined ``loc`` of a merged entry."""
        section = loc[0]
        document = self.base[section]
        if len(loc) >= 2 and isinstance(loc[1], int) and (section, loc[1]) in self.origins:
            wanted = loc[2] if len(loc) > 2 else None
            layers = self.origins[(section, loc[1])]
            chosen = layers[0]
            for layer in reversed(layers):
                if layer[2] is None or (wanted is not None and wanted in layer[2]):
                    chosen = layer
                    break
            document, index, _ = chosen
            loc = (section, index, *loc[2:])
        line, column = document.position(loc, prefer_key=prefer_key)
        return Problem(str(document.path), line, column, owner, message)


def reading_path(directory: Path, name: str) -> Path:
    """The file of the reading ``name`` in a rules folder."""
    return Path(directory) / READINGS_FOLDER / f"{name}.yaml"


def available_readings(directory: Path) -> list[str]:
    """The names of the readings a rules folder ships, sorted."""
    folder = Path(directory) / READINGS_FOLDER
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file())


def readings_in_digests(file_digests: dict[str, str]) -> list[str]:
    """The readings a rulebook (or a record of one) applied, in the order applied."""
    prefix = READINGS_FOLDER + "/"
    return [name[len(prefix) : -len(".yaml")] for name in file_digests if name.startswith(prefix)]


def load_reading_document(directory: Path, name: str) -> YamlDocument:
    """Read one reading file, or refuse an unknown name listing the known ones."""
    if not re.fullmatch(READING_NAME, name):
        raise UsageError(f'--reading "{name}": a reading name is lowercase letters, digits and dashes')
    path = reading_path(directory, name)
    if not path.is_file():
        names = available_readings(directory)
        known = ", ".join(names) or "none"
        raise UsageError(
            f"--reading {name}: no such reading in {Path(directory) / READINGS_FOLDER}"
            f"{did_you_mean(name, names)} (known: {known})"
        )
    try:
        return load_yaml_file(path)
    except YamlLoadError as exc:
        raise RulesError([exc.problem]) from None


def apply_readings(
    entries: dict[str, list[BaseModel]],
    models: dict[str, type[BaseModel]],
    variants: dict[str, Any],
    variant_model: type[BaseModel],
    documents: list[tuple[str, YamlDocument]],
    locator: Locator,
) -> tuple[dict[str, list[BaseModel]], dict[str, Any], list[ReadingInfo], dict[str, str], list[Problem]]:
    """Merge each reading into the rules' entries, in the order given.

    ``entries`` maps each section of PATCHABLE to its validated base models. Returns the
    merged entries and variants, one ReadingInfo per reading, the retired codes (with the
    reading that retired each), and the
    problems found (each at the reading file's line).
    """
    merged = {section: list(items) for section, items in entries.items()}
    variants = dict(variants)
    infos: list[ReadingInfo] = []
    retired: dict[str, str] = {}
    problems: list[Problem] = []
    base_codes = {item.code for items in entries.values() for item in items}
    for section, items in entries.items():
        for position in range(len(items)):
            locator.origins.setdefault((section, position), [(locator.base[section], position, None)])
    added_by: dict[str, str] = {}
    for name, document in documents:
        if not isinstance(document.data, dict):
            problems.append(document.problem((), "file", "expected a mapping at the top level"))
            continue
        try:
            reading = ReadingFile.model_validate(document.data)
        except ValidationError as exc:
            for item in exc.errors():
                loc = tuple(item["loc"])
                field_name = ".".join(str(part) for part in loc) or "file"
                message = f'unknown field "{loc[-1]}"' if item["type"] == "extra_forbidden" else plain_message(item)
                problems.append(document.problem(loc, field_name, message, prefer_key=True))
            continue
        if reading.name != name:
            problems.append(
                document.problem(("name",), "name", f'must match the file name "{name}" (found "{reading.name}")')
            )
        known_codes = {item.code for items in merged.values() for item in items}
        for index, code in enumerate(reading.alternative_to):
            if code not in known_codes and code not in base_codes:
                problems.append(document.problem(("alternative_to", index), reading.code, f'unknown code "{code}"'))
        changed: list[str] = []
        for section in PATCHABLE:
            model = models[section]
            by_code = {item.code: i for i, item in enumerate(merged[section])}
            for j, raw in enumerate(getattr(reading, section)):
                code = raw.get("code")
                if not isinstance(code, str):
                    problems.append(document.problem((section, j), reading.code, "every entry needs its code"))
                    continue
                if added_by.get(code, reading.name) != reading.name:
                    problems.append(
                        document.problem(
                            (section, j, "code"),
                            code,
                            f'also added by the reading "{added_by[code]}"; give each reading its own codes',
                        )
                    )
                    continue
                if code in by_code:
                    position = by_code[code]
                    base = merged[section][position].model_dump(exclude_none=True)
                    data = {**base, **raw}
                    layer = (document, j, frozenset(raw))
                else:
                    added_by[code] = reading.name
                    position, data, layer = None, raw, (document, j, None)
                try:
                    entry = model.model_validate(data)
                except ValidationError as exc:
                    for item in exc.errors():
                        loc = (section, j, *item["loc"])
                        field_name = ".".join(str(part) for part in item["loc"])
                        message = (
                            f'unknown field "{item["loc"][-1]}"'
                            if item["type"] == "extra_forbidden"
                            else f"{field_name}: {item['msg']}"
                        )
                        problems.append(document.problem(loc, code, message, prefer_key=True))
                    continue
                if position is None:
                    merged[section].append(entry)
                    position = len(merged[section]) - 1
                    by_code[code] = position
                    locator.origins[(section, position)] = [layer]
                else:
                    merged[section][position] = entry
                    locator.origins[(section, position)].append(layer)
                changed.append(code)
        for key, raw in reading.variants.items():
            try:
                variants[key] = variant_model.model_validate(raw)
            except ValidationError as exc:
                for item in exc.errors():
                    problems.append(document.problem(("variants", key, *item["loc"]), key, plain_message(item)))
        all_codes = {item.code for items in merged.values() for item in items}
        for index, code in enumerate(reading.retires):
            if code not in all_codes:
                problems.append(document.problem(("retires", index), reading.code, f'unknown code "{code}"'))
            retired[code] = reading.name
        infos.append(
            ReadingInfo(
                code=reading.code,
                name=reading.name,
                label=reading.label,
                instead_of=reading.instead_of,
                alternative_to=tuple(reading.alternative_to),
                cite=reading.cite,
                file=f"{READINGS_FOLDER}/{name}.yaml",
                changed=tuple(changed),
                retires=tuple(reading.retires),
            )
        )
    for section in PATCHABLE:
        # A retired entry stays out of the rulebook; a later reading may not lean on it.
        kept = []
        for position, item in enumerate(merged[section]):
            if item.code in retired:
                continue
            kept.append((position, item))
        remap = {old: new for new, (old, _) in enumerate(kept)}
        locator.origins = {
            (s, remap[i] if s == section else i): v
            for (s, i), v in locator.origins.items()
            if s != section or i in remap
        }
        merged[section] = [item for _, item in kept]
    return merged, variants, infos, retired, problems
