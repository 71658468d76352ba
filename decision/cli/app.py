"""The typer app and the core commands (classify, explain, validate, tree, schema, rules
check); the other command groups live in ``decision.cli.commands``, one module each.

Thin: it parses options, calls the library, renders. Exit codes and error handling are
in ``decision.cli.options``.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from decision import tool_version
from decision.cli.options import (
    EXIT_CHECK_FAILED,
    EXIT_INPUT,
    EXIT_RULES,
    DecisionGroup,
    EngineOption,
    ForceOption,
    OutOption,
    PathsArgument,
    ReadingOption,
    RulesOption,
    ThresholdOption,
    check_out,
    emit,
    emit_view,
    handles_errors,
    load_profile_paths,
    load_rules,
    new_console,
    normalise_token,
    out_format,
    problem_items,
)
from decision.cli.recording import ByOption, RecordOption, StoreOption, record_run
from decision.errors import UsageError

# -h as well as --help, and the old choice names (`-f table`), on every command: a
# subcommand's context inherits both from the root's.
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "token_normalize_func": normalise_token}


def _new_app() -> typer.Typer:
    return typer.Typer(
        name="decision",
        cls=DecisionGroup,
        context_settings=CONTEXT_SETTINGS,
        help="Sort strategic domains into VARIO's categories and explain every path.",
        no_args_is_help=True,
        add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


# The core commands, defined below; main() adds the other modules' commands as needed.
app = _new_app()
rules_app = typer.Typer(help="Inspect and prove the rules folder.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


class PortfolioFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    xlsx = "xlsx"


class ExplainFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


class TreeFormat(StrEnum):
    text = "text"
    mermaid = "mermaid"
    jdm = "jdm"
    json = "json"


@app.command()
@handles_errors
def classify(
    paths: PathsArgument = None,
    format: Annotated[
        PortfolioFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format [default: text, or what the --out file name says: .json .csv .md .xlsx].",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
    out: OutOption = None,
    force: ForceOption = False,
    record: RecordOption = False,
    store: StoreOption = None,
    by: ByOption = None,
) -> None:
    """Classify a portfolio: one row per domain with category, variant and the key reason.

    \b
    Examples:
      decision classify
      decision classify domains/ --out portfolio.xlsx
      decision classify --threshold science=4.5 --record --by alice
    """
    from decision.analyses.margins import with_fragility
    from decision.engine.walk import classify_all

    format = out_format(format, out, PortfolioFormat, PortfolioFormat.text)
    rulebook = load_rules(rules, threshold, engine, readings=reading)
    profiles = load_profile_paths(paths, rulebook)
    # Fragile: one score moved by at most fragile_step (rules/workshop.yaml) changes the outcome.
    results = with_fragility(rulebook, profiles, classify_all(profiles, rulebook))
    # Checked before recording: a recorded run whose output was refused would be a
    # record of something nobody saw.
    check_out(out, force, rulebook, profiles)
    recorded = record_run("classify", rulebook, profiles, results, record=record, store=store, by=by)
    if format is PortfolioFormat.json:
        from decision.renderers.machine import iter_json

        emit(iter_json(results), out, force)
    elif format is PortfolioFormat.csv:
        from decision.renderers.machine import to_csv

        emit(to_csv(results, list(rulebook.scores)), out, force)
    elif format is PortfolioFormat.markdown:
        from decision.renderers.markdown import portfolio_markdown

        emit(portfolio_markdown(results, recorded), out, force)
    elif format is PortfolioFormat.xlsx:
        if out is None:
            raise UsageError("--format xlsx writes a binary workbook, not to stdout: give --out FILE.xlsx")
        # pandas and openpyxl load here only; every other format stays free of them.
        from decision.renderers.xlsx import to_xlsx

        emit(to_xlsx(results, list(rulebook.scores)), out, force)
    else:
        from decision.renderers.rich_views import portfolio_table

        emit_view(portfolio_table(results), out, force)


@app.command()
@handles_errors
def explain(
    domain_id: Annotated[str, typer.Argument(metavar="ID", help="The id of the domain to explain.")],
    paths: PathsArgument = None,
    format: Annotated[ExplainFormat, typer.Option("--format", "-f", help="Output format.")] = ExplainFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
    record: RecordOption = False,
    store: StoreOption = None,
    by: ByOption = None,
) -> None:
    """Explain one domain: its scores, every test on its path, the leaf, actions and warnings.

    \b
    Examples:
      decision explain semiconductors
      decision explain kst-semiconductors domains/technologies -f json
    """
    from decision.analyses.margins import with_fragility
    from decision.engine.walk import Engine

    rulebook = load_rules(rules, threshold, engine, readings=reading)
    profiles = load_profile_paths(paths, rulebook)
    from decision.inputs.profiles import find_profile

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

        new_console().print(explanation(result, rulebook))
    record_run("explain", rulebook, profiles, [result], record=record, store=store, by=by)


@app.command()
@handles_errors
def validate(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Profile files or folders to check.")],
    rules: RulesOption = None,
    reading: ReadingOption = None,
    format: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="text, or json for scripts (problems as objects).")
    ] = CheckFormat.text,
) -> None:
    """Check profiles only, listing every problem with its file, line and field.

    \b
    Examples:
      decision validate domains/
      decision validate domains/technologies --format json
    """
    from decision.errors import ProblemsError, RulesError

    try:
        rulebook = load_rules(rules, None, readings=reading)
        profiles = load_profile_paths(paths, rulebook)
    except ProblemsError as exc:
        if format is not CheckFormat.json:
            raise
        _problems_json(exc.problems)
        raise typer.Exit(EXIT_RULES if isinstance(exc, RulesError) else EXIT_INPUT) from None
    from decision.model.wording import plural

    files = {p.file for p in profiles}
    if format is CheckFormat.json:
        _problems_json([], domains=len(profiles), files=len(files))
        return
    typer.echo(f"ok: {plural(len(profiles), 'domain')} in {plural(len(files), 'file')}")


def _problems_json(problems, **counts) -> None:
    data = {"ok": not problems, **counts, "problems": problem_items(problems)}
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@app.command()
@handles_errors
def tree(
    format: Annotated[
        TreeFormat,
        typer.Option(
            "--format",
            "-f",
            help="text, mermaid, jdm (the JSON decision graph zen-engine runs; opens in the GoRules editor), "
            "or json (nodes and leaves as data).",
        ),
    ] = TreeFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
) -> None:
    """Draw the decision tree from the rules folder.

    \b
    Examples:
      decision tree
      decision tree -f mermaid
      decision tree -f json --threshold science=4.5
    """
    from decision.renderers.tree_drawing import tree_jdm, tree_json, tree_mermaid, tree_text

    rulebook = load_rules(rules, threshold, readings=reading)
    drawing = {TreeFormat.mermaid: tree_mermaid, TreeFormat.jdm: tree_jdm, TreeFormat.json: tree_json}.get(
        format, tree_text
    )
    sys.stdout.write(drawing(rulebook))


@app.command()
@handles_errors
def schema(rules: RulesOption = None, reading: ReadingOption = None) -> None:
    """Print the JSON Schema of the profile format (for editor completion and validation).

    \b
    Examples:
      decision schema
      decision schema --reading science-without-translation
    """
    from decision.inputs.profiles import profile_json_schema

    rulebook = load_rules(rules, None, readings=reading)
    sys.stdout.write(json.dumps(profile_json_schema(rulebook), indent=2) + "\n")


@rules_app.command("check")
@handles_errors
def rules_check(
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
    engines: Annotated[
        bool,
        typer.Option(
            "--engines",
            help="Also prove durable-rules and zen-engine interchangeable on the same grid (needs both).",
        ),
    ] = False,
    skip_readings: Annotated[
        bool,
        typer.Option("--skip-readings", help="Do not also prove each shipped reading (rules/readings/) total."),
    ] = False,
    format: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="text, or json for scripts (exit 1 when a proof fails).")
    ] = CheckFormat.text,
) -> None:
    """Prove the rules total and unambiguous over the full score grid; count profiles per leaf.

    Then proves the same of each reading in the rules folder, applied alone.

    \b
    Examples:
      decision rules check
      decision rules check --engines --format json
    """
    from rich.table import Table

    from decision.engine.rules_check import check_rules

    rulebook = load_rules(rules, threshold, engine, readings=reading)
    report = check_rules(rulebook)
    if format is CheckFormat.json:
        _rules_check_json(
            rulebook,
            report,
            check_readings=not skip_readings and not reading,
            engines=engines,
            load_variant=lambda name: load_rules(rules, threshold, engine, readings=[name]),
        )
        return
    console = new_console()
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
    if not skip_readings and not reading:
        from decision.inputs.readings import available_readings

        failed = []
        variants = [
            load_rules(rules, threshold, engine, readings=[name]) for name in available_readings(rulebook.directory)
        ]
        for variant in sorted(variants, key=lambda book: book.readings[0].code):
            checked = check_rules(variant)
            name = variant.readings[0].name
            [info] = variant.readings
            if checked.ok:
                console.print(
                    f"reading {info.code} {name}: total and unambiguous as well "
                    f"({sum(code in variant.leaves for code in checked.leaf_counts)} leaves, all reached; "
                    f"{checked.undetermined} profiles undetermined)",
                    markup=False,
                    soft_wrap=True,
                )
            else:
                failed.append(name)
                for line in [*checked.gaps, *checked.overlaps, *checked.unreached_leaves]:
                    typer.echo(f"reading {name}: {line}", err=True)
        if failed:
            typer.echo(f"rules check FAILED for the reading(s) {', '.join(failed)}", err=True)
            raise typer.Exit(EXIT_CHECK_FAILED)
    if engines:
        from decision.engine.rules_check import check_engines

        comparison = check_engines(rulebook)
        for line in comparison.disagreements:
            typer.echo(f"engines disagree: {line}", err=True)
        if not comparison.ok:
            typer.echo("rules check FAILED: the engines disagree", err=True)
            raise typer.Exit(EXIT_CHECK_FAILED)
        console.print(
            f"engines agree: durable-rules and zen fire the same rules at all {comparison.node_combinations} "
            f"node/score combinations, and the compiled decision graph answers as the walk for all "
            f"{comparison.profiles} profiles of the grid ({comparison.patterns} patterns of node outcomes)",
            markup=False,
            soft_wrap=True,
        )


def _check_json(report) -> dict:
    return {
        "ok": report.ok,
        "profiles": report.profiles,
        "node_combinations": report.node_combinations,
        "leaf_counts": report.leaf_counts,
        "undetermined": report.undetermined,
        "gaps": report.gaps,
        "overlaps": report.overlaps,
        "unreached_leaves": report.unreached_leaves,
    }


def _rules_check_json(rulebook, report, *, check_readings: bool, engines: bool, load_variant) -> None:
    """`rules check --format json`: every proof the text version makes, as one object."""
    from decision.engine.rules_check import check_rules

    data = {"rules": _check_json(report), "readings": [], "engines": None}
    if check_readings:
        from decision.inputs.readings import available_readings

        for name in available_readings(rulebook.directory):
            variant = load_variant(name)
            [info] = variant.readings
            data["readings"].append({"code": info.code, "name": info.name, **_check_json(check_rules(variant))})
    if engines:
        from decision.engine.rules_check import check_engines

        comparison = check_engines(rulebook)
        data["engines"] = {
            "ok": comparison.ok,
            "node_combinations": comparison.node_combinations,
            "profiles": comparison.profiles,
            "disagreements": comparison.disagreements,
        }
    ok = data["rules"]["ok"] and all(r["ok"] for r in data["readings"]) and (not engines or data["engines"]["ok"])
    sys.stdout.write(json.dumps({"ok": ok, **data}, indent=2) + "\n")
    if not ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"decision {tool_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Sort strategic domains into VARIO's categories and explain every path."""


# The other command groups live in decision/cli/commands/, one module each; they take
# their options and error handling from decision.cli.options, never from this module.
# They are added on demand: importing every module and building every command's options
# was most of the time `decision classify` took to start.
from decision.cli.commands import COMMAND_MODULES, register_all, register_module  # noqa: E402

COMPLETION_VARIABLE = "_DECISION_COMPLETE"


def _command_name(info: typer.models.CommandInfo) -> str:
    return info.name or typer.main.get_command_name(info.callback.__name__)


def _core(name: str | None = None) -> typer.Typer:
    """A new app with the root callback and the core commands: all, or the one ``name``."""
    new = _new_app()
    new.registered_callback = app.registered_callback
    new.registered_commands = [c for c in app.registered_commands if name in (None, _command_name(c))]
    new.registered_groups = [g for g in app.registered_groups if name in (None, g.name)]
    return new


def full_app() -> typer.Typer:
    """The app with every command registered (help, completion, and the tests' runner)."""
    full = _core()
    register_all(full)
    return full


def app_for(args: list[str]) -> typer.Typer:
    """The app holding only the command ``args`` name, or every command when unsure.

    The first argument names the command (the root takes no option with a value), so
    ``decision whatif ...`` imports and builds only ``whatif``. Anything else (no
    arguments, ``--help``, ``--version``, a misspelt name that needs click's
    suggestions, shell completion) gets the whole app, so its output is unchanged.
    """
    name = args[0] if args else ""
    if not name or name.startswith("-") or os.environ.get(COMPLETION_VARIABLE):
        return full_app()
    pruned = _core(name)
    if name in COMMAND_MODULES:
        register_module(pruned, COMMAND_MODULES[name])
    if not (pruned.registered_commands or pruned.registered_groups):
        return full_app()
    return pruned


def main() -> None:
    """Console-script entry point."""
    app_for(sys.argv[1:])()
