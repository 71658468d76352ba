"""``decision margins`` and the fragile flag of ``decision classify``.

The margins claim to be exact, so they are checked against brute force with the
durable-rules engine: every 0.01 of the scale plus the exact breakpoints (each threshold
and the floats next to it) for score margins, and many threshold values around every
domain value for threshold margins. The numpy-free evaluator behind the fragile flag
is checked against the bulk evaluator and the engine like the bulk evaluator itself.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision.analyses.margins import (
    bulk_evaluate,
    domain_margins,
    fragility,
    scalar_evaluate,
    score_classes,
    threshold_margins,
    with_fragility,
)
from decision.analyses.whatif import changed_profile, outcome_of
from decision.engine.scalar import ScalarEvaluator
from decision.engine.walk import Engine, classify_all
from decision.errors import EngineError, RulesError
from decision.inputs.profiles import DomainProfile, load_profiles
from decision.inputs.rulebook import load_rulebook
from decision.model.result import ScoreValue
from tests.conftest import DOMAINS_DIR, REPO, write
from tests.test_bad_profiles import assert_clean_failure

SCORES = ("economic", "innovation", "technology", "science", "opportunity", "transition", "feasibility")


@pytest.fixture(scope="module")
def profiles(rulebook):
    return {p.id: p for p in load_profiles([DOMAINS_DIR], rulebook)}


def _profile(values: dict[str, float | None], name: str = "row") -> DomainProfile:
    scores = {n: ScoreValue(value=v) for n, v in values.items() if v is not None}
    return DomainProfile(id=name, name=name, file="-", line=1, scores=scores)


def _grid(rulebook, score: str, value: float | None, step: float = 0.01) -> list[float]:
    """Every ``step`` of the scale, the threshold and its neighbouring floats, the value
    and its neighbours: enough to see every change of a piecewise-constant outcome."""
    low, high = rulebook.scale.min, rulebook.scale.max
    points = {round(low + i * step, 10) for i in range(round((high - low) / step) + 1)}
    t = rulebook.thresholds[score].value
    points |= {t, math.nextafter(t, -math.inf), math.nextafter(t, math.inf)}
    if value is not None:
        points |= {value, math.nextafter(value, -math.inf), math.nextafter(value, math.inf)}
    return sorted(p for p in points if low <= p <= high)


def _check_against_engine(rulebook, profile: DomainProfile, step: float = 0.01) -> None:
    """Assert every margin and range of ``profile`` against the engine on a fine grid."""
    engine = Engine(rulebook)
    [margins] = domain_margins(rulebook, [profile])
    base = outcome_of(engine.classify(profile))
    assert margins.outcome == base
    low, high = rulebook.scale.min, rulebook.scale.max
    for margin in margins.scores:
        value = profile.value(margin.score)
        assert margin.value == value
        grid = _grid(rulebook, margin.score, value, step)
        labels = {x: outcome_of(engine.classify(changed_profile(profile, {margin.score: x}))) for x in grid}
        # The ranges tile the scale, and each value has the outcome of its range.
        assert margin.ranges[0].low == low and margin.ranges[-1].high == high
        for before, after in itertools.pairwise(margin.ranges):
            assert after.low == math.nextafter(before.high, math.inf)
            assert after.outcome != before.outcome
        for x, label in labels.items():
            [segment] = [s for s in margin.ranges if s.low <= x <= s.high]
            assert label == segment.outcome, (margin.score, x)
        if value is None:
            assert margin.down is None and margin.up is None
            continue
        for move in (margin.down, margin.up):
            side = [x for x in grid if (x > value if move.direction == "up" else x < value)]
            side.sort(key=lambda x: abs(x - value))
            changed = [x for x in side if labels[x] != base]
            if not move.changes:
                assert changed == [], (margin.score, move.direction, changed[:3])
                assert move.text == "none within 0-5"
                continue
            # The nearest changing value is exactly the reported one, and nothing nearer changes.
            assert changed[0] == move.at, (margin.score, move.direction)
            assert labels[move.at] == move.to
            assert move.distance == float(abs(Fraction(move.at) - Fraction(value)))
            towards = math.inf if move.direction == "up" else -math.inf
            assert move.any_move == (move.at == math.nextafter(value, towards))


# --- exactness against the engine --------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("domain_id", ["semiconductors", "biotech", "architects-engineering"])
def test_score_margins_match_brute_force_with_the_engine(rulebook, profiles, domain_id):
    _check_against_engine(rulebook, profiles[domain_id])


def test_score_margins_match_the_engine_with_strict_thresholds(rules_copy):
    """With ``>`` thresholds the classes end differently ([0, 4] and (4, 5]); the same check."""
    path = rules_copy / "thresholds.yaml"
    text = path.read_text()
    for name in ("economic", "science", "opportunity"):
        block = f"  {name}:\n    value: "
        start = text.index(block)
        op_at = text.index('op: ">="', start)
        text = text[:op_at] + 'op: ">"' + text[op_at + len('op: ">="') :]
    path.write_text(text)
    rulebook = load_rulebook(rules_copy)
    assert rulebook.thresholds["science"].op == ">"
    assert [c.text for c in score_classes(rulebook, "science")] == ["[0, 4]", "(4, 5]"]
    at_threshold = _profile(
        {"economic": 4, "innovation": 4, "technology": 2, "science": 4.5, "opportunity": 3.5, "transition": 3},
        name="at-threshold",
    )
    [margins] = domain_margins(rulebook, [at_threshold])
    assert margins.outcome == "ecosystem-gap"
    by_score = {m.score: m for m in margins.scores}
    assert by_score["economic"].up.text == "any increase (above 4) -> strong"
    assert by_score["economic"].down.text == "none within 0-5"
    assert by_score["science"].down.text == "-0.5 (at 4) -> moonshot"
    assert by_score["science"].down.at == 4.0
    assert by_score["opportunity"].down.text == "-0.5 (at 3) -> no-focus/partnership"
    _check_against_engine(rulebook, at_threshold, step=0.05)
    _check_against_engine(rulebook, _profile({"economic": 4.2, "science": 4, "opportunity": 5}, "gaps"), step=0.05)


# Reclassifies the portfolio at about 200 threshold values (half a second); the default
# run keeps test_threshold_margins_of_the_shipped_portfolio and the score margins' checks.
@pytest.mark.slow
def test_threshold_margins_match_brute_force_with_the_engine(rulebook, profiles):
    portfolio = list(profiles.values())
    report = threshold_margins(rulebook, portfolio)
    base = [outcome_of(r) for r in classify_all(portfolio, rulebook)]
    low, high = rulebook.scale.min, rulebook.scale.max

    def changes_at(score: str, value: float) -> set[tuple[str, str, str]]:
        results = classify_all(portfolio, rulebook.with_thresholds({score: value}))
        return {
            (p.id, b, outcome_of(r)) for p, b, r in zip(portfolio, base, results, strict=True) if outcome_of(r) != b
        }

    for margin in report.thresholds:
        assert margin.low <= margin.value <= margin.high
        values = {p.value(margin.score) for p in portfolio} - {None}
        grid = {k / 4 for k in range(21)} | {margin.low, margin.high}
        for v in values:
            grid |= {v, math.nextafter(v, -math.inf), math.nextafter(v, math.inf)}
        # durable-rules cannot read thresholds between 0 and 0.0001 (see check_engine_number).
        for x in sorted(x for x in grid if low <= x <= high and not 0 < x < 1e-4):
            if margin.low <= x <= margin.high:
                assert changes_at(margin.score, x) == set(), (margin.score, x)
        for flip, end, beyond in ((margin.raising, margin.high, math.inf), (margin.lowering, margin.low, -math.inf)):
            if flip is None:
                assert end == (high if beyond > 0 else low)
                continue
            # Just outside the interval, exactly the reported domains change, to what is reported.
            assert flip.at == math.nextafter(end, beyond)
            assert changes_at(margin.score, flip.at) == {(d.id, d.before, d.after) for d in flip.domains}


def test_threshold_margins_of_the_shipped_portfolio(rulebook, profiles):
    report = threshold_margins(rulebook, list(profiles.values()))
    by_score = {m.score: m for m in report.thresholds}
    science = by_score["science"]
    assert science.text == "(3.5, 4]"
    assert (science.lowering.text, science.raising.text) == ("to 3.5", "above 4")
    assert {d.id for d in science.raising.domains} == {"biotech", "machinery"}
    feasibility = by_score["feasibility"]  # never read by the tree in mode warn
    assert (feasibility.text, feasibility.lowering, feasibility.raising) == ("[0, 5]", None, None)


# --- the edges the workshop asks about ---------------------------------------------------


def test_margin_at_exactly_a_threshold_is_any_decrease(rulebook, profiles):
    [margins] = domain_margins(rulebook, [profiles["biotech"]])
    economic = margins.scores[0]
    assert economic.value == 4.0
    assert economic.down.any_move
    assert economic.down.at == math.nextafter(4.0, -math.inf)
    assert economic.down.distance == 4.0 - math.nextafter(4.0, -math.inf)
    assert economic.down.text == "any decrease (below 4) -> ecosystem-gap"
    assert economic.up.text == "none within 0-5"


def test_margins_up_and_down_with_distances(rulebook, profiles):
    [margins] = domain_margins(rulebook, [profiles["semiconductors"]])
    by_score = {m.score: m for m in margins.scores}
    assert by_score["economic"].up.text == "+2 (at 4) -> strong"
    assert by_score["economic"].up.distance == 2.0
    assert by_score["science"].down.text == "-1 (below 4) -> moonshot"
    # "below 4" means more than 1 down: the exact distance says so.
    assert by_score["science"].down.distance == 5.0 - math.nextafter(4.0, -math.inf)
    assert by_score["opportunity"].down.to == "no-focus/partnership"


def test_scores_with_no_margin_either_way(rulebook, profiles):
    [margins] = domain_margins(rulebook, [profiles["semiconductors"]])
    by_score = {m.score: m for m in margins.scores}
    for name in ("innovation", "technology", "feasibility"):
        assert not by_score[name].down.changes and not by_score[name].up.changes
        assert by_score[name].text == "down: none within 0-5; up: none within 0-5"
        assert [s.outcome for s in by_score[name].ranges] == ["ecosystem-gap"]


def test_missing_scores_report_ranges(rulebook, profiles):
    [margins] = domain_margins(rulebook, [profiles["architects-engineering"]])
    by_score = {m.score: m for m in margins.scores}
    economic = by_score["economic"]
    assert economic.value is None and economic.down is None
    assert [(s.text, s.outcome) for s in economic.ranges] == [("[0, 4)", "moonshot"), ("[4, 5]", "ecosystem-gap")]
    assert economic.text == "missing; [0, 4) -> moonshot, [4, 5] -> ecosystem-gap"
    technology = by_score["technology"]  # innovation 5 already passes IT
    assert technology.text == "missing; any value gives undetermined (as now)"


# --- the evaluators ------------------------------------------------------------------------


def test_scalar_evaluator_matches_bulk_and_engine_on_threshold_grid(rulebook):
    names = list(rulebook.scores)
    thresholds = [rulebook.thresholds[n].value for n in names]
    axes = [[math.nextafter(t, -math.inf), t, None] for t in thresholds]
    rows = [dict(zip(names, combination, strict=True)) for combination in itertools.product(*axes)]
    scalar = ScalarEvaluator(rulebook).labels(rows)
    assert scalar == bulk_evaluate(rulebook)(rows, None)
    engine = Engine(rulebook)
    assert scalar[::7] == [outcome_of(engine.classify(_profile(row))) for row in rows[::7]]


score_value = st.one_of(
    st.none(),
    st.sampled_from([0.0, 5.0, 2.9999999999999996, 3.0, 3.9999999999999996, 4.0]),
    st.floats(min_value=0, max_value=5, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({n: score_value for n in SCORES}), min_size=1, max_size=30),
    st.sampled_from(["economic", "innovation", "science", "opportunity", "transition"]),
    st.one_of(st.none(), st.floats(min_value=0, max_value=5, allow_nan=False)),
)
def test_scalar_evaluator_matches_bulk_evaluator(rulebook, rows, name, threshold):
    overrides = None if threshold is None else {name: threshold}
    assert ScalarEvaluator(rulebook).labels(rows, overrides) == bulk_evaluate(rulebook)(rows, overrides)


# --- fragility -----------------------------------------------------------------------------


def test_fragility_is_the_margins_within_the_step(rulebook, profiles):
    portfolio = list(profiles.values())
    step = rulebook.workshop.fragile_step
    expected = []
    for margins in domain_margins(rulebook, portfolio):
        entries = []
        for margin in margins.scores:
            for move in (margin.down, margin.up):
                if move is not None and move.changes and Fraction(move.distance) <= Fraction(step):
                    entries.append(f"{margin.score} {move.amount} -> {move.to}")
        expected.append(entries)
    assert fragility(rulebook, portfolio) == expected
    assert fragility(rulebook, portfolio, evaluate=bulk_evaluate(rulebook)) == expected
    assert fragility(rulebook, portfolio, evaluate=scalar_evaluate(rulebook)) == expected
    by_id = dict(zip(profiles, expected, strict=True))
    assert by_id["chemicals"] == ["science +0.5 -> strong", "opportunity any decrease -> no-focus/internationalisation"]
    assert by_id["semiconductors"] == []
    assert by_id["biotech"] == ["economic any decrease -> ecosystem-gap", "science any decrease -> ecosystem-gap"]


def test_fragility_step_is_exact(rulebook):
    # 4.5 down to 4 still passes ">= 4": a step of 0.5 is not enough to fail, one just above is.
    profile = _profile({"economic": 4.5, "innovation": 5, "science": 5, "opportunity": 5, "transition": 5})
    assert fragility(rulebook, [profile], step=0.5) == [[]]
    assert fragility(rulebook, [profile], step=0.5000000000000004) == [["economic -0.5 -> ecosystem-gap"]]
    assert fragility(rulebook, [profile], step=0) == [[]]


def test_with_fragility_refuses_a_disagreement(rulebook, profiles):
    profile = profiles["semiconductors"]
    result = Engine(rulebook).classify(profile)
    wrong = result.model_copy(update={"category": "strong"})
    with pytest.raises(EngineError, match="semiconductors: the engine says strong, the evaluator ecosystem-gap"):
        with_fragility(rulebook, [profile], [wrong])


def test_classify_shows_fragility_in_every_format(run_cli):
    data = {d["id"]: d for d in json.loads(run_cli("classify", "-f", "json").stdout)}
    assert data["chemicals"]["fragile"] == [
        "science +0.5 -> strong",
        "opportunity any decrease -> no-focus/internationalisation",
    ]
    assert data["semiconductors"]["fragile"] == []
    csv_lines = run_cli("classify", "-f", "csv").stdout.splitlines()
    header = csv_lines[0].split(",")
    assert header[13] == "fragile"
    assert "science +0.5 -> strong; opportunity any decrease -> no-focus/internationalisation" in csv_lines[3]
    assert "fragile: science +0.5 -> strong;" in run_cli("classify").stdout
    assert "| fragile |" in run_cli("classify", "-f", "markdown").stdout
    explained = json.loads(run_cli("explain", "chemicals", "-f", "json").stdout)
    assert explained == data["chemicals"]


def test_classify_does_not_import_numpy():
    code = (
        "import sys; from typer.testing import CliRunner; from decision.cli.app import full_app; "
        "r = CliRunner().invoke(full_app(), ['classify', '-f', 'json']); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in ('numpy', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- rules/workshop.yaml ---------------------------------------------------------------------


def test_fragile_step_comes_from_the_rules(run_cli, rules_copy):
    (rules_copy / "workshop.yaml").write_text("fragile_step: 1\n")
    data = {d["id"]: d for d in json.loads(run_cli("classify", "-f", "json", "--rules", rules_copy).stdout)}
    assert "economic +1 -> ecosystem-gap" in data["electronics"]["fragile"]
    # Below 4 from 5 is more than 1 away: not fragile even with a step of 1.
    assert data["semiconductors"]["fragile"] == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fragile_step: 0.5\nfragile: yes\n", 'unknown field "fragile"'),
        ("fragile_step: -0.5\n", "must be at least 0"),
        ("fragile_step: .nan\n", "finite number"),
        ("fragile_step: 6\n", "must not exceed the width of the scale (5)"),
        ("{}\n", "required field is missing"),
    ],
)
def test_bad_workshop_settings_are_rules_errors(rules_copy, text, message):
    write(rules_copy / "workshop.yaml", text)
    with pytest.raises(RulesError) as caught:
        load_rulebook(rules_copy)
    [problem] = caught.value.problems
    assert problem.file.endswith("workshop.yaml")
    assert message in problem.message


def test_missing_workshop_file_is_a_rules_error(run_cli, rules_copy):
    (rules_copy / "workshop.yaml").unlink()
    lines = assert_clean_failure(run_cli("classify", "--rules", rules_copy), exit_code=3)
    assert lines[0].endswith("workshop.yaml:1:1: file: missing rules file")


# --- the command ---------------------------------------------------------------------------


def test_cli_margins_json(run_cli):
    single = json.loads(run_cli("margins", "semiconductors", "-f", "json").stdout)
    assert single["id"] == "semiconductors" and single["outcome"] == "ecosystem-gap"
    assert [s["score"] for s in single["scores"]] == list(SCORES)
    every = json.loads(run_cli("margins", "--all", "-f", "json").stdout)
    assert len(every) == 12
    assert next(m for m in every if m["id"] == "semiconductors") == single
    one_file = json.loads(run_cli("margins", "--all", "domains/semiconductors.yaml", "-f", "json").stdout)
    assert one_file == [single]


def test_cli_margins_all_text(run_cli):
    result = run_cli("margins", "--all")
    assert result.exit_code == 0, result.stderr
    assert "Score margins" in result.stdout
    assert "architects-engineering" in result.stdout
    assert "if given: [0, 4) ->" in result.stdout


def test_cli_threshold_margins_under_an_override(run_cli):
    data = json.loads(run_cli("margins", "--thresholds", "--threshold", "science=4.5", "-f", "json").stdout)
    science = next(t for t in data["thresholds"] if t["score"] == "science")
    assert (science["value"], science["origin"]) == (4.5, "--threshold")
    assert science["low"] <= 4.5 <= science["high"]
    assert "science >= 4.5" in run_cli("margins", "--thresholds", "--threshold", "science=4.5").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: give a domain ID, --all or --thresholds"),
        (["--all", "--thresholds"], "error: give either --all or --thresholds, not both"),
        (["nanotech"], 'error: no domain with id "nanotech" (known: '),
        (["semiconductors", "--threshold", "sciense=4"], 'unknown score "sciense"'),
        (["--thresholds", "--threshold", "science=7"], "a threshold must lie within 0-5"),
    ],
)
def test_cli_margins_bad_input(run_cli, args, message):
    lines = assert_clean_failure(run_cli("margins", *args))
    assert len(lines) == 1
    assert lines[0].startswith(message) or message in lines[0]


def test_cli_margins_all_with_a_missing_path_lists_the_problem(run_cli):
    lines = assert_clean_failure(run_cli("margins", "--all", "no-such-folder"))
    assert lines[0] == "no-such-folder:1:1: path: no such file or folder"
