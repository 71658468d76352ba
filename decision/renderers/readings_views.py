"""The readings comparison (``decision readings``) as text, Markdown, CSV and JSON.

Takes a :class:`~decision.analyses.readings.ReadingsReport`; hands on text or a rich
renderable. Every format says which domains depend on an interpretation.
"""

from __future__ import annotations

import csv
import io
import json

from rich.console import Group
from rich.table import Table
from rich.text import Text

from decision.analyses.readings import ReadingsReport
from decision.renderers.machine import spreadsheet_safe
from decision.renderers.markdown import markdown_text


def _cell(report: ReadingsReport, domain, name: str) -> str:
    outcome = domain.readings[name]
    return outcome.label + (" *" if name in domain.moved_by else "")


def readings_view(report: ReadingsReport) -> Group:
    """A table of domains by reading (only changed outcomes written out) and the dependent list."""
    table = Table(title="Category under each reading of the source (= : as by default)")
    table.add_column("id", overflow="fold")
    table.add_column("default", overflow="fold")
    for reading in report.readings:
        # The code only: the legend below names each reading, so the table fits 80 columns.
        table.add_column(reading.code, overflow="fold")
    for domain in report.domains:
        cells = [domain.readings[r.name].label if r.name in domain.moved_by else "=" for r in report.readings]
        table.add_row(domain.id, domain.default.label, *cells)
    parts: list = [table]
    legend = Text()
    for reading in report.readings:
        legend.append(f"{reading.code} {reading.name}: ", style="bold")
        legend.append(f"{reading.label}. By default: {reading.instead_of}. [{reading.cite}]\n")
    parts.append(legend)
    dependent = report.dependent
    if dependent:
        lines = Text("Depends on an interpretation, not on the source:\n", style="bold")
        for domain in dependent:
            moves = ", ".join(f"{name} -> {domain.readings[name].label}" for name in domain.moved_by)
            lines.append(f"  {domain.id}: {domain.default.label} by default; {moves}\n")
        parts.append(lines)
    else:
        parts.append(Text("No domain's category depends on a reading: each lands where the source puts it."))
    return Group(*parts)


def readings_json(report: ReadingsReport) -> str:
    """The report with the dependent ids spelled out."""
    data = report.model_dump(mode="json")
    data["dependent"] = [d.id for d in report.dependent]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def readings_csv(report: ReadingsReport) -> str:
    """One row per domain: default outcome, one column per reading, and the readings that move it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "name", "default", *(r.name for r in report.readings), "moved_by"])
    for domain in report.domains:
        writer.writerow(
            [
                spreadsheet_safe(domain.id),
                spreadsheet_safe(domain.name),
                domain.default.label,
                *(domain.readings[r.name].label for r in report.readings),
                " ".join(domain.moved_by),
            ]
        )
    return buffer.getvalue()


def readings_markdown(report: ReadingsReport) -> str:
    """A Markdown table and the list of domains that depend on an interpretation."""
    head = ["id", "default", *(f"{r.code} {r.name}" for r in report.readings)]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for domain in report.domains:
        cells = [
            markdown_text(domain.id),
            domain.default.label,
            *(_cell(report, domain, r.name) for r in report.readings),
        ]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out += ["", "(* = differs from the default reading)", ""]
    for reading in report.readings:
        out.append(
            f"- **{reading.code} {reading.name}**: {markdown_text(reading.label)}. By default: "
            f"{markdown_text(reading.instead_of)} ({markdown_text(reading.cite)})"
        )
    out += ["", "Depends on an interpretation, not on the source:", ""]
    dependent = report.dependent
    for domain in dependent:
        moves = ", ".join(f"{name} -> {domain.readings[name].label}" for name in domain.moved_by)
        out.append(f"- `{markdown_text(domain.id)}`: {domain.default.label} by default; {moves}")
    if not dependent:
        out.append("- none")
    return "\n".join(out) + "\n"
