"""``decision readings [PATH...]``: each domain under the default reading of the source and
under each alternative reading (rules/readings/), and the domains that depend on one."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from decision.cli.options import (
    EngineOption,
    ForceOption,
    OutOption,
    PathsArgument,
    RulesOption,
    ThresholdOption,
    check_out,
    emit,
    emit_view,
    handles_errors,
    load_profile_paths,
    load_rules,
    out_format,
)


class ReadingsFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"
    markdown = "markdown"


def readings(
    paths: PathsArgument = None,
    format: Annotated[
        ReadingsFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format [default: text, or what the --out file name says: .json .csv .md .txt].",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
    reading: Annotated[
        list[str] | None,
        typer.Option(
            "--reading",
            metavar="NAME",
            help="Compare only these readings (repeatable; default: every reading in the rules folder).",
            show_default=False,
        ),
    ] = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Each domain's category under the default reading and under each alternative reading.

    \b
    Examples:
      decision readings
      decision readings domains/technologies -f csv
      decision readings --out readings.md
    """
    from decision.analyses.readings import compare_readings
    from decision.inputs.readings import available_readings
    from decision.renderers.readings_views import readings_csv, readings_json, readings_markdown, readings_view

    format = out_format(format, out, ReadingsFormat, ReadingsFormat.text)
    default = load_rules(rules, threshold, engine)
    names = reading or available_readings(default.directory)
    alternatives = [load_rules(rules, threshold, default.engine, readings=[name]) for name in names]
    alternatives.sort(key=lambda book: book.readings[0].code)
    profiles = load_profile_paths(paths, default)
    check_out(out, force, default, profiles)
    report = compare_readings(profiles, default, alternatives)
    if format is ReadingsFormat.text:
        emit_view(readings_view(report), out, force)
        return
    text = {
        ReadingsFormat.json: readings_json,
        ReadingsFormat.csv: readings_csv,
        ReadingsFormat.markdown: readings_markdown,
    }[format](report)
    emit(text, out, force)


def register(app: typer.Typer) -> None:
    """Add ``decision readings`` to the app."""
    app.command("readings")(handles_errors(readings))
