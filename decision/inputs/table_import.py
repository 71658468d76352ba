"""``decision import``: one YAML profile per row of a CSV or Excel table.

A mapping file (YAML) says which column holds each row's id and name, and which columns
go to which score or indicator. Every figure written keeps its provenance: the table
file, the row a person sees in a spreadsheet (the header is row 1, the first data row is
row 2) and the column, behind the mapping's optional ``source`` text.

Nothing is written unless the whole import can be: every problem of the mapping and of
every row is collected first and reported together, one ``file:line:col: field:
message`` each. For a table, LINE is the spreadsheet row and COL the column's position in
the header (1 = column A). Only ``skip_bad`` lets the good rows through. The table and
the mapping are only read; every output file is written atomically and an existing one
is replaced only with ``force``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from decision.errors import DecisionError, Problem, ProblemsError, UsageError, plain_message
from decision.inputs.profiles import ID_PATTERN, DomainKind, _display, profile_models
from decision.inputs.rulebook import Rulebook
from decision.inputs.yaml_source import YamlDocument, YamlLoadError, load_yaml_file

TABLE_SUFFIXES = (".csv", ".xlsx")
KINDS = get_args(DomainKind)
_ID = re.compile(ID_PATTERN)
# Plain decimal notation only: float() would also take "inf", "nan" and "1_000", which in
# a table of figures are typos or placeholders, never numbers.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


class ImportProblems(ProblemsError):
    """The mapping or the table is unusable as a whole (bad mapping, unreadable table,
    a mapped column missing from it); nothing was written."""


class BadRowsError(ImportProblems):
    """Some rows are bad; without ``skip_bad`` nothing was written."""

    def __init__(self, problems: list[Problem], bad_rows: list[int]):
        super().__init__(problems)
        self.bad_rows = bad_rows


class TargetsExistError(DecisionError):
    """Some output files exist already and ``force`` was not given; nothing was written."""

    def __init__(self, paths: list[Path]):
        self.paths = paths
        super().__init__("\n".join(f"{p}: already exists; pass --force to overwrite it" for p in paths))


# --- the mapping file ----------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnTarget(_Strict):
    """Where one table column goes: a score or an indicator, with an optional source of its own."""

    score: str | None = None
    indicator: str | None = None
    source: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> ColumnTarget:
        if (self.score is None) == (self.indicator is None):
            raise ValueError('give exactly one of "score" or "indicator"')
        return self


class ImportMapping(_Strict):
    """The mapping file as written."""

    source: str | None = Field(default=None, min_length=1)
    sheet: str | None = Field(default=None, min_length=1)
    id_column: str | None = Field(default=None, min_length=1)
    id_from: str | None = Field(default=None, min_length=1)
    name_column: str = Field(min_length=1)
    kind: DomainKind | None = None
    kind_column: str | None = Field(default=None, min_length=1)
    columns: dict[str, ColumnTarget] = Field(min_length=1)

    @model_validator(mode="after")
    def _choices(self) -> ImportMapping:
        if (self.id_column is None) == (self.id_from is None):
            raise ValueError('give exactly one of "id_column" (ids as written) or "id_from" (ids made from a column)')
        if self.kind is not None and self.kind_column is not None:
            raise ValueError('give at most one of "kind" (the same for every row) or "kind_column"')
        return self


@dataclass
class LoadedMapping:
    """A structurally valid mapping and the document it came from (for positions)."""

    path: Path
    model: ImportMapping
    document: YamlDocument

    def problem(self, loc: tuple, field_name: str, message: str) -> Problem:
        """A problem anchored at ``loc`` in the mapping file."""
        return self.document.problem(loc, field_name, message)

    def referenced_columns(self) -> list[tuple[tuple, str]]:
        """Every table column the mapping names, with where it names it."""
        model = self.model
        named = [
            (("id_column",), model.id_column),
            (("id_from",), model.id_from),
            (("name_column",), model.name_column),
            (("kind_column",), model.kind_column),
        ]
        named += [(("columns", column), column) for column in model.columns]
        return [(loc, column) for loc, column in named if column is not None]


def _mapping_structure_problems(document: YamlDocument, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        field_name = ".".join(str(part) for part in loc) or "mapping"
        if item["type"] == "extra_forbidden":
            message = f'unknown field "{loc[-1]}"'
            problems.append(document.problem(loc, field_name, message, prefer_key=True))
        elif item["type"] == "missing":
            problems.append(document.problem(loc, field_name, "required field is missing"))
        else:
            message = plain_message(item)
            problems.append(document.problem(loc, field_name, message))
    return problems


def load_mapping(path: Path, rulebook: Rulebook) -> LoadedMapping:
    """Read and check a mapping file against the rulebook's scores and indicators.

    Raises ImportProblems listing every problem with the mapping's file and line."""
    mapping, problems = _read_mapping(path, rulebook)
    if problems:
        raise ImportProblems(problems)
    return mapping


def _read_mapping(path: Path, rulebook: Rulebook) -> tuple[LoadedMapping, list[Problem]]:
    """The mapping and the problems of its names; raises ImportProblems only when the
    file is not a mapping at all (then nothing else can be checked)."""
    path = _display(Path(path))
    try:
        document = load_yaml_file(path)
    except YamlLoadError as exc:
        raise ImportProblems([exc.problem]) from None
    if not isinstance(document.data, dict):
        raise ImportProblems([document.problem((), "mapping", "expected a mapping with name_column and columns")])
    try:
        model = ImportMapping.model_validate(document.data)
    except ValidationError as exc:
        raise ImportProblems(_mapping_structure_problems(document, exc)) from None
    mapping = LoadedMapping(path, model, document)

    problems: list[Problem] = []
    indicators = rulebook.indicators.indicators
    first_target: dict[tuple[str, str], str] = {}
    for column, target in model.columns.items():
        loc = ("columns", column)
        if target.score is not None:
            kind, name, known = "score", target.score, rulebook.scores
        else:
            kind, name, known = "indicator", target.indicator, indicators
        field_name = f"columns.{column}.{kind}"
        if name not in known:
            listed = ", ".join(known) or "none"
            problems.append(mapping.problem((*loc, kind), field_name, f'unknown {kind} "{name}" (known: {listed})'))
            continue
        if (kind, name) in first_target:
            problems.append(
                mapping.problem(
                    (*loc, kind),
                    field_name,
                    f'{kind} "{name}" is already filled by column "{first_target[kind, name]}"',
                )
            )
            continue
        first_target[kind, name] = column
    return mapping, problems


# --- the table -----------------------------------------------------------------------------


@dataclass
class Table:
    """The raw cells of a table: its header and its data rows, numbered as in a spreadsheet."""

    path: Path
    sheet: str | None
    header: list[str]
    # (spreadsheet row number, cells); a cell is None when empty, else str, int, float, bool, ...
    rows: list[tuple[int, list[Any]]]

    def label(self) -> str:
        """How a source text names the table: its file name, and the sheet for a workbook."""
        return self.path.name if self.sheet is None else f"{self.path.name}, sheet '{self.sheet}'"


class SheetMissing(Exception):
    """The workbook has no sheet of the name the mapping gives."""

    def __init__(self, sheets: list[str]):
        super().__init__(", ".join(sheets))
        self.sheets = sheets


def _cell(raw: Any) -> Any:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, str):
        text = raw.strip()
        return text or None
    return raw


def read_table(path: Path, sheet: str | None = None) -> Table:
    """Read a CSV (UTF-8, comma-separated) or .xlsx table; the first row is the header.

    Raises ImportProblems with one clear line when the file cannot be read as a table,
    and SheetMissing when ``sheet`` names no sheet of the workbook."""
    path = _display(Path(path))
    suffix = path.suffix.lower()

    def refuse(message: str) -> ImportProblems:
        return ImportProblems([Problem(str(path), 1, 1, "table", message)])

    if suffix not in TABLE_SUFFIXES:
        raise refuse(f'unsupported table type "{path.suffix}" (expected {" or ".join(TABLE_SUFFIXES)})')
    if not path.is_file():
        raise refuse("no such file" if not path.exists() else "not a file")
    # pandas loads here only, so that every other command starts without it.
    import pandas as pd

    sheet_name: str | None = None
    try:
        if suffix == ".csv":
            # Every cell as the text typed: pandas' own conversion would turn "na" and an
            # empty cell alike into NaN. Blank lines are kept so that row numbers match
            # what a spreadsheet shows.
            frame = pd.read_csv(
                path,
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                encoding="utf-8-sig",
            )
        else:
            with pd.ExcelFile(path, engine="openpyxl") as book:
                names = [str(name) for name in book.sheet_names]
                if sheet is not None and sheet not in names:
                    raise SheetMissing(names)
                sheet_name = sheet if sheet is not None else names[0]
                # As for CSV: "na", "n/a" and "NULL" reach the checks as typed, not as NaN.
                frame = pd.read_excel(
                    book, sheet_name=sheet_name, header=None, dtype=object, keep_default_na=False, na_filter=False
                )
    except SheetMissing:
        raise
    except UnicodeDecodeError as exc:
        raise refuse(f"cannot read as CSV: not UTF-8 text ({exc.reason})") from None
    except pd.errors.EmptyDataError:
        raise refuse("the table is empty: expected a header row and at least one data row") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "malformed"
        raise refuse(f"cannot read as CSV: {detail}") from None
    except OSError as exc:
        raise refuse(f"cannot read: {exc.strerror or exc}") from None
    except Exception as exc:
        # openpyxl, zipfile and pandas raise many unrelated types for a file that is no workbook.
        what = "an Excel .xlsx workbook" if suffix == ".xlsx" else "CSV"
        raise refuse(f"cannot read as {what}: {type(exc).__name__}: {exc}".rstrip(": ")) from None

    records = [[_cell(value) for value in row] for row in frame.itertuples(index=False, name=None)]
    if not records or all(cell is None for cell in records[0]):
        raise refuse("the first row must be the header (column names), but it is empty")
    header = ["" if cell is None else _text(cell) for cell in records[0]]
    rows = [(index + 2, cells) for index, cells in enumerate(records[1:]) if any(c is not None for c in cells)]
    if not rows:
        raise refuse("the table has no data rows below the header")
    return Table(path, sheet_name, header, rows)


def _text(value: Any) -> str:
    """A cell as text (an id or a name typed as a number in a workbook: 2030, not 2030.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _column_problems(mapping: LoadedMapping, table: Table) -> list[Problem]:
    problems = []
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(table.header, start=1):
        positions.setdefault(name, []).append(position)
    hint = ""
    if len(table.header) == 1 and any(sep in table.header[0] for sep in ";\t"):
        hint = "; the header holds no comma: the table must be comma-separated"
    for loc, column in mapping.referenced_columns():
        field_name = ".".join(str(part) for part in loc)
        found = positions.get(column, [])
        if not found:
            columns = ", ".join(f'"{name}"' for name in table.header if name)
            message = f'column "{column}" is not in the table {table.path} (its columns: {columns}){hint}'
            problems.append(mapping.document.problem(loc, field_name, message, prefer_key=loc[0] == "columns"))
        elif len(found) > 1:
            where = ", ".join(str(p) for p in found)
            message = f'column "{column}" appears {len(found)} times in the header of {table.path} (columns {where})'
            problems.append(mapping.document.problem(loc, field_name, message, prefer_key=loc[0] == "columns"))
    return problems


# --- rows to profiles ----------------------------------------------------------------------


def slugify(text: str) -> str:
    """A lowercase slug: accents dropped, every run of other characters turned into one '-'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


@dataclass
class ImportedProfile:
    """One good row, ready to be written as ``<id>.yaml``."""

    row: int
    id: str
    data: dict[str, Any]
    text: str


@dataclass
class ImportPlan:
    """What an import would write, and the problems of the rows it would skip."""

    table: Table
    mapping: LoadedMapping
    profiles: list[ImportedProfile]
    problems: list[Problem] = field(default_factory=list)
    bad_rows: list[int] = field(default_factory=list)


def _number(raw: Any) -> float | None:
    """The finite number a cell holds, or None when it holds none."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
        return value if math.isfinite(value) else None
    if isinstance(raw, str) and _NUMBER.fullmatch(raw):
        value = float(raw)
        return value if math.isfinite(value) else None
    return None


def _shown(raw: Any) -> str:
    text = _text(raw)
    return f'"{text[:40]}{"..." if len(text) > 40 else ""}"'


def _plain(value: float) -> int | float:
    """4.0 is written 4: a table cell typed as 4 should read as 4 in the profile."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


class _Quoted(str):
    """A string written in double quotes: symbols like "+" and every source text."""


class _Dumper(yaml.SafeDumper):
    # The project's loader refuses anchors and aliases, so never emit them.
    def ignore_aliases(self, data: Any) -> bool:
        return True


_Dumper.add_representer(_Quoted, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, '"'))


class _RowReader:
    """Turns table rows into profile data, collecting each bad cell as a located problem."""

    def __init__(self, table: Table, mapping: LoadedMapping, rulebook: Rulebook):
        self.table = table
        self.mapping = mapping
        self.rulebook = rulebook
        self.position = {name: index for index, name in enumerate(table.header)}
        scale = rulebook.scale
        self.scale = (scale.min, scale.max)
        self.symbols = rulebook.symbols
        self.symbol_list = ", ".join(f'"{s}"' for s in self.symbols)
        self.indicators = rulebook.indicators.indicators
        self.model = profile_models(rulebook)[0]
        self.table_name = str(table.path)

    def problem(self, row: int, column: str, message: str) -> Problem:
        return Problem(self.table_name, row, self.position[column] + 1, column, message)

    def cell(self, cells: list[Any], column: str) -> Any:
        index = self.position[column]
        return cells[index] if index < len(cells) else None

    def source(self, row: int, column: str, target: ColumnTarget) -> _Quoted:
        where = f"{self.table.label()}, row {row}, column '{column}'"
        prefix = target.source if target.source is not None else self.mapping.model.source
        return _Quoted(f"{prefix}; {where}" if prefix else where)

    def score_value(self, raw: Any, row: int, column: str) -> tuple[Any, Problem | None]:
        low, high = self.scale
        number = _number(raw)
        if number is not None:
            if not low <= number <= high:
                return None, self.problem(row, column, f"score {number:g} is outside the scale {low:g}-{high:g}")
            return _plain(number), None
        if isinstance(raw, str) and raw in self.symbols:
            return _Quoted(raw), None
        return None, self.problem(
            row, column, f"{_shown(raw)} is not a number {low:g}-{high:g} or a symbol ({self.symbol_list}){_hint(raw)}"
        )

    def indicator_value(self, raw: Any, row: int, column: str, name: str) -> tuple[Any, Problem | None]:
        definition = self.indicators[name]
        if definition.kind == "symbol":
            if isinstance(raw, str) and raw in self.symbols:
                return _Quoted(raw), None
            return None, self.problem(
                row, column, f'{_shown(raw)} is not a symbol ({self.symbol_list}) for indicator "{name}"'
            )
        if raw == "na":
            # The profile format's way of saying "no figure available", kept with its source.
            return _Quoted(raw), None
        number = _number(raw)
        if number is None:
            return None, self.problem(row, column, f'{_shown(raw)} is not a number (indicator "{name}"){_hint(raw)}')
        if definition.min is not None and number < definition.min:
            return None, self.problem(
                row, column, f'{number:g} is below the minimum {definition.min:g} of indicator "{name}"'
            )
        if definition.max is not None and number > definition.max:
            return None, self.problem(
                row, column, f'{number:g} is above the maximum {definition.max:g} of indicator "{name}"'
            )
        return _plain(number), None

    def read(self, row: int, cells: list[Any]) -> tuple[str | None, dict[str, Any] | None, list[Problem]]:
        """The row's id (None when it has no usable one), its profile data (None when bad)
        and its problems."""
        model = self.mapping.model
        problems: list[Problem] = []
        domain_id: str | None = None
        if model.id_column is not None:
            raw = self.cell(cells, model.id_column)
            if raw is None:
                problems.append(self.problem(row, model.id_column, "empty id"))
            else:
                text = _text(raw)
                if _ID.fullmatch(text):
                    domain_id = text
                else:
                    problems.append(
                        self.problem(
                            row,
                            model.id_column,
                            f"{_shown(text)} is not an id: a lowercase slug of a-z, 0-9 and '-', "
                            "starting with a letter or digit",
                        )
                    )
        else:
            raw = self.cell(cells, model.id_from)
            slug = slugify(_text(raw)) if raw is not None else ""
            if slug:
                domain_id = slug
            else:
                what = "empty" if raw is None else f"{_shown(raw)} has no letter or digit"
                problems.append(self.problem(row, model.id_from, f"empty id: the cell the id is made from is {what}"))

        name = self.cell(cells, model.name_column)
        if name is None:
            problems.append(self.problem(row, model.name_column, "empty name"))
        kind = model.kind
        if model.kind_column is not None:
            raw = self.cell(cells, model.kind_column)
            if raw is not None and _text(raw) not in KINDS:
                known = ", ".join(KINDS)
                problems.append(self.problem(row, model.kind_column, f"unknown kind {_shown(raw)} (known: {known})"))
            elif raw is not None:
                kind = _text(raw)

        scores: dict[str, dict[str, Any]] = {}
        indicators: dict[str, dict[str, Any]] = {}
        for column, target in model.columns.items():
            raw = self.cell(cells, column)
            if raw is None:
                continue  # an empty cell is a missing figure: the key is left out
            if target.score is not None:
                value, problem = self.score_value(raw, row, column)
                into, key = scores, target.score
            else:
                value, problem = self.indicator_value(raw, row, column, target.indicator)
                into, key = indicators, target.indicator
            if problem is not None:
                problems.append(problem)
            else:
                into[key] = {"value": value, "source": self.source(row, column, target)}
        if problems or domain_id is None:
            return domain_id, None, problems

        data: dict[str, Any] = {"id": domain_id, "name": _text(name)}
        if kind is not None:
            data["kind"] = kind
        # Registry order, not column order: the same figures give the same file.
        if scores:
            data["scores"] = {n: scores[n] for n in self.rulebook.scores if n in scores}
        if indicators:
            data["indicators"] = {n: indicators[n] for n in self.indicators if n in indicators}
        try:
            # The profile format is the authority; a row it would refuse never gets written.
            self.model.model_validate(data)
        except ValidationError as exc:
            column = model.id_column or model.id_from
            for item in exc.errors():
                where = ".".join(str(part) for part in item["loc"]) or "profile"
                problems.append(self.problem(row, column, f"the profile would be invalid: {where}: {item['msg']}"))
            return domain_id, None, problems
        return domain_id, data, problems


def _hint(raw: Any) -> str:
    if isinstance(raw, str) and _DECIMAL_COMMA.fullmatch(raw):
        return " (write decimals with a point, not a comma)"
    return ""


def profile_text(data: dict[str, Any], table: Table, mapping: LoadedMapping, row: int) -> str:
    """The YAML of one imported profile, with a header comment naming where it came from."""

    def one_line(text: str) -> str:
        return " ".join(text.split())

    header = (
        f"# Imported by `decision import` from {one_line(table.label())}, row {row},\n"
        f"# with the mapping {one_line(mapping.path.name)}. Importing again with --force replaces this file.\n"
    )
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000)
    return header + body


def plan_import(table_path: Path, mapping_path: Path, rulebook: Rulebook) -> ImportPlan:
    """Read the mapping and the table and build every profile, without writing anything.

    Raises ImportProblems when the mapping or the table is unusable as a whole; the
    problems of single rows are returned in the plan."""
    mapping, problems = _read_mapping(mapping_path, rulebook)
    try:
        table = read_table(table_path, mapping.model.sheet)
    except SheetMissing as exc:
        listed = ", ".join(f'"{s}"' for s in exc.sheets)
        message = f'no sheet "{mapping.model.sheet}" in {table_path} (sheets: {listed})'
        raise ImportProblems([*problems, mapping.problem(("sheet",), "sheet", message)]) from None
    except ImportProblems as exc:
        raise ImportProblems([*problems, *exc.problems]) from None
    if mapping.model.sheet is not None and table.sheet is None:
        problems.append(mapping.problem(("sheet",), "sheet", f"{table.path} is CSV: a sheet applies to .xlsx only"))
    problems += _column_problems(mapping, table)
    if problems:
        raise ImportProblems(problems)

    reader = _RowReader(table, mapping, rulebook)
    row_problems: list[Problem] = []
    bad: set[int] = set()
    good: list[ImportedProfile] = []
    first_row: dict[str, int] = {}
    id_column = mapping.model.id_column or mapping.model.id_from
    for row, cells in table.rows:
        domain_id, data, problems = reader.read(row, cells)
        row_problems += problems
        if problems:
            bad.add(row)
        if domain_id is not None and domain_id in first_row:
            first = first_row[domain_id]
            row_problems.append(reader.problem(row, id_column, f'duplicate id "{domain_id}" (rows {first} and {row})'))
            # Neither row can be trusted over the other, so both are bad.
            bad.update((first, row))
        elif domain_id is not None:
            first_row[domain_id] = row
        if data is not None:
            good.append(ImportedProfile(row, domain_id, data, profile_text(data, table, mapping, row)))
    profiles = [p for p in good if p.row not in bad]
    return ImportPlan(table, mapping, profiles, row_problems, sorted(bad))


def write_import(plan: ImportPlan, out_dir: Path, *, force: bool = False, skip_bad: bool = False) -> list[Path]:
    """Write the plan's profiles into ``out_dir`` (created if missing), one ``<id>.yaml`` each.

    Writes nothing and raises BadRowsError when a row is bad and ``skip_bad`` is false, or
    when no row is good; TargetsExistError when an output exists and ``force`` is false."""
    from decision.output_file import write_output

    if plan.problems and (not skip_bad or not plan.profiles):
        raise BadRowsError(plan.problems, plan.bad_rows)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder (--out names the folder for the profiles)")
    targets = [(out_dir / f"{profile.id}.yaml", profile) for profile in plan.profiles]
    inputs = {plan.table.path.resolve(), plan.mapping.path.resolve()}
    clashes = [path for path, _ in targets if path.resolve() in inputs]
    if clashes:
        # Inputs are never modified, --force or not.
        raise UsageError(f"{clashes[0]}: is an input of this import; write the profiles to another folder")
    folders = [path for path, _ in targets if path.is_dir()]
    if folders:
        raise UsageError(f"{folders[0]}: is a folder; cannot write a profile there")
    existing = [path for path, _ in targets if path.exists()]
    if existing and not force:
        raise TargetsExistError(existing)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path, profile in targets:
        write_output(path, profile.text, force=force)
        written.append(path)
    return written
