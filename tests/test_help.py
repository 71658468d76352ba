"""Every command's help reads as people know it from other tools: a clean usage line
(``ID``, ``[PATH]...``, never typer's ``{ID}``), no Python type names, and ``-h``."""

from __future__ import annotations

import pytest
import typer

from decision.cli.app import app


def _commands(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield path
        if hasattr(command, "commands"):
            yield from _commands(command, path)


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_every_command_is_listed():
    names = {" ".join(c) for c in COMMANDS}
    assert {"classify", "explain", "serve", "workshop", "audit verify", "indicators compute", "rules check"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_help_is_clean(run_cli, command):
    result = run_cli(*command, "-h")
    assert result.exit_code == 0, result.stderr
    usage = result.stdout.splitlines()[0]
    assert usage.startswith("Usage: decision " + " ".join(command))
    for typer_only in ("{", "}", "<list[", "<Path>", "<str>", "<int>", "[[", "]]"):
        assert typer_only not in result.stdout, f"{typer_only!r} in the help of {' '.join(command)}"


def test_shell_completion_is_offered(run_cli):
    result = run_cli("--show-completion", "bash")
    assert result.exit_code == 0
    assert "_decision_completion" in result.stdout and "complete " in result.stdout
