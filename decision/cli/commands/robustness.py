"""``decision robustness`` and ``decision workshop``: uncertain scores and participants' sheets.

numpy, the evaluators and the sheet reader are imported inside the commands, so that
registering them costs nothing at start-up.
"""

from __future__ import annotations

import functools
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from decision.cli.options import (
    EXIT_INPUT,
    EngineOption,
    ForceOption,
    OutOption,
    PathsArgument,
    ReadingOption,
    RulesOption,
    ThresholdOption,
    check_out,
    emit,
    handles_errors,
    load_profile_paths,
    load_rules,
    new_console,
)
from decision.cli.recording import ByOption, RecordOption, StoreOption, record_run
from decision.errors import ProfileError, UsageError

# A progress bar only pays off on long runs, and only a person at a terminal sees it.
PROGRESS_MIN_ROWS = 200_000


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


FormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="text or json.")]


def _sheet_errors(command):
    """Report invalid sheets like invalid profiles (one located line each, exit 2), naming them sheets."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ProfileError as exc:
            if getattr(exc, "what", None) != "sheets":
                raise
            for problem in exc.problems:
                typer.echo(problem.render(), err=True)
            noun = "problem" if len(exc.problems) == 1 else "problems"
            typer.echo(f"error: {len(exc.problems)} {noun} in the sheets", err=True)
            raise typer.Exit(EXIT_INPUT) from None

    return wrapper


def _watched(err_console) -> bool:
    """True when a person sees the run: both stdout and stderr are terminals."""
    return sys.stdout.isatty() and err_console.is_terminal


def _json_out(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


class Method(StrEnum):
    exact = "exact"
    monte_carlo = "monte-carlo"


@handles_errors
@_sheet_errors
def robustness(
    paths: PathsArgument = None,
    sheets: Annotated[
        Path | None,
        typer.Option(
            "--sheets",
            metavar="DIR",
            help="Participants' score sheets: per score, each participant's value is equally likely.",
            show_default=False,
        ),
    ] = None,
    method: Annotated[
        Method,
        typer.Option(
            "--method",
            help="exact (sums over the boxes of the tree, no sampling error) or monte-carlo (seeded draws).",
        ),
    ] = Method.exact,
    draws: Annotated[int, typer.Option("--draws", min=1, help="Draws per domain (monte-carlo).")] = 10_000,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed of the random draws (monte-carlo; same seed, same shares).")
    ] = 0,
    readings: Annotated[
        bool,
        typer.Option("--readings", help="Show the shares under each reading of the source (each alone), side by side."),
    ] = False,
    format: FormatOption = ReportFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
) -> None:
    """How likely each outcome is when scores (ranges, sheets) or thresholds (SCORE=LOW..HIGH) are uncertain.

    \b
    Examples:
      decision robustness examples/ranges.yaml
      decision robustness --sheets examples/workshop-sheets
      decision robustness examples/ranges.yaml --threshold economic=3.75..4.25
    """
    from decision.analyses.robustness import domain_inputs

    if readings and reading:
        raise typer.BadParameter("--readings compares every reading; leave out --reading", param_hint="--readings")
    rulebook, ranges = load_rules(rules, threshold, engine, readings=reading, ranges=True)
    profiles = load_profile_paths(paths, rulebook)
    loaded = None
    if sheets is not None:
        from decision.inputs.sheets import load_sheets

        loaded = load_sheets(sheets, rulebook, [p.id for p in profiles])
    inputs = domain_inputs(profiles, rulebook, loaded)

    def run(book):
        return _run(book, inputs, ranges, method, draws, seed, loaded, format)

    if readings:
        from decision.inputs.readings import available_readings
        from decision.renderers.robustness_views import ReadingRun, readings_robustness_json, readings_robustness_view

        runs = [ReadingRun(None, "default", "the default reading", run(rulebook))]
        alternatives = [
            load_rules(rules, threshold, rulebook.engine, readings=[name], ranges=True)[0]
            for name in available_readings(rulebook.directory)
        ]
        for book in sorted(alternatives, key=lambda b: b.readings[0].code):
            info = book.readings[0]
            runs.append(ReadingRun(info.code, info.name, info.label, run(book)))
        if format is ReportFormat.json:
            sys.stdout.write(readings_robustness_json(runs))
        else:
            new_console().print(readings_robustness_view(runs))
        return
    report = run(rulebook)
    from decision.renderers.robustness_views import robustness_json, robustness_view

    if format is ReportFormat.json:
        sys.stdout.write(robustness_json(report))
    else:
        new_console().print(robustness_view(report))


def _run(rulebook, inputs, ranges, method, draws, seed, sheets, format):
    """One robustness report; draws show a progress bar on long runs at a terminal."""
    from decision.analyses import robustness as analysis

    if method is Method.exact:
        return analysis.run_exact(inputs, rulebook, sheets=sheets, threshold_ranges=ranges, draws=draws, seed=seed)
    rows = draws * len(inputs)
    err_console = new_console(stderr=True)
    show_progress = format is ReportFormat.text and rows > PROGRESS_MIN_ROWS and _watched(err_console)
    if not show_progress:
        return analysis.run_robustness(inputs, rulebook, draws=draws, seed=seed, sheets=sheets, threshold_ranges=ranges)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("drawing"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("draws", total=rows)
        return analysis.run_robustness(
            inputs,
            rulebook,
            draws=draws,
            seed=seed,
            sheets=sheets,
            threshold_ranges=ranges,
            progress=lambda n: bar.advance(task, n),
        )


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@handles_errors
@_sheet_errors
def workshop(
    sheets: Annotated[
        Path | None,
        typer.Option(
            "--sheets",
            metavar="DIR",
            help="Folder of participants' score sheets (.yaml, .yml, .csv with , or ;, .xlsx).",
            show_default=False,
        ),
    ] = None,
    paths: PathsArgument = None,
    format: FormatOption = ReportFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
    record: RecordOption = False,
    store: StoreOption = None,
    by: ByOption = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Aggregate participants' sheets, classify the medians, and show which disagreements matter.

    `decision workshop template [PATH]... --out FILE.csv|FILE.xlsx` writes instead a blank
    sheet to hand out, one row per domain (shipped ones by default).

    \b
    Examples:
      decision workshop --sheets examples/workshop-sheets
      decision workshop --sheets examples/workshop-sheets -f json
      decision workshop template domains/ --out sheet.xlsx
    """
    from decision.analyses.disagreements import analyse_workshop
    from decision.inputs.sheets import load_sheets

    if paths and str(paths[0]) == "template" and sheets is None:
        _template(paths[1:], rules, reading, out, force)
        return
    if sheets is None:
        raise UsageError(
            "give --sheets DIR (the participants' sheets), or write a blank one: decision workshop template --out FILE"
        )
    if out is not None:
        raise UsageError("--out only applies to `decision workshop template`")
    rulebook = load_rules(rules, threshold, engine, readings=reading)
    profiles = load_profile_paths(paths, rulebook)
    loaded = load_sheets(sheets, rulebook, [p.id for p in profiles])
    domains = analyse_workshop(profiles, loaded, rulebook)
    results = [d.result for d in domains]
    if format is ReportFormat.json:
        _json_out(
            {
                "sheets": loaded.directory,
                "participants": loaded.participants,
                "domains": [d.to_json() for d in domains],
            }
        )
        record_run("workshop", rulebook, profiles, results, record=record, store=store, by=by, sheets=loaded)
        return
    from rich.table import Table

    from decision.model.wording import path_summary

    console = new_console()
    console.print(
        f"sheets {loaded.directory}: {len(loaded.participants)} participants ({', '.join(loaded.participants)}), "
        f"{len(domains)} domains",
        markup=False,
        soft_wrap=True,
    )
    mattering = []
    for domain in domains:
        result = domain.result
        leaf = f" (leaf {result.leaf.code})" if result.leaf else ""
        console.print(f"\n{result.name} ({result.id})", markup=False, style="bold")
        console.print(f"at the medians: {domain.outcome}{leaf}: {result.reason}", markup=False)
        console.print(f"path: {path_summary(result)}", markup=False)
        table = Table()
        table.add_column("score", no_wrap=True)
        for name in ("median", "min", "max", "spread", "n"):
            table.add_column(name, justify="right", no_wrap=True)
        table.add_column("values")
        table.add_column("disagreement")
        disputes = {d.score: d for d in domain.disagreements}
        for name, found in domain.aggregates.items():
            if not found.count:
                used = domain.profile.value(name)
                effect = f"not scored: profile value {'missing' if used is None else f'{used:g}'}"
            elif name not in disputes:
                effect = "agreed" if found.count > 1 else "one participant"
            elif disputes[name].matters:
                changes = ", ".join(f"{w.participant} {w.value:g} -> {w.outcome}" for w in disputes[name].changes)
                effect = f"CHANGES: {changes}"
                mattering.append(f"{result.id} {name}")
            else:
                effect = "no change"
            table.add_row(
                name,
                _number(found.median),
                _number(found.minimum),
                _number(found.maximum),
                _number(found.spread),
                str(found.count),
                ", ".join(f"{v.participant} {v.value:g}" for v in found.values),
                effect,
            )
        console.print(table)
        for warning in result.warnings:
            console.print(f"warning {warning.code}: {warning.message}", markup=False)
    total = sum(len(d.disagreements) for d in domains)
    console.print(
        f"\n{len(mattering)} of {total} disagreements change an outcome"
        + (f": {', '.join(mattering)}" if mattering else "")
        + " (one score at a time, the others at the median)",
        markup=False,
    )
    record_run("workshop", rulebook, profiles, results, record=record, store=store, by=by, sheets=loaded)


def _template(paths, rules, reading, out: Path | None, force: bool) -> None:
    from decision.renderers.sheet_template import template_csv, template_xlsx

    rulebook = load_rules(rules, None, readings=reading)
    profiles = load_profile_paths(paths or None, rulebook)
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError(f"--out {out}: a sheet is .csv or .xlsx")
    check_out(out, force, rulebook, profiles)
    if out is not None and out.suffix.lower() == ".xlsx":
        emit(template_xlsx(rulebook, profiles), out, force)
    else:
        emit(template_csv(rulebook, profiles), out, force)


def register(app: typer.Typer) -> None:
    """Add ``robustness`` and ``workshop`` to the main app."""
    app.command("robustness")(robustness)
    app.command("workshop")(workshop)
