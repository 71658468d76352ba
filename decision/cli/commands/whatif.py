"""``decision whatif ID --set SCORE=VALUE ...``: one domain before and after changing
some of its scores, side by side (see decision/analyses/whatif.py)."""

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
    new_console,
)
from decision.cli.recording import ByOption, RecordOption, StoreOption, record_run
from decision.errors import UsageError


class WhatIfFormat(StrEnum):
    text = "text"
    json = "json"


def whatif(
    domain_id: Annotated[str, typer.Argument(metavar="ID", help="The id of the domain.")],
    paths: PathsArgument = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="SCORE=VALUE",
            help="Change a score: a number on the scale, a symbol such as ++, or na for missing (repeatable).",
            show_default=False,
        ),
    ] = None,
    format: Annotated[WhatIfFormat, typer.Option("--format", "-f", help="Output format.")] = WhatIfFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
    record: RecordOption = False,
    store: StoreOption = None,
    by: ByOption = None,
) -> None:
    """Compare a domain before and after --set: outcome, leaf, where the paths part, actions, warnings.

    \b
    Examples:
      decision whatif semiconductors --set economic=4
      decision whatif semiconductors --set economic=na -f json --record
    """
    from decision.analyses.whatif import whatif as compare
    from decision.inputs.overrides import parse_set_options

    rulebook = load_rules(rules, threshold, engine, readings=reading)
    values = parse_set_options(set_, rulebook)
    if not values:
        raise UsageError("nothing to compare: give at least one --set SCORE=VALUE, e.g. --set economic=4")
    profiles = load_profile_paths(paths, rulebook)
    from decision.inputs.profiles import find_profile

    matches = [find_profile(profiles, domain_id)]
    answer = compare(rulebook, matches[0], values)
    if format is WhatIfFormat.json:
        sys.stdout.write(json.dumps(answer.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    else:
        from decision.renderers.workshop_views import whatif_view

        new_console().print(whatif_view(answer))
    # The record's results hold the domain as profiled; the --set result is hypothetical.
    record_run(
        "whatif", rulebook, profiles, [answer.before], record=record, store=store, by=by, hypothetical=[answer.after]
    )


def register(app: typer.Typer) -> None:
    """Add ``decision whatif`` to the app."""
    app.command("whatif")(handles_errors(whatif))
