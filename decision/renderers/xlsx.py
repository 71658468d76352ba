"""The Excel workbook of a portfolio, for analysts (``decision classify -f xlsx --out FILE``).

Three sheets: ``portfolio`` (exactly the CSV columns, scores as numbers), ``scores`` (one
row per domain and score or feasibility factor, with its provenance and the threshold in
force) and ``actions`` (one row per domain and policy action, with why it is there).

pandas and openpyxl are imported here, and this module only from the xlsx branch of
``classify``, so the ordinary classify path never loads them.
"""

from __future__ import annotations

import io

import pandas as pd

from decision.model.result import DomainResult, ScoreValue
from decision.renderers.machine import to_csv

SCORE_COLUMNS = [
    "id",
    "name",
    "kind",
    "score",
    "value",
    "symbol",
    "low",
    "high",
    "distribution",
    "origin",
    "assumption",
    "source",
    "note",
    "location",
    "threshold_op",
    "threshold",
    "threshold_origin",
]
ACTION_COLUMNS = [
    "id",
    "name",
    "category",
    "variant",
    "leaf",
    "action",
    "action_name",
    "text",
    "cite",
    "interpretation",
    "because",
]
MAX_COLUMN_WIDTH = 60


def portfolio_frame(results: list[DomainResult], score_names: list[str]) -> pd.DataFrame:
    """The CSV of ``classify -f csv``, column for column; scores as numbers, empty = missing."""
    frame = pd.read_csv(io.StringIO(to_csv(results, score_names, neutralise=False)), dtype=str, keep_default_na=False)
    frame = frame.replace("", None)
    for name in score_names:
        frame[name] = pd.array([_value(r.scores.get(name)) for r in results], dtype="Float64")
    return frame


def _value(score: ScoreValue | None) -> float | None:
    return None if score is None else score.value


def scores_frame(results: list[DomainResult], score_names: list[str]) -> pd.DataFrame:
    """One row per domain and score (every score of the rules) and per feasibility factor."""
    rows = []
    for r in results:
        entries = [("score", name, r.scores.get(name)) for name in score_names]
        entries += [("factor", name, factor) for name, factor in r.factors.items()]
        for kind, name, score in entries:
            threshold = r.thresholds.get(name) if kind == "score" else None
            row = {"id": r.id, "name": r.name, "kind": kind, "score": name}
            if score is None:
                row["origin"] = "absent"  # not in the profile: the score is missing
            else:
                row.update(
                    value=score.value,
                    symbol=score.symbol,
                    low=score.low,
                    high=score.high,
                    distribution=score.distribution,
                    origin=score.origin,
                    assumption=score.assumption,
                    source=score.source,
                    note=score.note,
                    location=score.location,
                )
            if threshold is not None:
                row.update(threshold_op=threshold.op, threshold=threshold.value, threshold_origin=threshold.origin)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    for column in ("value", "low", "high", "threshold"):
        frame[column] = frame[column].astype("Float64")
    return frame


def actions_frame(results: list[DomainResult]) -> pd.DataFrame:
    """One row per domain and policy action attached to it."""
    rows = [
        {
            "id": r.id,
            "name": r.name,
            "category": r.category,
            "variant": r.variant,
            "leaf": r.leaf.code if r.leaf else None,
            "action": a.code,
            "action_name": a.name,
            "text": a.text,
            "cite": a.cite,
            "interpretation": a.interpretation,
            "because": a.because,
        }
        for r in results
        for a in r.actions
    ]
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)


def to_xlsx(results: list[DomainResult], score_names: list[str]) -> bytes:
    """The workbook as bytes (sheets portfolio, scores, actions)."""
    sheets = {
        "portfolio": portfolio_frame(results, score_names),
        "scores": scores_frame(results, score_names),
        "actions": actions_frame(results),
    }
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            _finish_sheet(writer.sheets[name], frame)
    return buffer.getvalue()


def _finish_sheet(sheet, frame: pd.DataFrame) -> None:
    """Text stays text, the header stays in view, and columns are wide enough to read."""
    for row in sheet.iter_rows():
        for cell in row:
            # openpyxl stores a string starting with "=" as a formula: a profile's note
            # must never become one (formula injection), so force the string type.
            if cell.data_type == "f":
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, column in enumerate(frame.columns):
        lengths = [len(str(column)), *(len(str(v)) for v in frame[column] if v is not None and not pd.isna(v))]
        letter = sheet.cell(row=1, column=index + 1).column_letter
        sheet.column_dimensions[letter].width = min(max(lengths) + 2, MAX_COLUMN_WIDTH)
