"""The examples at the end of every command's help: each leaf command has some, they fit
80 columns, and each one runs on the shipped data.

They run in a copy of the repository's data folders under tmp_path, so that examples
writing files (``--out``, ``--record``, audit keys) leave the checkout alone; an example
that needs what another command's examples make first (a recorded run, a key, a
checkpoint) gets those run before it (PREREQUISITES).
"""

from __future__ import annotations

import shlex
import shutil

import pytest

from tests.conftest import REPO
from tests.test_help import COMMANDS

LEAVES = [c for c in COMMANDS if not any(other[: len(c)] == c and other != c for other in COMMANDS)]
DATA = ["rules", "domains", "examples", "docs/examples"]

# Examples that cannot run here, with why.
NOT_RUN = {"serve": "runs a web server until stopped (tests/test_serve.py covers the room)"}
# What must have run in the working folder first: the examples of these commands, in order.
_STORE = ["classify", "whatif"]  # runs 1 and 2 of decision-audit.sqlite
PREREQUISITES = {
    "audit log": _STORE,
    "audit show": _STORE,
    "audit verify": _STORE,
    "audit export": _STORE,
    "audit checkpoint": [*_STORE, "audit keygen"],
    "audit prove": [*_STORE, "audit keygen", "audit checkpoint"],
    "audit check-proof": [*_STORE, "audit keygen", "audit checkpoint", "audit prove"],
    "diff": _STORE,
}
# Exit codes other than 0 that an example is documented to give.
EXIT_CODES = {"decision diff run:1 run:2 --exit-code": 1}


def examples(help_text: str) -> list[str]:
    """The example command lines of a help text, continuation lines (ending in \\) joined."""
    lines = help_text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:"))
    except StopIteration:
        return []
    found: list[str] = []
    continued = False
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        text = line.strip()
        if continued:
            found[-1] += " " + text
        else:
            found.append(text)
        continued = found[-1].endswith("\\")
        found[-1] = found[-1].removesuffix("\\").rstrip()
    return found


def test_examples_are_read_as_written():
    text = "Usage: x\n\n  Examples:\n    decision a b \\\n        --c d\n    decision e\n\nOptions:\n  --f\n"
    assert examples(text) == ["decision a b --c d", "decision e"]
    assert examples("Usage: x\n\n  Does x.\n") == []


def _help(run_cli, command) -> str:
    result = run_cli(*command, "-h")
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("command", LEAVES, ids=lambda c: " ".join(c))
def test_every_command_shows_examples_within_80_columns(run_cli, command):
    text = _help(run_cli, command)
    found = examples(text)
    assert found, f"no Examples paragraph in the help of {' '.join(command)}"
    for line in found:
        assert line.startswith(f"decision {' '.join(command)}"), line
    start = text.index("Example")
    block = text[start : text.index("\n\n", start)]
    assert all(len(line) <= 80 for line in block.splitlines()), block


@pytest.fixture
def workspace(tmp_path):
    """The shipped data folders, copied under tmp_path: the working folder of the examples."""
    for name in DATA:
        shutil.copytree(REPO / name, tmp_path / name)
    return tmp_path


def _run_examples(run_cli, command, folder) -> None:
    found = examples(_help(run_cli, command))
    assert found, f"no examples for {' '.join(command)}"
    for line in found:
        args = shlex.split(line)[1:]
        result = run_cli(*args, cwd=folder)
        expected = EXIT_CODES.get(line, 0)
        assert result.exit_code == expected, f"{line}: exit {result.exit_code}\n{result.stderr}"
        assert "Traceback" not in result.stderr


def _params():
    for command in LEAVES:
        name = " ".join(command)
        marks = []
        if name in NOT_RUN:
            marks.append(pytest.mark.skip(reason=NOT_RUN[name]))
        yield pytest.param(command, id=name, marks=marks)


# Running every example (about fifty commands, a few seconds) is slow, run by CI
# (pytest -m slow); that each command shows examples fitting 80 columns is checked always.
@pytest.mark.slow
@pytest.mark.parametrize("command", list(_params()))
def test_every_example_runs(run_cli, workspace, command):
    for before in PREREQUISITES.get(" ".join(command), []):
        _run_examples(run_cli, tuple(before.split()), workspace)
    _run_examples(run_cli, command, workspace)
