"""``decision portfolio [PATH...]``: counts per category and variant, the domains in each,
and the portfolio warnings VP01-VP04 of rules/portfolio.yaml (see decision/analyses/portfolio.py)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from decision.cli.options import (
    EngineOption,
    PathsArgument,
    ReadingOption,
    RulesOption,
    ThresholdOption,
    handles_errors,
    load_profile_paths,
    load_rules,
    new_console,
)

if TYPE_CHECKING:
    from rich.console import Group

    from decision.analyses.portfolio import PortfolioReport, Tally


class PortfolioFormat(StrEnum):
    text = "text"
    json = "json"


def _range(at_least: int, at_most: int) -> str:
    return str(at_least) if at_least == at_most else f"{at_least} to {at_most}"


def _tally_line(title: str, tally: Tally, setting: str) -> str:
    """'Moonshots: 3 to 4, limit 3 (max_moonshots); may join: architects-engineering'."""
    line = f"{title}: {_range(tally.at_least, tally.at_most)}, limit {tally.limit} ({setting})"
    if tally.undetermined:
        line += f"; undetermined but counted either way: {', '.join(tally.undetermined)}"
    if tally.may_join:
        line += f"; may join: {', '.join(tally.may_join)}"
    return line


def portfolio_view(report: PortfolioReport) -> Group:
    """The counts as a table, the strategic and moonshot tallies, then the warnings."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from decision.analyses.portfolio import label_text
    from decision.model.wording import plural
    from decision.renderers.rich_views import CATEGORY_STYLES

    table = Table(title=f"Portfolio ({plural(report.domains, 'domain')})", show_header=True, expand=False)
    table.add_column("category", no_wrap=True)
    table.add_column("count", justify="right", no_wrap=True)
    table.add_column("domains", min_width=24)

    def cell(domains: list[str], may_join: list[str]) -> Text:
        text = Text(", ".join(domains) if domains else "-")
        if may_join:
            text.append(f"\nmay join: {', '.join(may_join)}", style="dim")
        return text

    for row in report.categories:
        style = CATEGORY_STYLES.get(row.category, "")
        table.add_row(
            Text(row.category, style=style), _range(row.at_least, row.at_most), cell(row.domains, row.may_join)
        )
        for variant in row.variants:
            table.add_row(
                Text(f"  {variant.variant or '(no variant)'}"),
                _range(variant.at_least, variant.at_most),
                cell(variant.domains, variant.may_join),
            )
    undetermined = Text(
        "\n".join(f"{u.id}: {' or '.join(label_text(r) for r in u.reachable)}" for u in report.undetermined)
    )
    table.add_row(
        Text("undetermined", style=CATEGORY_STYLES["undetermined"]),
        str(len(report.undetermined)),
        undetermined if report.undetermined else Text("-"),
    )

    strategic = ", ".join(report.strategic.categories)
    tallies = Text(_tally_line(f"Strategic domains ({strategic})", report.strategic, "max_strategic_domains"))
    tallies.append("\n" + _tally_line("Moonshots", report.moonshots, "max_moonshots"))

    title = Text("Portfolio warnings:", style="bold")
    if not report.warnings:
        return Group(table, tallies, title.append(" none"))
    warnings = Table.grid(padding=(0, 1))
    warnings.add_column(no_wrap=True)
    warnings.add_column()
    for warning in report.warnings:
        text = Text(f"{warning.name}: ", style="yellow")
        text.append(warning.message)
        mark = " (interpretation: see rules/portfolio.yaml)" if warning.interpretation else ""
        text.append(f"\nsource: {warning.cite}{mark}", style="dim")
        warnings.add_row(Text(f"  {warning.code}", style="yellow"), text)
    return Group(table, tallies, title, warnings)


def portfolio(
    paths: PathsArgument = None,
    format: Annotated[PortfolioFormat, typer.Option("--format", "-f", help="Output format.")] = PortfolioFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
) -> None:
    """The portfolio as a whole: counts per category and variant, and the VARIO rec. 2 warnings.

    \b
    Examples:
      decision portfolio
      decision portfolio domains/technologies -f json
    """
    from decision.analyses.portfolio import portfolio_report
    from decision.engine.walk import classify_all

    rulebook = load_rules(rules, threshold, engine, readings=reading)
    profiles = load_profile_paths(paths, rulebook)
    report = portfolio_report(rulebook, classify_all(profiles, rulebook))
    if format is PortfolioFormat.json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    else:
        new_console().print(portfolio_view(report))


def register(app: typer.Typer) -> None:
    """Add ``decision portfolio`` to the app."""
    app.command("portfolio")(handles_errors(portfolio))
