"""``decision margins``: how far each score of a domain (``ID`` or ``--all``), or each
threshold (``--thresholds``), can move before an outcome changes (see decision/analyses/margins.py)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from decision.cli.options import (
    EngineOption,
    ReadingOption,
    RulesOption,
    ThresholdOption,
    handles_errors,
    load_profile_paths,
    load_rules,
    new_console,
)
from decision.errors import UsageError


class MarginsFormat(StrEnum):
    text = "text"
    json = "json"


def margins(
    arguments: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[ID] [PATH]...",
            help="The id of a domain (not with --all or --thresholds), then profile files or folders "
            "(default: the shipped domains).",
            show_default=False,
        ),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Margins of every domain of the portfolio.")] = False,
    thresholds: Annotated[
        bool,
        typer.Option("--thresholds", help="For each threshold, the values over which no domain changes outcome."),
    ] = False,
    format: Annotated[MarginsFormat, typer.Option("--format", "-f", help="Output format.")] = MarginsFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
) -> None:
    """How far each score (or each threshold) can move before the outcome changes, and to what.

    \b
    Examples:
      decision margins semiconductors
      decision margins --thresholds
      decision margins --all -f json
    """
    from decision.analyses.margins import bulk_evaluate, domain_margins, threshold_margins

    if all_ and thresholds:
        raise UsageError("give either --all or --thresholds, not both")
    arguments = list(arguments or [])
    domain_id = None
    if not (all_ or thresholds):
        if not arguments:
            raise UsageError("give a domain ID, --all or --thresholds")
        domain_id = arguments.pop(0)
    rulebook = load_rules(rules, threshold, engine, readings=reading)
    profiles = load_profile_paths([Path(a) for a in arguments] or None, rulebook)
    if domain_id is not None:
        from decision.inputs.profiles import find_profile

        profiles = [find_profile(profiles, domain_id)]
    evaluate = bulk_evaluate(rulebook)
    if thresholds:
        report = threshold_margins(rulebook, profiles, evaluate)
        data = report.model_dump(mode="json")
    else:
        results = domain_margins(rulebook, profiles, evaluate)
        data = [r.model_dump(mode="json") for r in results] if all_ else results[0].model_dump(mode="json")
    if format is MarginsFormat.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    from decision.renderers.workshop_views import margins_portfolio_view, margins_view, thresholds_view

    console = new_console()
    if thresholds:
        console.print(thresholds_view(report))
    elif all_:
        console.print(margins_portfolio_view(results))
    else:
        console.print(margins_view(results[0]))


def register(app: typer.Typer) -> None:
    """Add ``decision margins`` to the app."""
    app.command("margins")(handles_errors(margins))
