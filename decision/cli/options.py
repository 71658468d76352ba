"""Options, error handling and loading shared by every command of the command line.

It sits below ``decision.cli.app`` and ``decision.cli.commands``, which both import it,
so the command modules never import the app (that import ran in a circle before).

Exit codes: 0 success; 1 a check failed (``rules check``, ``audit verify``); 2 bad input
(profiles, options, output path); 3 invalid rules folder; 4 engine failure.
"""

from __future__ import annotations

import functools
import io
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from decision.errors import DecisionError, EngineError, ProfileError, RulesError, UsageError

EXIT_CHECK_FAILED, EXIT_INPUT, EXIT_RULES, EXIT_ENGINE = 1, 2, 3, 4

# Old names of choice values, still accepted so that existing scripts keep working: the
# terminal output was called `table` on classify, compare-quadrants and indicators compare
# and `text` everywhere else. Help and completion list the current names only.
CHOICE_ALIASES = {"table": "text"}


def normalise_token(token: str) -> str:
    """Map an old choice name to its current one before click's choice check.

    Installed as click's ``token_normalize_func`` on the root command, which every
    subcommand's context inherits. Both click (older typer) and typer 0.2x's own choice
    coercion pass each choice and the given value through it; click also passes option
    and command names (``--format``, ``classify``), which no alias matches.
    """
    return CHOICE_ALIASES.get(token, token)


# typer 0.29 checks option values with pydantic, whose message for a bad choice begins
# with its own class of error ("Value error, 'foo' is not one of ...") and for a bad
# number names Python's types; a person needs plain words.
_PYDANTIC_PREFIX = "Value error, "
_PYDANTIC_WORDING = {
    "Input should be a valid integer": "expected a whole number",
    "Input should be a valid number": "expected a number",
}


def _plain_usage_message(message: str) -> str:
    message = message.removeprefix(_PYDANTIC_PREFIX)
    for start, plain in _PYDANTIC_WORDING.items():
        if message.startswith(start):
            return plain
    return message


class DecisionGroup(typer.core.TyperGroup):
    """The root command group: every command's usage errors pass through its invoke."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # Recognised by module, not imported: a plain install has typer's own copy of
            # click only (see handles_errors).
            message = getattr(exc, "message", None)
            if "click" in type(exc).__module__ and isinstance(message, str):
                exc.message = _plain_usage_message(message)
            raise


def _conventional_argument_help() -> None:
    """Write arguments in help as people know them from other tools: ``ID``, ``[PATH]...``.

    typer 0.2x writes a required argument as ``{ID}`` and adds its Python type to the
    help (``PATH... <list[Path]>``). Every argument here has a metavar naming what to give,
    so the type adds nothing. Older typer versions print click's forms already and lack
    these hooks, which are then left alone.
    """
    argument = getattr(getattr(typer, "core", None), "TyperArgument", None)
    if argument is None or not hasattr(argument, "_usage_display_name"):
        return

    def usage_name(self) -> str:
        raw = self.display_name_raw
        if " " in raw:  # a metavar spelling out several words ("[ID] [PATH]...") is shown as written
            return raw
        name = raw.removesuffix("...")
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        many = "..." if self.nargs != 1 else ""
        return f"{name}{many}" if self.required else f"[{name}]{many}"

    argument._usage_display_name = usage_name
    argument._rich_display_name = usage_name
    argument.display_type_rich = lambda self, ctx: None


_conventional_argument_help()

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", metavar="DIR", help="Rules folder to use instead of the shipped one.", show_default=False),
]
ReadingOption = Annotated[
    list[str] | None,
    typer.Option(
        "--reading",
        metavar="NAME",
        help=(
            "Apply an alternative reading of the source (rules/readings/NAME.yaml), e.g. "
            "science-without-translation (repeatable; `decision readings` lists them)."
        ),
        show_default=False,
    ),
]
ThresholdOption = Annotated[
    list[str] | None,
    typer.Option(
        "--threshold",
        metavar="SCORE=VALUE",
        help=(
            "Override a threshold for this run: SCORE=VALUE, e.g. science=4.5 (repeatable); "
            "robustness also takes a range SCORE=LOW..HIGH, e.g. science=4..4.5."
        ),
        show_default=False,
    ),
]


class EngineName(StrEnum):
    durable_rules = "durable-rules"
    zen = "zen"


EngineOption = Annotated[
    EngineName | None,
    typer.Option(
        "--engine",
        help=(
            "Engine that decides the tree's nodes: durable-rules or zen (default: $DECISION_ENGINE, "
            "else durable-rules where it loads, else zen). Both give the same results."
        ),
        show_default=False,
    ),
]
PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(metavar="PATH", help="Profile files or folders (default: the shipped domains).", show_default=False),
]


def new_console(stderr: bool = False) -> Console:
    # Width comes from COLUMNS when set (tests pin it); colour obeys NO_COLOR.
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def emit_view(view, out: Path | None, force: bool) -> None:
    """A rich view on the terminal, or as plain text in the ``--out`` file (atomically).

    The file gets the terminal's width but never its colours: a console capturing from a
    real terminal would write its escape codes into the file.
    """
    console = new_console()
    if out is None:
        console.print(view)
        return
    plain = Console(file=io.StringIO(), width=console.width, color_system=None, highlight=False, soft_wrap=False)
    plain.print(view)
    emit(plain.file.getvalue(), out, force)


def handles_errors(command):
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
        except (typer.Exit, typer.Abort):
            raise
        except OSError as exc:
            # The file system said no (a full disk, a read-only folder, a symlink loop):
            # the input or the target is at fault, not the tool.
            where = f"{exc.filename}: " if exc.filename else ""
            typer.echo(f"error: {where}{exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_INPUT) from None
        except Exception as exc:
            # Last resort: whatever escaped is a bug; one line, never a traceback, unless
            # DECISION_DEBUG asks for it. typer's and click's own exceptions (usage errors,
            # typer.BadParameter) pass through to be shown as they always are; they are
            # recognised by module because typer 0.2x vendors click and older ones import it.
            if os.environ.get("DECISION_DEBUG") or type(exc).__module__.split(".")[0] in ("typer", "click"):
                raise
            typer.echo(
                f"internal error: {type(exc).__name__}: {str(exc)[:300]} (a bug in decision; please report it "
                "with the command line; DECISION_DEBUG=1 shows the traceback)",
                err=True,
            )
            raise typer.Exit(EXIT_ENGINE) from None

    return wrapper


def problem_items(problems) -> list[dict]:
    """Located problems as JSON objects, the one shape every ``--format json`` reports them in."""
    return [
        {"file": p.file, "line": p.line, "column": p.column, "field": p.field, "message": p.message} for p in problems
    ]


_NO_ENGINE = object()


def load_rules(
    rules: Path | None,
    thresholds: list[str] | None,
    engine=_NO_ENGINE,
    readings: list[str] | None = None,
    *,
    ranges: bool = False,
):
    """The rules folder (default: the shipped one) with the run's readings, thresholds and engine.

    Readings are applied first (they change the tree), then the threshold overrides.

    Commands that classify pass their ``--engine`` value (None when not given); the engine
    is then resolved before anything runs, and the one-line note of
    ``decision.engine.choice`` is printed when it had to be chosen for the user.

    With ``ranges`` (``decision robustness``), ``--threshold NAME=LOW..HIGH`` is accepted:
    the result is then ``(rulebook, ranges)``, each ranged threshold set to the middle of
    its range in the rulebook.
    """
    from decision.inputs.rulebook import (
        load_rulebook,
        parse_threshold_options,
        parse_threshold_ranges,
        shipped_data_dir,
    )

    choice = None
    if engine is not _NO_ENGINE:
        from decision.engine.choice import resolve_engine

        choice = resolve_engine(None if engine is None else str(engine))
    rulebook = load_rulebook(rules if rules is not None else shipped_data_dir("rules"), readings or ())
    if ranges:
        values, found = parse_threshold_ranges(thresholds)
        rulebook = rulebook.with_thresholds(values).with_threshold_ranges(found)
    else:
        found = {}
        rulebook = rulebook.with_thresholds(parse_threshold_options(thresholds))
    if choice is not None:
        if choice.note is not None:
            typer.echo(choice.note, err=True)
        rulebook = rulebook.with_engine(choice.name)
    return (rulebook, found) if ranges else rulebook


def load_profile_paths(paths: list[Path] | None, rulebook):
    from decision.inputs.profiles import load_profiles
    from decision.inputs.rulebook import shipped_data_dir

    return load_profiles(paths or [shipped_data_dir("domains")], rulebook)


def check_out(out: Path | None, force: bool, rulebook, profiles=()) -> None:
    """Refuse ``--out`` before anything is written or recorded: an existing file without
    --force, and, with or without it, any file the run reads (a profile, a rules file)."""
    if out is None:
        return
    target = out.resolve()
    inputs = {Path(p.file).resolve() for p in profiles}
    inputs |= {(Path(rulebook.directory) / name).resolve() for name in rulebook.file_digests}
    if target in inputs:
        raise UsageError(f"{out}: is one of this run's inputs; write the output somewhere else")
    if out.exists() and not out.is_file() and not out.is_dir():
        raise UsageError(f"{out}: is not a regular file (a device, pipe or socket); give a file name")
    if out.exists() and not force:
        raise UsageError(f"{out}: already exists; pass --force to overwrite it")


def emit(text, out: Path | None, force: bool) -> None:
    """Write an output (a string, bytes, or an iterable of string pieces) to stdout or ``out``."""
    if out is None:
        if isinstance(text, str):
            sys.stdout.write(text)
        else:
            for piece in text:
                sys.stdout.write(piece)
        return
    from decision.output_file import write_output

    write_output(out, text, force=force)
    typer.echo(f"wrote {out}", err=True)


OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", metavar="FILE", help="Write to this file (atomically) instead of stdout.", show_default=False
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Allow --out to overwrite an existing file.")]

# What a file name says about its format, for every command with --out and --format:
# `--out portfolio.xlsx` writes a workbook without being told twice, and `-f csv --out
# portfolio.json` is refused before anything is read, run, recorded or written.
SUFFIX_FORMATS = {
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".xlsx": "xlsx",
    ".txt": "text",
    ".yaml": "yaml",
    ".yml": "yaml",
}


def out_format(format: StrEnum | None, out: Path | None, formats: type[StrEnum], default: StrEnum) -> StrEnum:
    """The format of a run: ``--format`` if given, else what the ``--out`` name says, else
    ``default``. A name that contradicts ``--format``, or names a format this command does
    not write, is a UsageError."""
    named = SUFFIX_FORMATS.get(out.suffix.lower()) if out is not None else None
    known = {member.value: member for member in formats}
    implied = known.get(named) if named is not None else None
    if named is not None and implied is None and format is None:
        suffixes = {value: suffix for suffix, value in reversed(SUFFIX_FORMATS.items())}
        names = ", ".join(suffixes[value] for value in known if value in suffixes)
        raise UsageError(f"--out {out}: this command does not write {named}; name the file {names}, or give --format")
    if format is None:
        return implied or default
    if implied is not None and implied is not format:
        raise UsageError(
            f"--out {out}: the name says {implied.value} but --format is {format.value}; "
            "drop --format or change the file name"
        )
    return format
