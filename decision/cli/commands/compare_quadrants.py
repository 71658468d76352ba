"""``decision compare-quadrants [PATH...]``: each technology's CEPS quadrant beside VARIO's
category, whether they agree, and why not (see decision/ceps/comparison.py)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from decision.cli.commands.plot import TechnologyPaths, technologies_dir
from decision.cli.options import (
    EngineOption,
    ReadingOption,
    RulesOption,
    ThresholdOption,
    handles_errors,
    load_rules,
    new_console,
)

if TYPE_CHECKING:
    from rich.console import Group

    from decision.ceps.comparison import QuadrantComparison, TechnologyComparison


class CompareFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


AGREEMENT_STYLES = {"agree": "bold green", "disagree": "bold red", "open": "bold yellow", "not-placed": "dim"}


def _short(indicator: str) -> str:
    """A narrow column title: 'relatedness_density' -> 'relat.'."""
    return indicator.split("_")[0][:5] + "."


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _quadrant_cell(row: TechnologyComparison) -> str:
    if row.quadrant is None:
        return "-"
    return f"{row.quadrant} {row.quadrant_name}\n~ {' or '.join(row.corresponds_to)}"


def _vario_cell(row: TechnologyComparison) -> str:
    if row.vario == "undetermined":
        # Variants would double the cell; the JSON and the reasons below keep them.
        categories = dict.fromkeys(label.partition("/")[0] for label in row.reachable)
        return f"undetermined:\n{', '.join(categories)}"
    return row.vario + (f" ({row.leaf})" if row.leaf else "")


def _heading(row: TechnologyComparison) -> str:
    return (
        f"{row.name} ({row.id}): CEPS {row.quadrant_label} ({row.quadrant}; {_number(row.x)}, {_number(row.y)}) "
        f"~ {' or '.join(row.corresponds_to)}; VARIO {row.vario}"
    )


def _total(total: float) -> str:
    # Crossing a ">=" threshold from above moves a score by the smallest float step.
    return "an infinitesimal step" if 0 < total < 1e-9 else f"{total:g}"


def _change_lines(row: TechnologyComparison) -> tuple[str, list[str]]:
    """The smallest change as a heading and one line per changed score, then the result."""
    change = row.smallest_change
    if change is None:
        return "no change of the scores within the scale makes VARIO agree", []
    count = "1 score" if change.changed == 1 else f"{change.changed} scores"
    heading = (
        f"smallest change to agree ({count}, total {_total(change.total_change)}; exact, as decision counterfactual):"
    )
    return heading, [*change.changes, f"-> {change.result}"]


def _placed(report: QuadrantComparison) -> list[TechnologyComparison]:
    return [row for row in report.technologies if row.agreement != "not-placed"]


def _differing(report: QuadrantComparison) -> list[TechnologyComparison]:
    return [row for row in report.technologies if row.agreement in ("disagree", "open")]


def _counts_text(report: QuadrantComparison) -> str:
    counts = report.summary.counts
    return ", ".join(f"{name} {counts[name]}" for name in ("agree", "disagree", "open", "not-placed"))


def _splits_text(report: QuadrantComparison) -> str:
    x, y = report.x, report.y
    return f"{x.indicator} {x.op} {x.split:g}, {y.indicator} {y.op} {y.split:g} (rules/quadrants.yaml)"


def _not_placed_text(report: QuadrantComparison) -> str:
    ids = report.summary.not_placed
    return f"No quadrant, a coordinate is missing ({len(ids)}): {', '.join(ids)}"


def comparison_view(report: QuadrantComparison) -> Group:
    """The table of placed domains, where and why they differ, the rest, and what VARIO would need."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    def bullets(lines: list[str], mark: str = "-", indent: int = 2, style: str = "") -> Table:
        # A grid gives wrapped bullet text a hanging indent.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=indent + len(mark), justify="right", no_wrap=True)
        grid.add_column()
        for line in lines:
            grid.add_row(mark, Text(line, style=style))
        return grid

    placed = _placed(report)
    table = Table(
        title=f"CEPS quadrant vs VARIO category ({len(placed)} of {len(report.technologies)} domains placed)",
        caption=f"splits: {_splits_text(report)}; {_counts_text(report)}",
        expand=False,
    )
    table.add_column("technology", min_width=14, overflow="fold")
    table.add_column(_short(report.x.indicator), justify="right", no_wrap=True)
    table.add_column(_short(report.y.indicator), justify="right", no_wrap=True)
    table.add_column("CEPS quadrant", no_wrap=True)
    table.add_column("VARIO (engine)", min_width=14)
    table.add_column("agree?", no_wrap=True)
    for row in placed:
        table.add_row(
            row.name,
            _number(row.x),
            _number(row.y),
            _quadrant_cell(row),
            _vario_cell(row),
            Text(row.agreement, style=AGREEMENT_STYLES[row.agreement]),
        )

    parts: list = [table]
    differing = _differing(report)
    if differing:
        parts.append(Text("\nWhere and why they differ", style="bold"))
        for row in differing:
            heading = Text(f"\n{_heading(row)}: ")
            heading.append(row.agreement, style=AGREEMENT_STYLES[row.agreement])
            change_heading, change_lines = _change_lines(row)
            parts += [heading, bullets([*row.why, change_heading]), bullets(change_lines, mark="", indent=4)]
    summary = report.summary
    if summary.not_placed:
        parts.append(Text(f"\n{_not_placed_text(report)}"))
    if summary.needs or summary.unreachable:
        parts.append(
            Text("\nWhat VARIO would need to agree (the thresholds each smallest change crosses)", style="bold")
        )
        lines = [f"{'; '.join(need.crossings)}: {', '.join(need.domains)}" for need in summary.needs]
        if summary.unreachable:
            lines.append(f"no change of the scores: {', '.join(summary.unreachable)}")
        parts.append(bullets(lines))
    parts.append(Text(f"\n{report.interpretation}", style="dim"))
    return Group(*parts)


def comparison_markdown(report: QuadrantComparison) -> str:
    """The same content as Markdown."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>")

    x, y = report.x, report.y
    lines = [
        "# CEPS quadrant vs VARIO category",
        "",
        f"Splits: {_splits_text(report)}. {_counts_text(report)}.",
        "",
        f"| technology | {x.indicator} | {y.indicator} | CEPS quadrant | VARIO (engine) | agree? |",
        "|---|---:|---:|---|---|---|",
    ]
    lines += [
        f"| {cell(row.name)} | {_number(row.x)} | {_number(row.y)} | {cell(_quadrant_cell(row))} | "
        f"{cell(_vario_cell(row))} | {row.agreement} |"
        for row in _placed(report)
    ]
    differing = _differing(report)
    if differing:
        lines += ["", "## Where and why they differ"]
        for row in differing:
            change_heading, change_lines = _change_lines(row)
            lines += ["", f"**{cell(_heading(row))}**: {row.agreement}", ""]
            lines += [f"- {cell(line)}" for line in [*row.why, change_heading]]
            lines += [f"  - {cell(line)}" for line in change_lines]
    summary = report.summary
    if summary.not_placed:
        lines += ["", _not_placed_text(report) + "."]
    if summary.needs or summary.unreachable:
        lines += ["", "## What VARIO would need to agree", ""]
        lines += [f"- {cell('; '.join(need.crossings))}: {', '.join(need.domains)}" for need in summary.needs]
        if summary.unreachable:
            lines.append(f"- no change of the scores: {', '.join(summary.unreachable)}")
    lines += ["", f"_{report.interpretation}_", ""]
    return "\n".join(lines)


def compare_quadrants(
    paths: TechnologyPaths = None,
    format: Annotated[CompareFormat, typer.Option("--format", "-f", help="Output format.")] = CompareFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
) -> None:
    """Each technology's CEPS quadrant beside VARIO's category: do they agree, and if not, why.

    \b
    Examples:
      decision compare-quadrants
      decision compare-quadrants -f markdown --threshold science=4.5
    """
    from decision.ceps.comparison import compare_quadrants as compare
    from decision.ceps.quadrants import load_quadrants
    from decision.engine.walk import classify_all
    from decision.inputs.profiles import load_profiles

    rulebook = load_rules(rules, threshold, engine, readings=reading)
    quadrants = load_quadrants(rulebook)
    profiles = load_profiles(paths or [technologies_dir()], rulebook)
    report = compare(rulebook, quadrants, profiles, classify_all(profiles, rulebook))
    if format is CompareFormat.json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    elif format is CompareFormat.markdown:
        sys.stdout.write(comparison_markdown(report))
    else:
        new_console().print(comparison_view(report))


def register(app: typer.Typer) -> None:
    """Add ``decision compare-quadrants`` to the app."""
    app.command("compare-quadrants")(handles_errors(compare_quadrants))
