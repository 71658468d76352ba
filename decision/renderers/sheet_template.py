"""A blank participant's sheet to hand out before a workshop (``decision workshop template``).

Takes the rules and the profiles; hands on a CSV text or an ``.xlsx`` workbook that
``decision workshop --sheets`` reads back once filled in: the header ``id,name,<score>...,
comment``, one row per domain with its id and name, the score cells empty. ``name`` and
``comment`` are descriptive columns the sheet reader reads past. Text cells are
neutralised as in every CSV the tool writes (no formula runs when the sheet is opened).
"""

from __future__ import annotations

import csv
import io

from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import Rulebook
from decision.renderers.machine import spreadsheet_safe


def _header(rulebook: Rulebook) -> list[str]:
    return ["id", "name", *rulebook.scores, "comment"]


def _scale_note(rulebook: Rulebook) -> str:
    symbols = ", ".join(f"{s} = {'missing' if v is None else f'{v:g}'}" for s, v in rulebook.symbols.items())
    return (
        f"Score each cell {rulebook.scale.min:g}-{rulebook.scale.max:g} or with a symbol ({symbols}); "
        "leave a cell empty when you cannot score it. Save under your own name (an.csv or an.xlsx)."
    )


def template_csv(rulebook: Rulebook, profiles: list[DomainProfile]) -> str:
    """The blank sheet as comma-separated CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_header(rulebook))
    for profile in profiles:
        writer.writerow([profile.id, spreadsheet_safe(profile.name), *([""] * len(rulebook.scores)), ""])
    return buffer.getvalue()


def template_xlsx(rulebook: Rulebook, profiles: list[DomainProfile]) -> bytes:
    """The blank sheet as a workbook: the table on the first worksheet, how to score on the second."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "scores"
    sheet.append(_header(rulebook))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for profile in profiles:
        sheet.append([profile.id, profile.name])
        for cell in sheet[sheet.max_row][:2]:
            cell.data_type = "s"  # text, never a formula, whatever the name starts with
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = max([12, *(len(p.id) + 2 for p in profiles)])
    sheet.column_dimensions["B"].width = min(60, max([12, *(len(p.name) + 2 for p in profiles)]))
    help_sheet = workbook.create_sheet("how to score")
    help_sheet.append([_scale_note(rulebook)])
    for name, score in rulebook.scores.items():
        help_sheet.append([f"{name}: {score.label} ({score.measured_by})"])
    help_sheet.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
