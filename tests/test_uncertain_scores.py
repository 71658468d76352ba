"""Uncertain scores in profiles: ``low``/``high`` (and ``distribution``) on a score mapping.

The engine keeps reading ``value``; a profile without ranges reads, classifies and
serialises exactly as before. Every input is written under pytest's tmp_path.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from decision.engine.walk import Engine
from decision.inputs.profiles import load_profiles, profile_json_schema
from tests.conftest import DOMAINS_DIR, write
from tests.test_bad_profiles import HEAD, assert_clean_failure, only_problem


def load_one(tmp_path, rulebook, scores: str):
    [profile] = load_profiles([write(tmp_path / "p.yaml", HEAD + "scores:\n" + scores)], rulebook)
    return profile


# --- accepted ranges -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "low", "high", "distribution"),
    [
        ("{value: 4, low: 3, high: 5}", 4.0, 3.0, 5.0, "uniform"),
        ("{value: 4, low: 3.5, high: 4.5, distribution: uniform}", 4.0, 3.5, 4.5, "uniform"),
        ("{value: 4, low: 3, high: 5, distribution: triangular}", 4.0, 3.0, 5.0, "triangular"),
        ("{value: '+', low: '+/-', high: '++'}", 4.0, 3.0, 5.0, "uniform"),
        ("{value: 4, low: 4, high: 4}", 4.0, 4.0, 4.0, "uniform"),
        ("{value: 0, low: 0, high: 1}", 0.0, 0.0, 1.0, "uniform"),
        ("{value: 5, low: 3, high: 5, distribution: triangular}", 5.0, 3.0, 5.0, "triangular"),
    ],
)
def test_accepted_ranges(tmp_path, rulebook, text, value, low, high, distribution):
    entry = load_one(tmp_path, rulebook, f"  science: {text}\n").scores["science"]
    assert (entry.value, entry.low, entry.high, entry.distribution) == (value, low, high, distribution)


def test_block_form_keeps_provenance_and_the_engine_reads_value(tmp_path, rulebook):
    ranged = load_one(
        tmp_path,
        rulebook,
        "  science:\n    value: 4\n    low: 3\n    high: 5\n    source: a panel\n    assumption: true\n",
    )
    entry = ranged.scores["science"]
    assert (entry.source, entry.assumption, entry.location) == ("a panel", True, f"{tmp_path / 'p.yaml'}:4")
    plain = load_profiles([write(tmp_path / "q.yaml", HEAD + "scores:\n  science: 4\n")], rulebook)[0]
    engine = Engine(rulebook)
    with_range, without = engine.classify(ranged), engine.classify(plain)
    assert with_range.path == without.path
    assert (with_range.category, with_range.leaf) == (without.category, without.leaf)


def test_a_score_without_range_has_no_range_fields(tmp_path, rulebook):
    entry = load_one(tmp_path, rulebook, "  science: {value: 4, source: a report}\n").scores["science"]
    assert (entry.low, entry.high, entry.distribution) == (None, None, None)
    assert set(entry.model_dump()) == {"value", "symbol", "source", "note", "assumption", "origin", "location"}


# --- refused ranges, each located ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "field", "message"),
    [
        ("{value: 4, low: 3}", 28, "scores.science.low", 'a range needs both "low" and "high" ("high" is missing)'),
        ("{value: 4, high: 5}", 29, "scores.science.high", 'a range needs both "low" and "high" ("low" is missing)'),
        (
            "{value: 4, low: 4.5, high: 5}",
            28,
            "scores.science.low",
            '"low" 4.5 is above the value 4 (a range needs low <= value <= high)',
        ),
        (
            "{value: 4, low: 3, high: 3.5}",
            37,
            "scores.science.high",
            '"high" 3.5 is below the value 4 (a range needs low <= value <= high)',
        ),
        ("{value: 4, low: -1, high: 5}", 28, "scores.science.low", "score -1 is outside the scale 0-5"),
        ("{value: 4, low: 3, high: 6}", 37, "scores.science.high", "score 6 is outside the scale 0-5"),
        ("{value: 4, low: '+++', high: 5}", 28, "scores.science.low", 'unknown symbol "+++"'),
        ("{value: 4, low: 3, high: .inf}", 37, "scores.science.high", "score must be a finite number, got inf"),
        ("{value: 4, low: 3, high: true}", 37, "scores.science.high", "got true"),
        ("{value: 4, low: na, high: 5}", 28, "scores.science.low", '"low" cannot be missing ("na")'),
        ("{value: na, low: 3, high: 5}", 20, "scores.science.value", "needs a value inside it"),
        ("{value: 4, distribution: uniform}", 37, "scores.science.distribution", '"distribution" needs a range'),
        (
            "{value: 4, low: 3, high: 5, distribution: normal}",
            54,
            "scores.science.distribution",
            '"distribution" must be one of uniform, triangular, got "normal"',
        ),
        (
            "{value: 4, low: 3, high: 5, spread: 1}",
            40,
            "scores.science.spread",
            'unknown field "spread" (allowed: value, source, note, assumption, low, high, distribution)',
        ),
    ],
)
def test_refused_range(tmp_path, rulebook, text, column, field, message):
    path = write(tmp_path / "p.yaml", HEAD + f"scores:\n  science: {text}\n")
    problem = only_problem(path, rulebook)
    assert (problem.file, problem.line, problem.column, problem.field) == (str(path), 4, column, field)
    assert message in problem.message


def test_block_form_problems_point_at_their_lines(tmp_path, rulebook):
    path = write(
        tmp_path / "p.yaml",
        HEAD
        + "scores:\n"
        + "  science:\n"  # 4
        + "    value: 4\n"  # 5
        + "    low: 4.5\n"  # 6
        + "    high: 5\n"  # 7
        + "  economic:\n"  # 8
        + "    value: 3\n"  # 9
        + "    low: 2\n"  # 10
        + "  innovation:\n"  # 11
        + "    value: 3\n"  # 12
        + "    low: 2\n"  # 13
        + "    high: 4\n"  # 14
        + "    distribution: beta\n",  # 15
    )
    from tests.test_bad_profiles import problems_of

    assert [(p.line, p.column, p.field) for p in problems_of([path], rulebook)] == [
        (6, 10, "scores.science.low"),
        (10, 10, "scores.economic.low"),
        (15, 19, "scores.innovation.distribution"),
    ]


def test_feasibility_factors_refuse_ranges(tmp_path, rulebook):
    path = write(tmp_path / "p.yaml", HEAD + "feasibility_factors:\n  talent: {value: 3, low: 2, high: 4}\n")
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.field) == (4, "feasibility_factors.talent.low")
    assert problem.message == '"low" is not allowed here: a range is for scores only, not for feasibility factors'


def test_the_old_unknown_key_message_still_lists_the_detail_keys_for_factors(tmp_path, rulebook):
    path = write(tmp_path / "p.yaml", HEAD + "feasibility_factors:\n  talent: {value: 3, valeu: 2}\n")
    assert only_problem(path, rulebook).message == 'unknown field "valeu" (allowed: value, source, note, assumption)'


def test_validate_reports_range_problems_with_file_line_and_field(tmp_path, run_cli):
    path = write(
        tmp_path / "p.yaml", HEAD + "scores:\n  science: {value: 4, low: 3}\n  economic: {value: 2, low: 3, high: 4}\n"
    )
    lines = assert_clean_failure(run_cli("validate", path))
    assert lines == [
        f'{path}:4:28: scores.science.low: a range needs both "low" and "high" ("high" is missing)',
        f'{path}:5:29: scores.economic.low: "low" 3 is above the value 2 (a range needs low <= value <= high)',
        "error: 2 problems in the profiles",
    ]


# --- output and schema -----------------------------------------------------------------------


def test_json_output_of_profiles_without_ranges_is_unchanged(run_cli):
    data = json.loads(run_cli("classify", "-f", "json").stdout)
    for item in data:
        for entry in [*item["scores"].values(), *item["factors"].values()]:
            assert not {"low", "high", "distribution"} & set(entry)


def test_json_and_explain_show_a_range(tmp_path, run_cli):
    path = write(
        tmp_path / "p.yaml", HEAD + "scores:\n  science: {value: 4, low: 3.5, high: 4.5, distribution: triangular}\n"
    )
    [item] = json.loads(run_cli("classify", path, "-f", "json").stdout)
    assert {k: item["scores"]["science"][k] for k in ("value", "low", "high", "distribution")} == {
        "value": 4.0,
        "low": 3.5,
        "high": 4.5,
        "distribution": "triangular",
    }
    assert "range 3.5-4.5 (triangular)" in run_cli("explain", "demo", path).stdout


@pytest.fixture(scope="module")
def validator(rulebook):
    schema = profile_json_schema(rulebook)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize(
    ("score", "ok"),
    [
        ({"value": 4, "low": 3, "high": 5}, True),
        ({"value": "+", "low": "+/-", "high": "++", "distribution": "triangular"}, True),
        ({"value": 4, "low": 3}, False),
        ({"value": 4, "high": 5}, False),
        ({"value": 4, "distribution": "uniform"}, False),
        ({"value": 4, "low": 3, "high": 5, "distribution": "normal"}, False),
        ({"value": 4, "low": "na", "high": 5}, False),
        ({"value": 4, "low": 3, "high": 6}, False),
    ],
)
def test_schema_knows_ranges(validator, score, ok):
    errors = list(validator.iter_errors({"id": "x", "name": "X", "scores": {"science": score}}))
    assert (not errors) is ok


def test_schema_refuses_ranges_on_factors(validator):
    profile = {"id": "x", "name": "X", "feasibility_factors": {"talent": {"value": 3, "low": 2, "high": 4}}}
    assert list(validator.iter_errors(profile))


def test_shipped_profiles_have_no_ranges_and_still_load(rulebook):
    for profile in load_profiles([DOMAINS_DIR], rulebook):
        assert all(entry.low is None and entry.high is None for entry in profile.scores.values())
