"""Every command's help reads as people know it from other tools: a clean usage line
(``ID``, ``[PATH]...``, never typer's ``{ID}``), no Python type names, and ``-h``."""

from __future__ import annotations

import re

import pytest
import typer

from decision.cli.app import full_app


def _commands(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield path
        if hasattr(command, "commands"):
            yield from _commands(command, path)


COMMANDS = list(_commands(typer.main.get_command(full_app())))


def test_every_command_is_listed():
    names = {" ".join(c) for c in COMMANDS}
    assert {"classify", "explain", "serve", "workshop", "audit verify", "indicators compute", "rules check"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_help_is_clean(run_cli, command):
    result = run_cli(*command, "-h")
    assert result.exit_code == 0, result.stderr
    usage = result.stdout.splitlines()[0]
    assert usage.startswith("Usage: decision " + " ".join(command))
    for typer_only in ("{", "}", "<list[", "<Path>", "<path>", "<str>", "<int>", "[[", "]]"):
        assert typer_only not in result.stdout, f"{typer_only!r} in the help of {' '.join(command)}"


def test_shell_completion_is_offered(run_cli):
    result = run_cli("--show-completion", "bash")
    assert result.exit_code == 0
    assert "_decision_completion" in result.stdout and "complete " in result.stdout


def test_each_command_module_is_named_in_the_table():
    # decision.cli.commands.COMMAND_MODULES lets a run import one module; a command the
    # table forgets would still work (through the whole app) but start slowly, and a
    # stale entry would build an app without the command it names.
    from decision.cli.app import app
    from decision.cli.commands import COMMAND_MODULES, register_module

    core = set(typer.main.get_command(app).commands)
    for name, module in COMMAND_MODULES.items():
        single = typer.Typer()
        single.callback()(lambda: None)
        register_module(single, module)
        assert name in typer.main.get_command(single).commands, f"{module}.py does not add {name!r}"
    every = set(typer.main.get_command(full_app()).commands)
    assert every - core == set(COMMAND_MODULES)


@pytest.mark.parametrize(
    ("args", "built"),
    [
        (["classify"], {"classify"}),
        (["rules", "check"], {"rules"}),
        (["audit", "log"], {"audit"}),
        (["workshop", "template"], {"robustness", "workshop"}),
        (["--help"], None),
        ([], None),
        (["clasify"], None),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_a_run_builds_only_the_command_it_names(args, built):
    from decision.cli.app import app_for

    commands = set(typer.main.get_command(app_for(args)).commands)
    if built is None:  # help, no arguments, a misspelt name: everything, for click's listing
        assert commands == set(typer.main.get_command(full_app()).commands)
    else:
        assert commands == built


def test_a_misspelt_command_still_gets_a_suggestion(run_cli):
    result = run_cli("clasify")
    assert result.exit_code == 2
    assert "classify" in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_help_names_the_terminal_format_text(run_cli, command):
    # `table` was the name on three commands and stays accepted, but help lists only `text`.
    result = run_cli(*command, "-h")
    for choices in re.findall(r"--format <([^>]*)>", result.stdout):
        assert "table" not in choices.split("|"), f"the help of {' '.join(command)} lists table"


INDICATORS_TABLE = "docs/examples/technology-counts.csv"
OLD_FORMAT_NAME = [
    # the commands where the terminal output was called `table`
    ["classify"],
    ["compare-quadrants"],
    ["indicators", "compare", INDICATORS_TABLE, "--region", "Flanders"],
    # the alias holds on every command with a `text` format, one of each kind here
    ["explain", "semiconductors"],
    ["tree"],
    ["audit", "log", "--store", "missing.sqlite"],
]


@pytest.mark.parametrize("args", OLD_FORMAT_NAME, ids=lambda a: " ".join(a[:2]))
def test_the_old_format_name_table_gives_the_text_output(run_cli, args):
    text = run_cli(*args, "-f", "text")
    table = run_cli(*args, "-f", "table")
    assert (table.exit_code, table.stdout, table.stderr) == (text.exit_code, text.stdout, text.stderr)
    assert table.stdout or table.stderr


def test_an_unknown_format_still_lists_the_current_names(run_cli):
    result = run_cli("classify", "-f", "tabel")
    assert result.exit_code == 2
    assert "'text'" in result.stderr and "'table'" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["classify", "-f", "foo"], "Invalid value for '--format' / '-f': 'foo' is not one of 'text', 'json'"),
        (["audit", "log", "-f", "foo"], "'foo' is not one of 'text', 'json'"),
        (["robustness", "--draws", "abc"], "Invalid value for '--draws': expected a whole number"),
        (["robustness", "--draws", "1.5"], "Invalid value for '--draws': expected a whole number"),
        (["classify", "--engine", "drools"], "'drools' is not one of 'durable-rules', 'zen'"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_a_bad_option_value_is_told_in_plain_words(run_cli, args, message):
    # typer 0.29 checks option values with pydantic; its wording ("Value error, ...",
    # "Input should be a valid integer, unable to parse string as an integer") is replaced.
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Value error" not in result.stderr and "Input should be" not in result.stderr
