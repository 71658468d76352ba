"""The command line: thin. It parses options, calls the library, renders, and is the only
place where exceptions become messages and exit codes.

Exit codes: 0 success; 1 ``rules check`` found a gap, overlap or unreachable leaf;
2 bad input (profiles, options, output path); 3 invalid rules folder; 4 engine failure.
"""

from __future__ import annotations

import functools
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from decision.commands.audit import ByOption, RecordOption, StoreOption, record_run
from decision.errors import DecisionError, EngineError, ProfileError, RulesError, UsageError

app = typer.Typer(
    name="decision",
    help="Sort strategic domains into VARIO's categories and explain every path.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
rules_app = typer.Typer(help="Inspect and prove the rules folder.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

EXIT_CHECK_FAILED, EXIT_INPUT, EXIT_RULES, EXIT_ENGINE = 1, 2, 3, 4

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", metavar="DIR", help="Rules folder to use instead of the shipped one.", show_default=False),
]
ThresholdOption = Annotated[
    list[str] | None,
    typer.Option(
        "--threshold",
        metavar="SCORE=VALUE",
        help="Override a threshold for this run: SCORE=VALUE, e.g. science=4.5 (repeatable).",
        show_default=False,
    ),
]
PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="[PATH]...", help="Profile files or folders (default: the shipped domains).", show_default=False
    ),
]


class PortfolioFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    xlsx = "xlsx"


class ExplainFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class TreeFormat(StrEnum):
    text = "text"
    mermaid = "mermaid"


def _console(stderr: bool = False) -> Console:
    # Width comes from COLUMNS when set (tests pin it); colour obeys NO_COLOR.
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _handles_errors(command):
    """Turn decision's exceptions into one line per problem and an exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (ProfileError, RulesError) as exc:
            for problem in exc.problems:
                typer.echo(problem.render(), err=True)
            noun = "problem" if len(exc.problems) == 1 else "problems"
            what = "rules folder" if isinstance(exc, RulesError) else "profiles"
            typer.echo(f"error: {len(exc.problems)} {noun} in the {what}", err=True)
            raise typer.Exit(EXIT_RULES if isinstance(exc, RulesError) else EXIT_INPUT) from None
        except UsageError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_INPUT) from None
        except EngineError as exc:
            typer.echo(f"engine error: {exc}", err=True)
            raise typer.Exit(EXIT_ENGINE) from None
        except DecisionError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_INPUT) from None

    return wrapper


def _rulebook(rules: Path | None, thresholds: list[str] | None):
    from decision.rulebook import load_rulebook, parse_threshold_options, shipped_data_dir

    rulebook = load_rulebook(rules if rules is not None else shipped_data_dir("rules"))
    return rulebook.with_thresholds(parse_threshold_options(thresholds))


def _profiles(paths: list[Path] | None, rulebook):
    from decision.profiles import load_profiles
    from decision.rulebook import shipped_data_dir

    return load_profiles(paths or [shipped_data_dir("domains")], rulebook)


def _emit(text: str | bytes, out: Path | None, force: bool) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    from decision.output_file import write_output

    write_output(out, text, force=force)
    typer.echo(f"wrote {out}", err=True)


OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Write to this file (atomically) instead of stdout.", show_default=False),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Allow --out to overwrite an existing file.")]


@app.command()
@_handles_errors
def classify(
    paths: PathsArgument = None,
    format: Annotated[PortfolioFormat, typer.Option("--format", "-f", help="Output format.")] = PortfolioFormat.table,
    rules: RulesOption = None,
    threshold: ThresholdOption = None,
    out: OutOption = None,
    force: ForceOption = False,
    record: RecordOption = False,
    store: StoreOption = None,
    by: ByOption = None,
) -> None:
    """Classify a portfolio: one row per domain with category, variant and the key reason."""
    from decision.engine import classify_all
    from decision.margins import with_fragility

    rulebook = _rulebook(rules, threshold)
    profiles = _profiles(paths, rulebook)
    # Fragile: one score moved by at most fragile_step (rules/workshop.yaml) changes the outcome.
    results = with_fragility(rulebook, profiles, classify_all(profiles, rulebook))
    if format is PortfolioFormat.json:
        from decision.renderers.machine import to_json

        _emit(to_json(results), out, force)
    elif format is PortfolioFormat.csv:
        from decision.renderers.machine import to_csv

        _emit(to_csv(results, list(rulebook.scores)), out, force)
    elif format is PortfolioFormat.markdown:
        from decision.renderers.markdown import portfolio_markdown

        _emit(portfolio_markdown(results), out, force)
    elif format is PortfolioFormat.xlsx:
        if out is None:
            raise UsageError("--format xlsx writes a binary workbook, not to stdout: give --out FILE.xlsx")
        # pandas and openpyxl load here only; every other format stays free of them.
        from decision.renderers.xlsx import to_xlsx

        _emit(to_xlsx(results, list(rulebook.scores)), out, force)
    else:
        from decision.renderers.rich_views import portfolio_table

        console = _console()
        if out is not None:
            with console.capture() as capture:
                console.print(portfolio_table(results))
            _emit(capture.get(), out, force)
        else:
            console.print(portfolio_table(results))
    record_run("classify", rulebook, profiles, results, record=record, store=store, by=by)


@app.command()
@_handles_errors
def explain(
    domain_id: Annotated[str, typer.Argument(metavar="ID", help="The id of the domain to explain.")],
    paths: PathsArgument = None,
    format: Annotated[ExplainFormat, typer.Option("--format", "-f", help="Output format.")] = ExplainFormat.text,
    rules: RulesOption = None,
    threshold: ThresholdOption = None,
    record: RecordOption = False,
    store: StoreOption = None,
    by: ByOption = None,
) -> None:
    """Explain one domain: its scores, every test on its path, the leaf, actions and warnings."""
    from decision.engine import Engine
    from decision.margins import with_fragility

    rulebook = _rulebook(rules, threshold)
    profiles = _profiles(paths, rulebook)
    from decision.profiles import find_profile

    matches = [find_profile(profiles, domain_id)]
    # The same object as one element of `classify -f json`, fragile flag included.
    result = with_fragility(rulebook, matches, [Engine(rulebook).classify(matches[0])])[0]
    if format is ExplainFormat.json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    elif format is ExplainFormat.markdown:
        from decision.renderers.markdown import explanation_markdown

        sys.stdout.write(explanation_markdown(result))
    else:
        from decision.renderers.rich_views import explanation

        _console().print(explanation(result, rulebook))
    record_run("explain", rulebook, profiles, [result], record=record, store=store, by=by)


@app.command()
@_handles_errors
def validate(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Profile files or folders to check.")],
    rules: RulesOption = None,
) -> None:
    """Check profiles only, listing every problem with its file, line and field."""
    rulebook = _rulebook(rules, None)
    profiles = _profiles(paths, rulebook)
    from decision.wording import plural

    files = {p.file for p in profiles}
    typer.echo(f"ok: {plural(len(profiles), 'domain')} in {plural(len(files), 'file')}")


@app.command()
@_handles_errors
def tree(
    format: Annotated[TreeFormat, typer.Option("--format", "-f", help="text or mermaid.")] = TreeFormat.text,
    rules: RulesOption = None,
    threshold: ThresholdOption = None,
) -> None:
    """Draw the decision tree from the rules folder."""
    from decision.tree_drawing import tree_mermaid, tree_text

    rulebook = _rulebook(rules, threshold)
    sys.stdout.write(tree_mermaid(rulebook) if format is TreeFormat.mermaid else tree_text(rulebook))


@app.command()
@_handles_errors
def schema(rules: RulesOption = None) -> None:
    """Print the JSON Schema of the profile format (for editor completion and validation)."""
    from decision.profiles import profile_json_schema

    rulebook = _rulebook(rules, None)
    sys.stdout.write(json.dumps(profile_json_schema(rulebook), indent=2) + "\n")


@rules_app.command("check")
@_handles_errors
def rules_check(rules: RulesOption = None, threshold: ThresholdOption = None) -> None:
    """Prove the rules total and unambiguous over the full score grid; count profiles per leaf."""
    from rich.table import Table

    from decision.rules_check import check_rules

    rulebook = _rulebook(rules, threshold)
    report = check_rules(rulebook)
    console = _console()
    grid = ", ".join(
        f"{name} {{{', '.join('na' if v is None else repr(v) for v in values)}}}"
        for name, values in report.grid.items()
    )
    console.print(
        "grid per score (scale ends, the threshold and the floats either side of it, na = missing):",
        markup=False,
    )
    console.print(f"  {grid}", markup=False, soft_wrap=True)
    console.print(
        f"{report.node_combinations} node/score combinations asserted; {report.profiles} profiles walked",
        markup=False,
    )
    table = Table(title="profiles per leaf")
    table.add_column("leaf", no_wrap=True)
    table.add_column("category")
    table.add_column("profiles", justify="right")
    for code, count in report.leaf_counts.items():
        leaf = rulebook.leaves.get(code)
        category = "" if leaf is None else leaf.category + (f"/{leaf.variant}" if leaf.variant else "")
        table.add_row(f"{code} {leaf.name}" if leaf else code, category, str(count))
    table.add_row("undetermined", "(a missing score decides)", str(report.undetermined))
    console.print(table)
    console.print(
        "(category known, leaf open): the category is certain but a missing score leaves the missing link open.",
        markup=False,
        soft_wrap=True,
    )
    for line in [*report.gaps, *report.overlaps]:
        typer.echo(("gap: " if line in report.gaps else "overlap: ") + line, err=True)
    for code in report.unreached_leaves:
        typer.echo(
            f"unreachable: {code} {rulebook.leaves[code].name}: no profile of the grid reaches it",
            err=True,
        )
    if not report.ok:
        typer.echo("rules check FAILED", err=True)
        raise typer.Exit(EXIT_CHECK_FAILED)
    console.print(
        "rules check passed: at every node exactly one rule matches each combination (no gap, no overlap), "
        "every profile of the grid ends in leaves only, and every leaf is reached",
        markup=False,
        soft_wrap=True,
    )


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"decision {version('decision')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Sort strategic domains into VARIO's categories and explain every path."""


# Workshop and audit commands live in decision/commands/, one module each; they reuse
# the options and error handling defined above.
from decision.commands import register_all  # noqa: E402

register_all(app)


def main() -> None:
    """Console-script entry point."""
    app()
