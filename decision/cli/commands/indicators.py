"""``decision indicators compute|compare TABLE --region NAME``: CEPS figures from a table of counts.

``compute`` writes the region's figures as technology profiles (``indicators:`` blocks
with their provenance), or prints them as CSV or JSON; ``compare`` shows whether each
technology's quadrant and category survive the method variants of
``rules/indicator_methods.yaml`` (see decision/analyses/count_indicators.py and
decision/ceps/method_sensitivity.py, and docs/indicators.md).

Exit codes: 0 done; 2 a bad table or option, or an existing ``--out`` without
``--force`` (nothing written); 3 a bad rules folder.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from decision.cli.options import (
    EXIT_INPUT,
    EngineOption,
    ForceOption,
    OutOption,
    ReadingOption,
    RulesOption,
    check_out,
    emit,
    emit_view,
    handles_errors,
    load_rules,
    out_format,
)
from decision.errors import UsageError

indicators_app = typer.Typer(
    help="Compute CEPS indicators (RCA, relatedness, complexity) from counts.", no_args_is_help=True
)


class ComputeFormat(StrEnum):
    yaml = "yaml"
    csv = "csv"
    json = "json"


class CompareFormat(StrEnum):
    text = "text"
    csv = "csv"
    json = "json"


TableArgument = Annotated[
    Path,
    typer.Argument(
        metavar="TABLE",
        help="CSV or .xlsx counts: long (region, technology, count columns) or wide (regions x technologies).",
    ),
]
RegionOption = Annotated[str, typer.Option("--region", metavar="NAME", help="The region whose figures to compute.")]
SheetOption = Annotated[
    str | None, typer.Option("--sheet", metavar="NAME", help="The workbook's sheet (default: the first).")
]
RelatednessOption = Annotated[
    str | None,
    typer.Option(
        "--relatedness",
        metavar="NAME",
        help="Relatedness measure for this run: proximity, cosine or association_strength.",
        show_default=False,
    ),
]
ComplexityOption = Annotated[
    str | None,
    typer.Option(
        "--complexity",
        metavar="NAME",
        help="Complexity method for this run: eigenvector or reflections.",
        show_default=False,
    ),
]
CutoffOption = Annotated[
    float | None,
    typer.Option("--rca-cutoff", metavar="X", help="RCA cut-off for presence, for this run.", show_default=False),
]


def _read(table: Path, sheet: str | None):
    """The count matrix; a bad table is every problem on stderr and exit 2."""
    from decision.inputs.count_table import CountTableError, read_counts

    try:
        return read_counts(table, sheet)
    except CountTableError as exc:
        for problem in exc.problems:
            typer.echo(problem.render(), err=True)
        noun = "problem" if len(exc.problems) == 1 else "problems"
        typer.echo(f"error: {len(exc.problems)} {noun} in the table; nothing computed or written", err=True)
        raise typer.Exit(EXIT_INPUT) from None


def _methods(rulebook, relatedness: str | None, complexity: str | None, rca_cutoff: float | None):
    from decision.inputs.indicator_methods import load_indicator_methods

    return load_indicator_methods(rulebook).with_options(relatedness, complexity, rca_cutoff)


def _refuse_inputs(out: Path | None, *inputs: Path) -> None:
    if out is not None and out.resolve() in {Path(path).resolve() for path in inputs}:
        raise UsageError(f"{out}: is one of this run's inputs; write the output somewhere else")


@indicators_app.command("compute")
@handles_errors
def compute(
    table: TableArgument,
    region: RegionOption,
    format: Annotated[
        ComputeFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="yaml: profiles with indicators; csv or json: one row per technology "
            "[default: what the --out name says (.csv .json), else yaml].",
            show_default=False,
        ),
    ] = None,
    sheet: SheetOption = None,
    relatedness: RelatednessOption = None,
    complexity: ComplexityOption = None,
    rca_cutoff: CutoffOption = None,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Compute RCA, presence, relatedness density and complexity for every technology of a region.

    \b
    Examples:
      decision indicators compute docs/examples/technology-counts.csv \\
          --region Flanders -f csv
      decision indicators compute docs/examples/technology-counts.csv \\
          --region Flanders --out flanders.yaml
    """
    from decision.analyses.count_indicators import profiles_document, region_figures
    from decision.inputs.profiles import profile_models
    from decision.renderers.indicator_views import figures_csv, figures_json, profiles_yaml

    format = out_format(format, out, ComputeFormat, ComputeFormat.yaml)
    rulebook = load_rules(rules, None, readings=reading)
    methods = _methods(rulebook, relatedness, complexity, rca_cutoff)
    _refuse_inputs(out, table, methods.file)
    check_out(out, force, rulebook)
    matrix = _read(table, sheet)
    figures = region_figures(matrix, region, methods.method)
    for notice in figures.notices:
        typer.echo(f"note: {notice}", err=True)
    if format is ComputeFormat.csv:
        text = figures_csv(figures)
    elif format is ComputeFormat.json:
        text = figures_json(figures)
    else:
        document = profiles_document(figures, methods.targets)
        # The profile format is the authority: what it would refuse is never written.
        _, many = profile_models(rulebook)
        many.model_validate(document)
        text = profiles_yaml(figures, document)
    emit(text, out, force)


@indicators_app.command("compare")
@handles_errors
def compare(
    table: TableArgument,
    region: RegionOption,
    profiles: Annotated[
        list[Path] | None,
        typer.Option(
            "--profiles",
            metavar="PATH",
            help="Profiles that give technologies their other scores (default: the shipped domains/technologies).",
            show_default=False,
        ),
    ] = None,
    format: Annotated[
        CompareFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format [default: text, or what the --out file name says: .json .csv .txt].",
            show_default=False,
        ),
    ] = None,
    sheet: SheetOption = None,
    relatedness: RelatednessOption = None,
    complexity: ComplexityOption = None,
    rca_cutoff: CutoffOption = None,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    engine: EngineOption = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Show whether each technology's CEPS quadrant and VARIO category survive a change of method.

    \b
    Examples:
      decision indicators compare docs/examples/technology-counts.csv \\
          --region Flanders
    """
    from decision.ceps.method_sensitivity import method_sensitivity
    from decision.ceps.quadrants import load_quadrants
    from decision.cli.commands.plot import technologies_dir
    from decision.inputs.profiles import load_profiles
    from decision.renderers.indicator_views import sensitivity_csv, sensitivity_json, sensitivity_view

    format = out_format(format, out, CompareFormat, CompareFormat.text)
    rulebook = load_rules(rules, None, engine, readings=reading)
    methods = _methods(rulebook, relatedness, complexity, rca_cutoff)
    quadrants = load_quadrants(rulebook)
    loaded = load_profiles(profiles or [technologies_dir()], rulebook)
    _refuse_inputs(out, table, methods.file, quadrants.file)
    check_out(out, force, rulebook, loaded)
    matrix = _read(table, sheet)
    report = method_sensitivity(matrix, region, methods, rulebook, quadrants, loaded, rulebook.engine)
    if format is CompareFormat.json:
        emit(sensitivity_json(report), out, force)
    elif format is CompareFormat.csv:
        emit(sensitivity_csv(report), out, force)
    else:
        emit_view(sensitivity_view(report), out, force)


def register(app: typer.Typer) -> None:
    """Add ``decision indicators compute`` and ``compare`` to the app."""
    app.add_typer(indicators_app, name="indicators")
