"""``decision whatif``: --set parsing, the before/after comparison, and the CLI's clean
refusals (one line, exit 2, never a traceback)."""

from __future__ import annotations

import json

import pytest

from decision.analyses.whatif import whatif
from decision.errors import UsageError
from decision.inputs.overrides import parse_set_options
from decision.inputs.profiles import load_profiles
from tests.conftest import DOMAINS_DIR
from tests.test_bad_profiles import assert_clean_failure

KNOWN_SCORES = "economic, innovation, technology, science, opportunity, transition, feasibility"


@pytest.fixture(scope="module")
def profiles(rulebook):
    return {p.id: p for p in load_profiles([DOMAINS_DIR], rulebook)}


# --- parsing --set ---------------------------------------------------------------------


def test_set_accepts_numbers_symbols_and_na(rulebook):
    options = ["economic=4", "science=++", "innovation=+/-", "technology=na", "transition= 2.5 "]
    parsed = parse_set_options(options, rulebook)
    assert parsed == {"economic": 4.0, "science": 5.0, "innovation": 3.0, "technology": None, "transition": 2.5}
    assert parse_set_options(None, rulebook) == {}
    assert parse_set_options(["economic=0", "science=5"], rulebook) == {"economic": 0.0, "science": 5.0}


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("economic", '--set "economic": expected SCORE=VALUE, e.g. economic=4, economic=++ or economic=na'),
        ("economic=", '--set "economic=": expected SCORE=VALUE, e.g. economic=4, economic=++ or economic=na'),
        ("=4", '--set "=4": expected SCORE=VALUE, e.g. economic=4, economic=++ or economic=na'),
        (
            "economik=4",
            f'--set "economik=4": unknown score "economik"; did you mean "economic"? (known: {KNOWN_SCORES})',
        ),
        ("economic=7", '--set "economic=7": 7 is outside the scale 0-5'),
        ("economic=-0.5", '--set "economic=-0.5": -0.5 is outside the scale 0-5'),
        ("economic=nan", '--set "economic=nan": nan is not a finite number'),
        ("economic=inf", '--set "economic=inf": inf is not a finite number'),
        (
            "economic=high",
            '--set "economic=high": "high" is neither a number nor a symbol '
            '(symbols: "++", "+", "+/-", "-", "--", "na"; na = missing)',
        ),
    ],
)
def test_bad_set_options_are_one_clear_line(rulebook, option, message):
    with pytest.raises(UsageError) as caught:
        parse_set_options([option], rulebook)
    assert str(caught.value) == message


def test_same_score_twice_is_refused(rulebook):
    with pytest.raises(UsageError) as caught:
        parse_set_options(["economic=4", "economic=5"], rulebook)
    assert str(caught.value) == '--set "economic=5": economic is given more than once'


# --- the comparison ----------------------------------------------------------------------


def test_a_change_that_flips_the_category(rulebook, profiles):
    answer = whatif(rulebook, profiles["semiconductors"], {"economic": 4.0})
    assert (answer.before_outcome, answer.after_outcome) == ("ecosystem-gap", "strong")
    assert answer.verdict == "outcome changes"
    assert answer.summary == "outcome changes: ecosystem-gap -> strong"
    assert (answer.before.leaf.code, answer.after.leaf.code) == ("VL05", "VL01")
    parting = answer.parting
    assert (parting.node, parting.criterion_key, parting.changed_scores) == ("VT03", "E", ["economic"])
    assert (parting.before.outcome, parting.after.outcome) == ("no", "yes")
    assert parting.before_text == "economic 2 < 4 (fails) -> no, on to VT07"
    assert parting.after_text == "economic 4 >= 4 (passes) -> yes, on to VT04"
    assert [a.code for a in answer.actions_added] == ["VA01", "VA02", "VA03"]
    assert {a.code for a in answer.actions_removed} == {"VA10", "VA11", "VA12", "VA13", "VA14", "VA15", "VA16"}
    assert answer.warnings_added == answer.warnings_removed == []
    # The changed score carries its origin; the untouched ones keep the file's.
    assert answer.after.scores["economic"].origin == "--set"
    assert answer.after.scores["economic"].value == 4.0
    assert answer.after.scores["science"] == answer.before.scores["science"]
    assert answer.before.scores["economic"].origin == "profile"


def test_no_change_is_reported_as_such(rulebook, profiles):
    answer = whatif(rulebook, profiles["semiconductors"], {"economic": 3.0, "science": 4.5})
    assert answer.verdict == "no change"
    assert answer.summary == "no change: still ecosystem-gap (leaf VL05), same path, actions and warnings"
    assert answer.parting is None
    assert answer.actions_added == answer.actions_removed == []
    assert answer.warnings_added == answer.warnings_removed == []
    assert [c.text for c in answer.changes] == ["economic 2 -> 3", "science 5 -> 4.5"]


def test_setting_the_same_value_is_no_change(rulebook, profiles):
    answer = whatif(rulebook, profiles["pharma"], {"economic": 5.0})
    assert answer.verdict == "no change"


def test_na_makes_it_undetermined(rulebook, profiles):
    answer = whatif(rulebook, profiles["semiconductors"], {"economic": None})
    assert answer.after_outcome == "undetermined"
    assert answer.after.blocking == ["economic"]
    assert answer.after.reachable == ["ecosystem-gap", "strong"]
    assert answer.after.scores["economic"].value is None
    assert answer.after.scores["economic"].origin == "--set"
    assert answer.parting.node == "VT03"
    assert (answer.parting.before.outcome, answer.parting.after.outcome) == ("no", "unknown")
    assert answer.parting.after_text.endswith("-> unknown (a missing score: both ways explored)")
    assert [w.code for w in answer.warnings_added] == ["VW04"]
    assert answer.after.actions == []


def test_leaf_change_inside_a_category(rulebook, profiles):
    # chemicals: economic and innovation/technology strong, science not (VL02); take away
    # innovation and technology and the gap is both knowledge links (VL04).
    answer = whatif(rulebook, profiles["chemicals"], {"innovation": 3.0, "technology": 3.0})
    assert answer.verdict == "leaf changes"
    assert (answer.before.leaf.code, answer.after.leaf.code) == ("VL02", "VL04")
    assert answer.summary == "same outcome (ecosystem-gap), but the leaf changes: VL02 -> VL04"
    assert answer.parting.node == "VT04"
    assert answer.parting.changed_scores == ["innovation", "technology"]


def test_feasibility_changes_only_warnings_and_actions(rulebook, profiles):
    answer = whatif(rulebook, profiles["semiconductors"], {"feasibility": 2.0})
    assert answer.verdict == "actions or warnings change"
    assert answer.parting is None
    assert [w.code for w in answer.warnings_added] == ["VW01"]
    assert answer.warnings_removed == []


# --- the command ---------------------------------------------------------------------------


def test_cli_json_is_the_model(run_cli):
    result = run_cli("whatif", "semiconductors", "--set", "economic=++", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "outcome changes"
    assert (data["before_outcome"], data["after_outcome"]) == ("ecosystem-gap", "strong")
    assert data["changes"] == [{"score": "economic", "before": 2.0, "after": 5.0, "text": "economic 2 -> 5"}]
    assert data["after"]["scores"]["economic"]["origin"] == "--set"
    assert data["parting"]["node"] == "VT03"


def test_cli_text_says_no_change(run_cli):
    result = run_cli("whatif", "semiconductors", "--set", "economic=3")
    assert result.exit_code == 0, result.stderr
    assert "Result: no change: still ecosystem-gap (leaf VL05)" in result.stdout
    assert "Paths part" not in result.stdout
    assert "Actions that appear: none" in result.stdout


def test_cli_threshold_applies_to_both_sides(run_cli):
    data = json.loads(
        run_cli("whatif", "semiconductors", "--set", "economic=4", "--threshold", "economic=4.5", "-f", "json").stdout
    )
    assert data["verdict"] == "no change"
    reading = data["after"]["path"][2]["readings"][0]
    assert (reading["value"], reading["threshold"], reading["threshold_origin"]) == (4.0, 4.5, "--threshold")
    assert data["before"]["path"][2]["readings"][0]["threshold_origin"] == "--threshold"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nanotech", "--set", "economic=4"], 'error: no domain with id "nanotech" (known: '),
        (
            ["semiconductors", "--set", "sciense=4"],
            'error: --set "sciense=4": unknown score "sciense"; did you mean "science"? (known: ',
        ),
        (["semiconductors", "--set", "economic=5.5"], 'error: --set "economic=5.5": 5.5 is outside the scale 0-5'),
        (["semiconductors", "--set", "economic=lots"], 'error: --set "economic=lots": "lots" is neither a number'),
        (["semiconductors", "--set", "economic"], 'error: --set "economic": expected SCORE=VALUE'),
        (["semiconductors", "--set", "economic=4", "--set", "economic=5"], "economic is given more than once"),
        (["semiconductors"], "error: nothing to compare: give at least one --set SCORE=VALUE"),
        (["semiconductors", "--set", "economic=4", "--threshold", "sciense=4"], 'unknown score "sciense"'),
        (["semiconductors", "--set", "economic=4", "--threshold", "science=9"], "a threshold must lie within 0-5"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(run_cli, args, message):
    lines = assert_clean_failure(run_cli("whatif", *args))
    assert len(lines) == 1
    assert message in lines[0]
    assert lines[0].startswith("error: ")
