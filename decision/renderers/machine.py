"""Machine-readable forms of a portfolio: JSON (the spec's contract) and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from decision.model.result import DomainResult
from decision.model.wording import path_summary

CSV_FIXED_COLUMNS = [
    "id",
    "name",
    "category",
    "variant",
    "leaf",
    "missing_links",
    "reason",
    "path",
    "actions",
    "warnings",
    "blocking",
    "reachable",
    "file",
    "fragile",
]


def iter_json(results: Iterable[DomainResult]) -> Iterator[str]:
    """The JSON array of the machine contract (spec section 6), one object per domain, in pieces.

    Each object is written by pydantic's own serializer, one at a time, and indented into
    the array: the same text as ``json.dumps`` of the dumped dicts (a test checks), without
    building every domain's dict, or the whole text, first: those were most of the memory
    of a large run.
    """
    first = True
    for result in results:
        # JSON strings escape their newlines, so every raw newline is the serializer's layout.
        yield ("[\n  " if first else ",\n  ") + result.model_dump_json(indent=2).replace("\n", "\n  ")
        first = False
    yield "[]\n" if first else "\n]\n"


def to_json(results: Iterable[DomainResult]) -> str:
    """The JSON array of :func:`iter_json` as one string."""
    return "".join(iter_json(results))


# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google
# Sheets (OWASP, "CSV Injection"): such cells get a leading apostrophe, which the
# spreadsheets show as text and do not display.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str, *, neutralise: bool = True) -> str:
    """A text cell that stays on its row and that no spreadsheet would run."""
    text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    if neutralise and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(results: list[DomainResult], score_names: list[str], *, neutralise: bool = True) -> str:
    """One row per domain: outcome, codes, and every score value (empty = missing).

    Text cells never split a row and never start a formula (``neutralise=False`` keeps
    them as they are, for the workbook, whose cells are typed as text instead).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_FIXED_COLUMNS, *score_names])
    for r in results:
        text = [
            r.id,
            r.name,
            r.category,
            r.variant or "",
            r.leaf.code if r.leaf else "",
            " ".join(r.missing_links),
            r.reason,
            path_summary(r),
            " ".join(a.code for a in r.actions),
            " ".join(w.code for w in r.warnings),
            " ".join(r.blocking),
            " ".join(r.reachable),
            r.file,
            "; ".join(r.fragile),
        ]
        values = [
            "" if r.scores.get(n) is None or r.scores[n].value is None else f"{r.scores[n].value:g}"
            for n in score_names
        ]
        writer.writerow([*(spreadsheet_safe(cell, neutralise=neutralise) for cell in text), *values])
    return buffer.getvalue()
