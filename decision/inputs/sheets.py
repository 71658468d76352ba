"""Participants' score sheets: one file per workshop participant, in one folder.

A sheet is either YAML in the profile format (one domain, or several under
``domains:``; only ``id`` and ``scores`` are needed), or a table, CSV or ``.xlsx`` (its
first worksheet), with the header ``id,<score>,...`` (any subset of the scores, in any
order; a cell is a number, a symbol, or empty for "not scored"). A table may carry
descriptive columns for the people filling it in (``name``, ``comment``, ``note``...),
which are read past. A CSV whose header is separated by semicolons is read as Excel
writes it where the decimal separator is a comma (Belgium): ``;`` between cells and
``3,5`` for 3.5. A README, ``.md`` or ``.txt`` file in the folder is a note, not a
sheet. The participant is the file's stem: ``an.yaml`` is An's sheet. A score a
participant leaves out, leaves empty or writes ``na`` counts as not scored by that
participant; the others' values decide it.

CSV is read with the standard library's ``csv`` module, not pandas. A sheet is a few
rows, and every complaint must name the line and the cell as the participant typed
them. pandas converts cells before we see them (``na`` and an empty cell both become
NaN, ``"4"`` becomes 4.0), silently renames a repeated header (``science.1``), loses
the physical line of a row once a quoted cell spans lines, and costs about 0.3 s to
import for a ten-line file. ``csv.reader`` hands over the raw text of every cell and
the line number of every record.

Every problem of every sheet is collected and raised together as a SheetError, one
``file:line:col: field: message`` each; for CSV the column is the cell's position in
the row (1 = the id cell).
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from decision.errors import (
    FieldError,
    Problem,
    ProfileError,
    completed_unknown,
    did_you_mean,
    plain_message,
    unknown_name,
)
from decision.inputs.profiles import ID_PATTERN, DomainKind, _display, _problems_from, _score_validator
from decision.inputs.rulebook import Rulebook
from decision.inputs.yaml_source import MAX_FILE_BYTES, YamlLoadError, load_yaml_file

SHEET_SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
# Read past in a sheets folder: notes for the people running the workshop, and the lock
# files spreadsheet programs leave while a sheet is open (~$an.xlsx, .~lock.an.csv#).
NOT_SHEETS = (".md", ".txt", ".pdf", ".docx")
SHEET_RANGE_REFUSAL = "a participant's sheet gives one value per score, not a range"
_ID = re.compile(ID_PATTERN)


class SheetError(ProfileError):
    """One or more participants' sheets are invalid."""

    what = "sheets"


@dataclass(frozen=True)
class SheetScore:
    """One participant's value for one score of one domain."""

    participant: str
    value: float
    symbol: str | None
    location: str  # file:line


@dataclass(frozen=True)
class Sheet:
    """One participant's sheet: the domains it scores, each with the scores given."""

    participant: str
    file: str
    scores: dict[str, dict[str, SheetScore]]  # domain id -> score name -> value
    id_positions: dict[str, tuple[int, int]]  # domain id -> (line, column) of its id


@dataclass(frozen=True)
class Sheets:
    """Every participant's sheet from one folder, participants in file-name order."""

    directory: str
    sheets: tuple[Sheet, ...]

    @property
    def participants(self) -> list[str]:
        """The participants, in file-name order."""
        return [sheet.participant for sheet in self.sheets]

    def domain_ids(self) -> set[str]:
        """Every domain id at least one sheet scores."""
        return {domain_id for sheet in self.sheets for domain_id in sheet.scores}

    def values(self, domain_id: str, score: str) -> list[SheetScore]:
        """The values participants gave one score of one domain (only those who scored it)."""
        found = []
        for sheet in self.sheets:
            entry = sheet.scores.get(domain_id, {}).get(score)
            if entry is not None:
                found.append(entry)
        return found


@dataclass(frozen=True)
class ScoreAggregate:
    """What the participants said about one score of one domain."""

    score: str
    values: tuple[SheetScore, ...]

    @property
    def count(self) -> int:
        """How many participants scored it."""
        return len(self.values)

    @property
    def median(self) -> float | None:
        """The median (the mean of the two middle values for an even count); None if unscored."""
        return statistics.median(v.value for v in self.values) if self.values else None

    @property
    def minimum(self) -> float | None:
        return min(v.value for v in self.values) if self.values else None

    @property
    def maximum(self) -> float | None:
        return max(v.value for v in self.values) if self.values else None

    @property
    def spread(self) -> float | None:
        """max - min: 0 when every participant agrees."""
        return None if not self.values else self.maximum - self.minimum

    @property
    def distinct(self) -> list[float]:
        """The distinct values given, ascending."""
        return sorted({v.value for v in self.values})


def aggregate(sheets: Sheets, domain_id: str, score_names: Iterable[str]) -> dict[str, ScoreAggregate]:
    """Per score (all of them, scored or not), what the participants said about one domain."""
    return {name: ScoreAggregate(name, tuple(sheets.values(domain_id, name))) for name in score_names}


# --- loading ---------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _sheet_models(rulebook: Rulebook) -> tuple[type[BaseModel], type[BaseModel]]:
    """The pydantic models of a YAML sheet: the profile format, where only id is required."""
    score_type = _score_validator(rulebook, range_refusal=SHEET_RANGE_REFUSAL)
    strict = ConfigDict(extra="forbid")
    scores_model = create_model(
        "SheetScores",
        __config__=strict,
        **{name: (score_type | None, Field(default=None)) for name in rulebook.scores},
    )
    domain_model = create_model(
        "SheetDomain",
        __config__=strict,
        id=(str, Field(pattern=ID_PATTERN)),
        name=(str | None, None),
        kind=(DomainKind | None, None),
        description=(str | None, None),
        scores=(scores_model, Field(default_factory=scores_model)),
    )
    list_model = create_model("SheetDomainList", __config__=strict, domains=(list[domain_model], Field(min_length=1)))
    return domain_model, list_model


def _yaml_sheet(path: Path, participant: str, rulebook: Rulebook) -> tuple[Sheet | None, list[Problem]]:
    try:
        document = load_yaml_file(path)
    except YamlLoadError as exc:
        return None, [exc.problem]
    data = document.data
    single, many = _sheet_models(rulebook)
    if isinstance(data, dict) and "domains" in data:
        model = many
    elif isinstance(data, dict):
        model = single
    else:
        return None, [document.problem((), "file", "expected a domain mapping or a 'domains:' list")]
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for problem in _problems_from(document, exc, ()):
            if problem.message.startswith("unknown score"):
                problem = replace(problem, message=completed_unknown(problem.message, rulebook.scores))
            elif problem.message == 'unknown field "feasibility_factors"':
                problem = replace(
                    problem, message="a sheet holds scores only: give feasibility as a score, not as factors"
                )
            problems.append(problem)
        return None, problems
    problems: list[Problem] = []
    scores: dict[str, dict[str, SheetScore]] = {}
    positions: dict[str, tuple[int, int]] = {}
    entries = parsed.domains if model is many else [parsed]
    for index, entry in enumerate(entries):
        loc = ("domains", index) if model is many else ()
        position = document.position((*loc, "id"))
        if entry.id in positions:
            problems.append(
                document.problem(
                    (*loc, "id"),
                    "id",
                    f'duplicate id "{entry.id}" in this sheet (first at line {positions[entry.id][0]})',
                )
            )
            continue
        positions[entry.id] = position
        given = {}
        for name, detail in entry.scores.model_dump().items():
            if detail is None or detail["value"] is None:
                continue  # left out, empty or "na": this participant did not score it
            line, _ = document.position((*loc, "scores", name), prefer_key=True)
            given[name] = SheetScore(participant, detail["value"], detail["symbol"], f"{path}:{line}")
        scores[entry.id] = given
    return Sheet(participant, str(path), scores, positions), problems


def _read_text(path: Path) -> tuple[str | None, Problem | None]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, Problem(str(path), 1, 1, "file", f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
        data = path.read_bytes()
    except OSError as exc:
        return None, Problem(str(path), 1, 1, "file", f"cannot read: {exc.strerror}")
    if b"\x00" in data:
        return None, Problem(str(path), 1, 1, "file", "not a text file (it holds binary data)")
    try:
        return data.decode("utf-8-sig"), None  # spreadsheet programs often write a BOM
    except UnicodeDecodeError as exc:
        return None, Problem(str(path), 1, 1, "file", f"not UTF-8 text ({exc.reason})")


def _csv_cell(
    text: str, rulebook: Rulebook, *, decimal_comma: bool = False
) -> tuple[float | None, str | None, str | None]:
    """(value, symbol, error) of one cell; value None = not scored. In a semicolon sheet a
    decimal comma is a decimal point (3,5 is 3.5), as the spreadsheet wrote it."""
    text = text.strip()
    if decimal_comma and re.fullmatch(r"[+-]?\d+,\d+", text):
        text = text.replace(",", ".")
    if not text:
        return None, None, None
    if text in rulebook.symbols:
        return rulebook.symbols[text], text, None
    low, high = rulebook.scale.min, rulebook.scale.max
    symbols = ", ".join(f'"{s}"' for s in rulebook.symbols)
    try:
        value = float(text)
    except ValueError:
        hint = "; use a decimal point, not a comma" if re.fullmatch(r"\d+,\d+", text) else ""
        return None, None, f'"{text}" is not a number {low:g}-{high:g} or a symbol ({symbols}){hint}'
    if not math.isfinite(value):
        return None, None, f'"{text}" is not a finite number'
    if not low <= value <= high:
        return None, None, f"{value:g} is outside the scale {low:g}-{high:g}"
    return value, None, None


def _delimiter(text: str) -> str:
    """ "," or ";": what the header line uses. Excel writes ";" (with decimal commas) where
    the decimal separator is a comma, as in Belgium."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def _csv_records(path: Path) -> tuple[list[tuple[int, list[str]]] | None, str, Problem | None]:
    """(line, cells) of every record of a CSV sheet, the delimiter, or the problem."""
    text, problem = _read_text(path)
    if problem is not None:
        return None, ",", problem
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            records.append((line, record))
            line = reader.line_num + 1
    except csv.Error as exc:
        return None, delimiter, Problem(str(path), reader.line_num or 1, 1, "csv", f"not readable as CSV: {exc}")
    return records, delimiter, None


def _xlsx_records(path: Path) -> tuple[list[tuple[int, list[str]]] | None, Problem | None]:
    """(row, cells as text) of the first worksheet of an Excel sheet, or the problem."""
    import zipfile

    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        return None, Problem(str(path), 1, 1, "file", "reading .xlsx sheets needs openpyxl")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, Problem(str(path), 1, 1, "file", f"file is larger than the limit of {MAX_FILE_BYTES} bytes")
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        return None, Problem(str(path), 1, 1, "file", f"not a readable .xlsx workbook ({type(exc).__name__})")
    try:
        sheet = workbook.worksheets[0]
        records = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = ["" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)) for v in row]
            while cells and not cells[-1].strip():
                cells.pop()  # Excel keeps formatted but empty cells at the end of a row
            records.append((number, cells))
            if number > 100_000:
                return None, Problem(str(path), number, 1, "file", "more than 100,000 rows")
    finally:
        workbook.close()
    return records, None


# Columns a sheet may carry for the people filling it in; read past, never scored.
DESCRIPTIVE_COLUMNS = ("name", "comment", "comments", "note", "notes", "description", "remark", "remarks")


def _csv_sheet(path: Path, participant: str, rulebook: Rulebook) -> tuple[Sheet | None, list[Problem]]:
    file = str(path)
    problems: list[Problem] = []
    if path.suffix.lower() == ".xlsx":
        records, problem = _xlsx_records(path)
        delimiter = ","
    else:
        records, delimiter, problem = _csv_records(path)
    if problem is not None:
        return None, [problem]
    decimal_comma = delimiter == ";"
    records = [(number, cells) for number, cells in records if any(cell.strip() for cell in cells)]
    if not records:
        return None, [Problem(file, 1, 1, "file", "empty sheet: expected a header id,<score>,...")]
    header_line, header = records[0]
    header = [cell.strip() for cell in header]
    if header[0].lower() != "id":
        message = f'the first column must be "id", got "{header[0]}"'
        return None, [Problem(file, header_line, 1, "id", message)]
    columns: dict[int, str] = {}
    first_column: dict[str, int] = {}
    for index, name in enumerate(header[1:], start=2):
        if name in first_column:
            problems.append(
                Problem(
                    file,
                    header_line,
                    index,
                    name,
                    f'column "{name}" appears twice (first in column {first_column[name]})',
                )
            )
        elif name.lower() in DESCRIPTIVE_COLUMNS:
            first_column[name] = index  # for the people filling it in: read past
        elif name not in rulebook.scores:
            label = "an empty column name" if not name else f'unknown score column "{name}"'
            hint = did_you_mean(name, rulebook.scores) if name else ""
            known = f"known: {', '.join(rulebook.scores)}; descriptive columns such as name or comment are read past"
            problems.append(Problem(file, header_line, index, name or "header", f"{label}{hint} ({known})"))
        else:
            columns[index - 1] = name
            first_column[name] = index
    if len(header) == 1:
        problems.append(Problem(file, header_line, 1, "header", "the header names no score column"))
    scores: dict[str, dict[str, SheetScore]] = {}
    positions: dict[str, tuple[int, int]] = {}
    for number, cells in records[1:]:
        if path.suffix.lower() == ".xlsx" and len(cells) < len(header):
            cells = cells + [""] * (len(header) - len(cells))  # the reader trimmed empty cells at the end
        if len(cells) != len(header):
            problems.append(
                Problem(file, number, 1, "row", f"the row has {len(cells)} cells, the header {len(header)}")
            )
            continue
        domain_id = cells[0].strip()
        if not _ID.match(domain_id):
            message = "the id is empty" if not domain_id else f'"{domain_id}" is not an id (a lowercase slug)'
            problems.append(Problem(file, number, 1, "id", message))
            continue
        if domain_id in positions:
            problems.append(
                Problem(
                    file,
                    number,
                    1,
                    "id",
                    f'duplicate id "{domain_id}" in this sheet (first at line {positions[domain_id][0]})',
                )
            )
            continue
        positions[domain_id] = (number, 1)
        given = {}
        for index, name in columns.items():
            value, symbol, error = _csv_cell(cells[index], rulebook, decimal_comma=decimal_comma)
            if error is not None:
                problems.append(Problem(file, number, index + 1, name, error))
            elif value is not None:
                given[name] = SheetScore(participant, value, symbol, f"{file}:{number}")
        scores[domain_id] = given
    return Sheet(participant, file, scores, positions), problems


def load_sheets(directory: Path, rulebook: Rulebook, known_ids: Iterable[str]) -> Sheets:
    """Read every sheet in ``directory``; ids must be among ``known_ids`` (the profiles read).

    Raises SheetError listing every problem of every sheet."""
    directory = _display(Path(directory))
    if not directory.is_dir():
        what = "not a folder" if directory.exists() else "no such folder"
        raise SheetError([Problem(str(directory), 1, 1, "sheets", f"{what} (--sheets expects a folder of sheets)")])
    known = list(known_ids)
    problems: list[Problem] = []
    sheets: list[Sheet] = []
    owner: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith((".", "~$")) or path.is_dir():
            continue
        if path.suffix.lower() in NOT_SHEETS or path.stem.upper() == "README":
            continue
        if path.suffix.lower() not in SHEET_SUFFIXES:
            problems.append(
                Problem(
                    str(path),
                    1,
                    1,
                    "file",
                    "not a sheet: a sheets folder holds .yaml, .yml, .csv or .xlsx sheets "
                    "(and notes: README, .md, .txt)",
                )
            )
            continue
        participant = path.stem
        if participant in owner:
            problems.append(
                Problem(
                    str(path), 1, 1, "file", f'participant "{participant}" already has a sheet ({owner[participant]})'
                )
            )
            continue
        owner[participant] = path
        reader = _csv_sheet if path.suffix.lower() in (".csv", ".xlsx") else _yaml_sheet
        sheet, found = reader(path, participant, rulebook)
        problems.extend(found)
        if sheet is None:
            continue
        if not sheet.scores and not found:
            problems.append(Problem(str(path), 1, 1, "file", "the sheet scores no domain"))
        for domain_id, (line, column) in sheet.id_positions.items():
            if domain_id not in known:
                close = difflib.get_close_matches(domain_id, known, n=1)
                hint = f'did you mean "{close[0]}"? ' if close else ""
                problems.append(
                    Problem(
                        sheet.file,
                        line,
                        column,
                        "id",
                        f'unknown domain id "{domain_id}": no profile read has it ({hint}known: {", ".join(known)})',
                    )
                )
        sheets.append(sheet)
    if not owner and not problems:
        problems.append(Problem(str(directory), 1, 1, "sheets", "folder holds no .yaml, .yml or .csv sheet"))
    if problems:
        raise SheetError(problems)
    return Sheets(str(directory), tuple(sheets))


# --- sheets that come from no file (the workshop room's submissions) -------------------

MAX_PARTICIPANT_NAME = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def participant_name(raw: object, field: str = "participant") -> str:
    """A participant's name as typed, checked: 1-60 printable characters, trimmed.

    The name becomes a sheet's file stem on export, so path separators and names
    starting with a dot are refused as well.
    """
    if not isinstance(raw, str):
        raise FieldError(field, f"expected a name (text), got {type(raw).__name__}")
    name = raw.strip()
    if not name:
        raise FieldError(field, "give a name")
    if len(name) > MAX_PARTICIPANT_NAME:
        raise FieldError(field, f"at most {MAX_PARTICIPANT_NAME} characters")
    if _CONTROL.search(name) or "/" in name or "\\" in name or name.startswith("."):
        raise FieldError(field, 'use letters, digits, spaces and punctuation other than "/" and "\\"')
    return name


@lru_cache(maxsize=32)
def _one_score(rulebook: Rulebook):
    from pydantic import TypeAdapter

    return TypeAdapter(_score_validator(rulebook, range_refusal=SHEET_RANGE_REFUSAL))


def score_entry(rulebook: Rulebook, name: object, raw: object, field: str) -> tuple[float | None, str | None]:
    """One score given in a request, as (value, symbol): the same rules as a sheet's cell.

    ``name`` must be a score of the rules (did-you-mean otherwise); ``raw`` a number on
    the scale or a symbol (``na``: missing). Raises FieldError naming ``field``.
    """
    if not isinstance(name, str) or name not in rulebook.scores:
        raise FieldError(field, unknown_name("score", name, rulebook.scores))
    if isinstance(raw, dict | list):  # the file format's provenance mapping has no place in a room's sheet
        raise FieldError(field, "give a number or a symbol")
    try:
        detail = _one_score(rulebook).validate_python(raw)
    except ValidationError as exc:
        raise FieldError(field, plain_message(exc.errors()[0])) from None
    return detail["value"], detail["symbol"]


def sheet_from_mapping(
    participant: str, scores: object, rulebook: Rulebook, known_ids: Iterable[str], file: str
) -> Sheet:
    """A participant's sheet from ``{domain id: {score: value or symbol}}`` (a request body).

    The same checks as a sheet file: known ids, known scores, values on the scale or
    symbols. A score given as ``na`` or left out is not scored. ``file`` names where the
    sheet is kept (shown in explanations). Raises FieldError on the first bad value.
    """
    known = list(known_ids)
    if not isinstance(scores, dict):
        raise FieldError("scores", "expected a mapping of domain id to scores")
    if not scores:
        raise FieldError("scores", "the sheet scores no domain")
    by_domain: dict[str, dict[str, SheetScore]] = {}
    for domain_id, given in scores.items():
        where = f"scores.{domain_id}"
        if domain_id not in known:
            hint = did_you_mean(str(domain_id), known)
            raise FieldError(where, f'unknown domain id "{domain_id}"{hint}')
        if not isinstance(given, dict):
            raise FieldError(where, "expected a mapping of score name to value")
        entries = {}
        for name, raw in given.items():
            value, symbol = score_entry(rulebook, name, raw, f"{where}.{name}")
            if value is not None:
                entries[name] = SheetScore(participant, value, symbol, file)
        by_domain[domain_id] = entries
    return Sheet(participant, file, by_domain, {})
