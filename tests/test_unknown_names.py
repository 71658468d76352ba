"""A misspelt score gets the same words wherever it is given: the did-you-mean, and the
known scores in the order of the rules (the order of every table), never sorted."""

from __future__ import annotations

import pytest

from decision.errors import FieldError, unknown_name
from decision.inputs.sheets import score_entry
from tests.conftest import write

SAID = (
    'unknown score "sciense"; did you mean "science"? '
    "(known: economic, innovation, technology, science, opportunity, transition, feasibility)"
)

PROFILE = "id: demo\nname: Demo\nscores:\n  sciense: 4\n"
SHEET = "id: biotech\nscores:\n  sciense: 4\n"


def _profile(tmp_path):
    return ["validate", write(tmp_path / "demo.yaml", PROFILE)]


def _sheet(tmp_path):
    write(tmp_path / "sheets" / "ann.yaml", SHEET)
    return ["workshop", "--sheets", tmp_path / "sheets"]


CASES = {
    "profile": _profile,
    "yaml-sheet": _sheet,
    "threshold": lambda tmp_path: ["classify", "--threshold", "sciense=4"],
    "set": lambda tmp_path: ["whatif", "semiconductors", "--set", "sciense=4"],
    "fix": lambda tmp_path: ["counterfactual", "semiconductors", "--to", "strong", "--fix", "sciense"],
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_every_command_names_an_unknown_score_alike(run_cli, tmp_path, case):
    result = run_cli(*CASES[case](tmp_path))
    assert result.exit_code == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if "sciense" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].endswith(SAID), lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_the_room_names_an_unknown_score_alike(rulebook):
    with pytest.raises(FieldError) as caught:
        score_entry(rulebook, "sciense", 4, "scores.biotech.sciense")
    assert str(caught.value).endswith(SAID)


def test_no_close_name_gets_no_guess():
    assert unknown_name("score", "xyz", ["economic", "science"]) == 'unknown score "xyz" (known: economic, science)'
