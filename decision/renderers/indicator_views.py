"""Outputs of ``decision indicators``: the profile YAML, the CSV and JSON tables, and the comparison.

CSV text cells go through :func:`decision.renderers.machine.spreadsheet_safe`, so a
technology named ``=HYPERLINK(...)`` in a count table never becomes a formula; the YAML
is written with quoting by PyYAML and without anchors (the profile loader refuses them).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import yaml

from decision.analyses.count_indicators import RegionFigures
from decision.ceps.method_sensitivity import SensitivityReport
from decision.renderers.machine import spreadsheet_safe

TABLE_COLUMNS = ("technology", "rca", "presence", "relatedness_density", "complexity")


class _Dumper(yaml.SafeDumper):
    # The profile loader refuses anchors and aliases, so never emit them.
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _one_line(text: str) -> str:
    return " ".join(text.split())


def profiles_yaml(figures: RegionFigures, document: dict[str, Any]) -> str:
    """The profile file, behind a comment naming the table, its digest, the region and the method."""
    matrix = figures.matrix
    header = [
        "# Computed by `decision indicators compute` from the count table",
        f"#   {_one_line(matrix.label)} ({matrix.layout} layout, {len(matrix.regions)} regions x "
        f"{len(matrix.technologies)} technologies), sha256 {matrix.sha256},",
        f"# for the region {_one_line(figures.region)}, with the method of rules/indicator_methods.yaml:",
        f"#   {figures.method.describe()}.",
    ]
    header += [f"# note: {_one_line(notice)}" for notice in figures.notices]
    body = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000
    )
    return "\n".join(header) + "\n" + body


def _rows(figures: RegionFigures) -> list[dict[str, Any]]:
    return [
        {
            "technology": row.technology,
            "rca": row.rca,
            "presence": int(row.presence),
            "relatedness_density": row.relatedness_density,
            "complexity": row.complexity,
        }
        for row in figures.technologies
    ]


def figures_json(figures: RegionFigures) -> str:
    """One object per technology (the columns of TABLE_COLUMNS; null where a figure is undefined)."""
    return json.dumps(_rows(figures), indent=2, ensure_ascii=False) + "\n"


def figures_csv(figures: RegionFigures) -> str:
    """One row per technology; an undefined figure is an empty cell; full float precision."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TABLE_COLUMNS)
    for row in _rows(figures):
        writer.writerow(
            [
                spreadsheet_safe(row["technology"]),
                repr(row["rca"]),
                row["presence"],
                *("" if row[name] is None else repr(row[name]) for name in ("relatedness_density", "complexity")),
            ]
        )
    return buffer.getvalue()


def sensitivity_json(report: SensitivityReport) -> str:
    """The whole comparison as JSON."""
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def sensitivity_csv(report: SensitivityReport) -> str:
    """One row per technology and method: its figures, quadrant and category."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "technology",
            "profile",
            "method",
            "rca",
            "relatedness_density",
            "complexity",
            "quadrant",
            "category",
            "quadrant_survives",
            "category_survives",
        ]
    )
    for row in report.technologies:
        for placement in row.placements:
            writer.writerow(
                [
                    spreadsheet_safe(row.technology),
                    row.profile or "",
                    placement.method,
                    f"{placement.rca:.6g}",
                    "" if placement.relatedness_density is None else f"{placement.relatedness_density:.6g}",
                    "" if placement.complexity is None else f"{placement.complexity:.6g}",
                    placement.quadrant or "",
                    placement.category or "",
                    "yes" if row.quadrant_survives else "no",
                    "" if row.category_survives is None else "yes" if row.category_survives else "no",
                ]
            )
    return buffer.getvalue()


def _cell(placement) -> str:
    quadrant = "-" if placement.quadrant is None else f"{placement.quadrant} {placement.quadrant_name}"
    return quadrant if placement.category is None else f"{quadrant}\n{placement.category}"


def sensitivity_view(report: SensitivityReport):
    """A rich table: one row per technology, one column per method, quadrant and category in each cell."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"method sensitivity: {report.region}, {report.table}")
    table.add_column("technology")
    for method in report.methods:
        table.add_column(method.name, overflow="fold")
    table.add_column("survives")
    for row in report.technologies:
        quadrant = "quadrant yes" if row.quadrant_survives else "quadrant NO"
        category = (
            "" if row.category_survives is None else "\ncategory yes" if row.category_survives else "\ncategory NO"
        )
        name = row.technology + (f"\n({row.profile})" if row.profile else "")
        table.add_row(name, *(_cell(p) for p in row.placements), quadrant + category)
    lines = [Text(f"{method.name}: {method.description}") for method in report.methods]
    total = len(report.technologies)
    lines.append(
        Text(
            f"quadrant unchanged under every method: {report.quadrant_survivors} of {total}; category unchanged: "
            f"{report.category_survivors} of the {report.with_profile} with a profile (others: quadrant only)"
        )
    )
    lines += [Text(f"note: {notice}") for notice in report.notices]
    return Group(table, *lines)
