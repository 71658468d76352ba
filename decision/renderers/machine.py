"""Machine-readable forms of a portfolio: JSON (the spec's contract) and CSV."""

from __future__ import annotations

import csv
import io
import json

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


def to_json(results: list[DomainResult]) -> str:
    """The JSON array of the machine contract (spec section 6), one object per domain."""
    return json.dumps([r.model_dump(mode="json") for r in results], indent=2, ensure_ascii=False) + "\n"


def to_csv(results: list[DomainResult], score_names: list[str]) -> str:
    """One row per domain: outcome, codes, and every score value (empty = missing)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_FIXED_COLUMNS, *score_names])
    for r in results:
        writer.writerow(
            [
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
                *[
                    "" if r.scores.get(n) is None or r.scores[n].value is None else f"{r.scores[n].value:g}"
                    for n in score_names
                ],
            ]
        )
    return buffer.getvalue()
