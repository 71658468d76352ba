"""``decision report [PATH...] --out FILE``: the portfolio report for analysts and
auditors, as one self-contained HTML page or as Markdown (see decision/renderers/report.py)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from decision.cli.options import (
    EngineOption,
    ForceOption,
    PathsArgument,
    ReadingOption,
    RulesOption,
    ThresholdOption,
    check_out,
    emit,
    handles_errors,
    load_profile_paths,
    load_rules,
)
from decision.cli.recording import ByOption, RecordOption, StoreOption, record_run
from decision.errors import UsageError


class ReportFormat(StrEnum):
    html = "html"
    markdown = "markdown"


SUFFIXES = {".html": ReportFormat.html, ".htm": ReportFormat.html, ".md": ReportFormat.markdown}


def report_format(out: Path, format: ReportFormat | None) -> ReportFormat:
    """The format asked for, or the one the suffix of ``out`` names."""
    if format is not None:
        return format
    inferred = SUFFIXES.get(out.suffix.lower())
    if inferred is None:
        raise UsageError(f'{out}: cannot tell the format from the suffix "{out.suffix}"; use .html or .md, or --format')
    return inferred


def report(
    paths: PathsArgument = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="FILE",
            help="The file to write (atomically); .html or .md names the format.",
            show_default=False,
        ),
    ] = ...,
    format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format", "-f", help="html or markdown (default: from the suffix of --out).", show_default=False
        ),
    ] = None,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
    force: ForceOption = False,
    record: RecordOption = False,
    store: StoreOption = None,
    by: ByOption = None,
) -> None:
    """Write the portfolio report: summary by category, every domain explained, and the tree.

    \b
    Examples:
      decision report --out report.html
      decision report domains/chemicals.yaml --out chemicals.md
    """
    from decision.analyses.margins import with_fragility
    from decision.engine.walk import classify_all

    chosen = report_format(out, format)
    rulebook = load_rules(rules, threshold, engine, readings=reading)
    profiles = load_profile_paths(paths, rulebook)
    results = with_fragility(rulebook, profiles, classify_all(profiles, rulebook))
    check_out(out, force, rulebook, profiles)
    # Recorded first, so the report can carry its run number, record hash and checkpoint.
    recorded = record_run("report", rulebook, profiles, results, record=record, store=store, by=by)
    if chosen is ReportFormat.html:
        from decision.renderers.html import report_html

        text = report_html(results, rulebook, recorded)
    else:
        from decision.renderers.report import report_markdown

        text = report_markdown(results, rulebook, recorded)
    emit(text, out, force)


def register(app: typer.Typer) -> None:
    """Add ``decision report`` to the app."""
    app.command("report")(handles_errors(report))
