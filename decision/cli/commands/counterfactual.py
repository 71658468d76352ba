"""``decision counterfactual ID --to CATEGORY``: the smallest score change that lands a
domain in a target category, found by an exact search (see decision/analyses/counterfactual.py)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

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
)


class CounterfactualFormat(StrEnum):
    text = "text"
    json = "json"


def counterfactual(
    domain_id: Annotated[str, typer.Argument(metavar="ID", help="The id of the domain.")],
    paths: PathsArgument = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="CATEGORY",
            help="Target: strong, ecosystem-gap, moonshot, no-focus (any variant), "
            "no-focus/internationalisation or no-focus/partnership.",
            show_default=False,
        ),
    ] = None,
    fix: Annotated[
        list[str] | None,
        typer.Option(
            "--fix",
            metavar="SCORE",
            help="A score that may not change (repeatable, or comma-separated).",
            show_default=False,
        ),
    ] = None,
    format: Annotated[
        CounterfactualFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CounterfactualFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
) -> None:
    """The smallest change of scores (fewest scores, then least total change) that lands ID in a category.

    \b
    Examples:
      decision counterfactual semiconductors --to strong
      decision counterfactual semiconductors --to strong --fix economic -f json
    """
    from decision.analyses.counterfactual import counterfactual as search
    from decision.analyses.counterfactual import parse_fixed, parse_target, to_json, to_text

    rulebook = load_rules(rules, threshold, engine, readings=reading)
    target = parse_target(rulebook, to)
    fixed = parse_fixed(rulebook, fix)
    profiles = load_profile_paths(paths, rulebook)
    from decision.inputs.profiles import find_profile

    matches = [find_profile(profiles, domain_id)]
    answer = search(rulebook, matches[0], target, fixed)
    if format is CounterfactualFormat.json:
        sys.stdout.write(json.dumps(to_json(answer), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(to_text(rulebook, answer))


def register(app: typer.Typer) -> None:
    """Add ``decision counterfactual`` to the main app."""
    app.command("counterfactual")(handles_errors(counterfactual))
