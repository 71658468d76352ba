"""``decision import TABLE --mapping FILE --out DIR``: one profile per row of a CSV or
.xlsx table (see decision/inputs/table_import.py and docs/import.md).

Exit codes: 0 every row written; 1 ``--skip-bad`` wrote the good rows and skipped bad
ones (listed on stderr); 2 nothing written (bad mapping, unreadable table, bad rows
without ``--skip-bad``, or an existing file without ``--force``).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from decision.cli.options import (
    EXIT_CHECK_FAILED,
    EXIT_INPUT,
    EXIT_RULES,
    ReadingOption,
    RulesOption,
    handles_errors,
    load_rules,
    problem_items,
)
from decision.errors import RulesError

# Like a failed `rules check` or `diff --exit-code`: the command did its work, but what it
# found needs a look. Scripts can tell "all written" (0) from "some rows left out" (1).
EXIT_ROWS_SKIPPED = EXIT_CHECK_FAILED


class ImportFormat(StrEnum):
    text = "text"
    json = "json"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _report_json(table: Path, mapping: Path, out: Path, *, written=(), problems=(), bad_rows=(), existing=()) -> None:
    """The whole outcome as one object on stdout; the exit code is the text output's."""
    data = {
        "ok": not (problems or existing),
        "table": str(table),
        "mapping": str(mapping),
        "out": str(out),
        "profiles": [{"id": profile_id, "path": str(path)} for profile_id, path in written],
        "problems": problem_items(problems),
        "bad_rows": list(bad_rows),
        "existing": [str(path) for path in existing],
    }
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def import_table(
    table: Annotated[Path, typer.Argument(metavar="TABLE", help="The .csv or .xlsx table, one row per domain.")],
    mapping: Annotated[
        Path,
        typer.Option("--mapping", metavar="FILE", help="YAML mapping of the table's columns to profile fields."),
    ],
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder for the profiles (<id>.yaml each); created if missing.")
    ],
    force: Annotated[bool, typer.Option("--force", help="Allow replacing existing profiles in DIR.")] = False,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Write the good rows and list the bad ones (exit 1) instead of nothing.")
    ] = False,
    format: Annotated[
        ImportFormat,
        typer.Option(
            "--format", "-f", help="text, or json for scripts (profiles written, problems as objects, same exit codes)."
        ),
    ] = ImportFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
) -> None:
    """Turn a table into profiles, one per row, keeping the table, row and column of every figure.

    \b
    Examples:
      decision import docs/examples/ceps-figures.csv \\
          --mapping docs/examples/ceps-import-mapping.yaml --out imported
      decision import docs/examples/ceps-figures.csv -f json --force \\
          --mapping docs/examples/ceps-import-mapping.yaml --out imported
    """
    from decision.inputs.table_import import BadRowsError, ImportProblems, TargetsExistError, plan_import, write_import

    as_json = format is ImportFormat.json
    try:
        rulebook = load_rules(rules, None, readings=reading)
    except RulesError as exc:
        if not as_json:
            raise
        _report_json(table, mapping, out, problems=exc.problems)
        raise typer.Exit(EXIT_RULES) from None
    try:
        plan = plan_import(table, mapping, rulebook)
        written = write_import(plan, out, force=force, skip_bad=skip_bad)
    except BadRowsError as exc:
        if as_json:
            _report_json(table, mapping, out, problems=exc.problems, bad_rows=exc.bad_rows)
            raise typer.Exit(EXIT_INPUT) from None
        for problem in exc.problems:
            typer.echo(problem.render(), err=True)
        rows = ", ".join(str(row) for row in exc.bad_rows)
        why = "no row is good" if skip_bad else "pass --skip-bad to write the good rows"
        typer.echo(
            f"error: {_plural(len(exc.bad_rows), 'bad row')} ({rows}), {_plural(len(exc.problems), 'problem')}; "
            f"nothing written ({why})",
            err=True,
        )
        raise typer.Exit(EXIT_INPUT) from None
    except ImportProblems as exc:
        if as_json:
            _report_json(table, mapping, out, problems=exc.problems)
            raise typer.Exit(EXIT_INPUT) from None
        for problem in exc.problems:
            typer.echo(problem.render(), err=True)
        typer.echo(f"error: {_plural(len(exc.problems), 'problem')}; nothing written", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    except TargetsExistError as exc:
        if as_json:
            _report_json(table, mapping, out, existing=exc.paths)
            raise typer.Exit(EXIT_INPUT) from None
        for path in exc.paths:
            typer.echo(f"error: {path}: already exists; pass --force to overwrite it", err=True)
        typer.echo(f"error: {_plural(len(exc.paths), 'profile')} would be overwritten; nothing written", err=True)
        raise typer.Exit(EXIT_INPUT) from None

    # write_import writes the plan's profiles in order, each as <id>.yaml.
    pairs = [(profile.id, path) for profile, path in zip(plan.profiles, written, strict=True)]
    if as_json:
        _report_json(table, mapping, out, written=pairs, problems=plan.problems, bad_rows=plan.bad_rows)
        if plan.problems:
            raise typer.Exit(EXIT_ROWS_SKIPPED)
        return
    for path in written:
        typer.echo(f"wrote {path}", err=True)
    typer.echo(f"imported {_plural(len(written), 'profile')} from {plan.table.path} into {out}")
    if plan.problems:
        for problem in plan.problems:
            typer.echo(problem.render(), err=True)
        rows = ", ".join(str(row) for row in plan.bad_rows)
        typer.echo(f"skipped {_plural(len(plan.bad_rows), 'bad row')} ({rows}), not written", err=True)
        raise typer.Exit(EXIT_ROWS_SKIPPED)


def register(app: typer.Typer) -> None:
    """Add ``decision import`` to the app."""
    app.command("import")(handles_errors(import_table))
