"""Tables of counts for ``decision indicators``: regions x technologies, from CSV or Excel.

Two layouts are read, told apart by the header:

- **long**: the header has columns named ``region``, ``technology`` and ``count`` (any
  case, any order, other columns ignored); one row per region and technology. A pair
  given twice is refused (summing would hide a copied row). A pair not given counts 0.
- **wide**: any other header. The first column holds the regions, every other header
  cell names a technology, and each cell below is that region's count.

A count is a finite number at or above zero; an empty cell counts 0 in the wide layout
(in the long layout the row is refused: a row with no count is a mistake). Every bad
cell is reported, named by its spreadsheet row (the header is row 1) and column
(1 = column A), and nothing is returned until the table is clean. Regions or
technologies whose counts are all zero are kept here; the maths reports them.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from decision.errors import Problem, ProblemsError
from decision.inputs.table_import import ImportProblems, SheetMissing, Table, read_table

LONG_COLUMNS = ("region", "technology", "count")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class CountTableError(ProblemsError):
    """The table cannot be read as counts; every problem is listed, nothing is computed."""


@dataclass(frozen=True)
class CountMatrix:
    """Counts of one table as a regions x technologies matrix, with where each came from."""

    path: Path
    label: str  # the file name, and the sheet for a workbook
    sha256: str
    layout: str  # "long" or "wide"
    regions: tuple[str, ...]
    technologies: tuple[str, ...]
    counts: np.ndarray  # float, shape (regions, technologies)
    # Spreadsheet row and column of each count (0 where the long layout gave no row).
    rows: np.ndarray
    columns: np.ndarray

    def cell(self, region: int, technology: int) -> str:
        """Where one count stands, as a person finds it in the table."""
        row, column = int(self.rows[region, technology]), int(self.columns[region, technology])
        if row == 0:
            return "no row (counted 0)"
        return f"row {row}, column {column}"


def _count(raw: Any) -> float | None:
    """The count in a cell, or None when it is not a finite number at or above zero."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and _NUMBER.fullmatch(raw.strip()):
        value = float(raw.strip())
    else:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _label(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    text = " ".join(str(raw).split())
    return text or None


def _shown(raw: Any) -> str:
    text = str(raw)
    return f'"{text[:30]}"' if isinstance(raw, str) else text[:30]


def read_counts(path: Path, sheet: str | None = None) -> CountMatrix:
    """Read a count table; raise CountTableError listing every bad cell by row and column."""
    try:
        table = read_table(Path(path), sheet)
    except ImportProblems as exc:
        raise CountTableError(exc.problems) from None
    except SheetMissing as exc:
        raise CountTableError(
            [Problem(str(path), 1, 1, "sheet", f'no sheet "{sheet}" (sheets: {", ".join(exc.sheets)})')]
        ) from None
    digest = hashlib.sha256(Path(table.path).read_bytes()).hexdigest()
    names = [name.strip().lower() for name in table.header]
    if all(names.count(column) == 1 for column in LONG_COLUMNS):
        return _long(table, digest, [names.index(column) for column in LONG_COLUMNS])
    return _wide(table, digest)


def _problem(table: Table, row: int, column: int, field: str, message: str) -> Problem:
    return Problem(str(table.path), row, column, field, message)


def _at(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _long(table: Table, digest: str, positions: list[int]) -> CountMatrix:
    region_at, technology_at, count_at = positions
    problems: list[Problem] = []
    regions: dict[str, int] = {}
    technologies: dict[str, int] = {}
    entries: dict[tuple[int, int], tuple[float, int]] = {}
    for row, cells in table.rows:
        region = _label(_at(cells, region_at))
        technology = _label(_at(cells, technology_at))
        raw = _at(cells, count_at)
        count = _count(raw)
        bad = False
        for label, index, what in ((region, region_at, "region"), (technology, technology_at, "technology")):
            if label is None:
                problems.append(_problem(table, row, index + 1, what, f"the {what} is empty"))
                bad = True
        if count is None:
            got = "an empty cell" if raw is None else _shown(raw)
            message = f"a count must be a number at or above 0, got {got}"
            problems.append(_problem(table, row, count_at + 1, "count", message))
            bad = True
        if bad:
            continue
        key = (regions.setdefault(region, len(regions)), technologies.setdefault(technology, len(technologies)))
        if key in entries:
            message = f'"{region}" and "{technology}" already have a count on row {entries[key][1]}'
            problems.append(_problem(table, row, count_at + 1, "count", message))
            continue
        entries[key] = (count, row)
    if problems:
        raise CountTableError(problems)
    shape = (len(regions), len(technologies))
    counts, rows, columns = np.zeros(shape), np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    for (r, t), (count, row) in entries.items():
        counts[r, t], rows[r, t], columns[r, t] = count, row, count_at + 1
    return CountMatrix(
        table.path, table.label(), digest, "long", tuple(regions), tuple(technologies), counts, rows, columns
    )


def _wide(table: Table, digest: str) -> CountMatrix:
    problems: list[Problem] = []
    header = table.header
    technologies: list[str] = []
    first: dict[str, int] = {}
    for position, name in enumerate(header[1:], start=2):
        label = _label(name)
        if label is None:
            problems.append(_problem(table, 1, position, "technology", "the header cell naming a technology is empty"))
        elif label in first:
            message = f'technology "{label}" is also column {first[label]}'
            problems.append(_problem(table, 1, position, "technology", message))
        else:
            first[label] = position
        technologies.append(label or "")
    if not technologies:
        hint = (
            "; the header holds no comma: the table must be comma-separated"
            if any(separator in header[0] for separator in ";\t")
            else ""
        )
        message = (
            "expected a wide table (regions down the first column, one column per technology) or a long one "
            f"(columns {', '.join(LONG_COLUMNS)}){hint}"
        )
        raise CountTableError([_problem(table, 1, 1, "table", message)])
    regions: dict[str, int] = {}
    data_rows: list[tuple[int, list[float]]] = []
    for row, cells in table.rows:
        region = _label(_at(cells, 0))
        if region is None:
            problems.append(_problem(table, row, 1, "region", "the region is empty"))
        elif region in regions:
            message = f'region "{region}" is also on row {data_rows[regions[region]][0]}'
            problems.append(_problem(table, row, 1, "region", message))
            region = None
        values = []
        for position in range(2, len(header) + 1):
            raw = _at(cells, position - 1)
            count = 0.0 if raw is None else _count(raw)
            if count is None:
                field = f"count of {technologies[position - 2]}" if technologies[position - 2] else "count"
                message = f"a count must be a number at or above 0, got {_shown(raw)}"
                problems.append(_problem(table, row, position, field, message))
                count = 0.0
            values.append(count)
        extra = [index + 1 for index in range(len(header), len(cells)) if cells[index] is not None]
        if extra:
            message = f"a value in column {extra[0]}, right of the last named technology"
            problems.append(_problem(table, row, extra[0], "count", message))
        if region is not None:
            regions[region] = len(data_rows)
            data_rows.append((row, values))
    if problems:
        raise CountTableError(problems)
    counts = np.array([values for _, values in data_rows], dtype=float)
    rows = np.repeat(np.array([row for row, _ in data_rows], dtype=np.int64)[:, None], len(technologies), axis=1)
    columns = np.repeat(np.arange(2, len(technologies) + 2, dtype=np.int64)[None, :], len(data_rows), axis=0)
    return CountMatrix(
        table.path, table.label(), digest, "wide", tuple(regions), tuple(technologies), counts, rows, columns
    )
