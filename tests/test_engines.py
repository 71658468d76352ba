"""The two engines check each other: durable-rules and zen-engine, compiled from the same
rules, must give identical results; the compiled JDM graph must answer as classify does;
choosing an engine follows one stated precedence and never ends in a traceback."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decision.engine import choice
from decision.engine.choice import DURABLE, ENVIRONMENT, ZEN, EngineUnavailable, resolve_engine
from decision.engine.rules_check import check_engines, score_grid
from decision.engine.walk import Engine, classify_all
from decision.engine.zen import compile_jdm, context_json, engine_decimal, evaluate_graph
from decision.errors import EngineError
from decision.inputs.profiles import DomainProfile, load_profiles
from decision.inputs.rulebook import load_rulebook
from decision.model.result import ScoreValue
from tests.conftest import CLI_ENV, DOMAINS_DIR, DURABLE_PROBLEM, REPO, requires_durable

SCORES = ("economic", "innovation", "technology", "science", "opportunity", "transition", "feasibility")


def profile(rulebook, values: dict[str, float | None], pid: str = "p") -> DomainProfile:
    scores = {k: ScoreValue(value=v) for k, v in values.items() if v is not None}
    return DomainProfile(id=pid, name=pid, file="generated", line=1, scores=scores)


def comparable(result) -> dict:
    data = result.model_dump(mode="json")
    assert data.pop("engine") in (DURABLE, ZEN)
    return data


def assert_same(rulebook, profiles):
    by_durable = classify_all(profiles, rulebook, DURABLE)
    by_zen = classify_all(profiles, rulebook, ZEN)
    assert {r.engine for r in by_durable} == {DURABLE}
    assert {r.engine for r in by_zen} == {ZEN}
    for a, b in zip(by_durable, by_zen, strict=True):
        assert comparable(a) == comparable(b), a.id


# ----------------------------------------------------------------------------- the grid


@requires_durable
@pytest.mark.parametrize(
    "overrides",
    # Each case walks the whole grid with both engines (about half a second): all slow.
    # The default run keeps the shipped case through the command line
    # (test_rules_check_engines_from_the_command_line, with the same counts) and
    # overridden thresholds through test_engines_agree_under_threshold_overrides.
    [
        pytest.param({}, marks=pytest.mark.slow),
        pytest.param({"science": 4.5}, marks=pytest.mark.slow),
        pytest.param({"economic": 0.0001, "opportunity": 2.999999}, marks=pytest.mark.slow),
        pytest.param({"transition": 0.0, "innovation": 5.0}, marks=pytest.mark.slow),
    ],
    ids=["shipped", "science-4.5", "tiny-and-odd", "scale-ends"],
)
def test_engines_fire_the_same_rules_everywhere_on_the_grid(rulebook, overrides):
    rules = rulebook.with_thresholds(overrides)
    report = check_engines(rules)
    assert report.disagreements == []
    grid = score_grid(rules)
    criteria = [rules.criteria[n.criterion] for n in rules.nodes.values()] + [
        rules.criteria[rules.feasibility.criterion]
    ]
    assert report.node_combinations == sum(math.prod(len(grid[s]) for s in c.scores) for c in criteria)
    assert report.profiles == math.prod(len(values) for values in grid.values())
    if not overrides:
        assert (report.node_combinations, report.profiles) == (180, 6**7)
    # Several patterns of node outcomes, each evaluated by the graph itself.
    assert report.patterns > 100


def _grid_profiles(rulebook, step: int):
    grid = score_grid(rulebook)
    names = list(grid)
    for index, values in enumerate(itertools.product(*(grid[n] for n in names))):
        if index % step == 0:
            yield profile(rulebook, dict(zip(names, values, strict=True)), f"g{index}")


@requires_durable
def test_engines_give_identical_results_on_a_stride_of_the_grid(rulebook):
    # Every 997th of the 279,936 grid profiles (281), with every field of the result
    # compared; the whole grid is the slow test below.
    assert_same(rulebook, list(_grid_profiles(rulebook, 997)))


@requires_durable
@pytest.mark.slow
def test_engines_give_identical_results_on_the_whole_grid(rulebook):
    profiles = list(_grid_profiles(rulebook, 1))
    assert len(profiles) == 6**7
    for start in range(0, len(profiles), 5000):
        assert_same(rulebook, profiles[start : start + 5000])


value = st.one_of(
    st.none(),
    st.sampled_from([0.0, 5.0, 3.0, 4.0, math.nextafter(4.0, 0), math.nextafter(3.0, 5), 5e-324, 1e-12]),
    st.floats(min_value=0, max_value=5, allow_nan=False),
)


@requires_durable
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({name: value for name in SCORES}))
def test_engines_agree_on_random_profiles_with_missing_values(rulebook, values):
    assert_same(rulebook, [profile(rulebook, values)])


@requires_durable
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.fixed_dictionaries({name: value for name in SCORES}),
    threshold=st.floats(min_value=0, max_value=5, allow_nan=False),
    score=st.sampled_from(SCORES),
)
def test_engines_agree_under_threshold_overrides(rulebook, values, threshold, score):
    # The values --threshold accepts (durable-rules cannot read 0 < t < 0.0001).
    if 0 < threshold < 1e-4:
        threshold = 0.0
    rules = rulebook.with_thresholds({score: threshold})
    assert_same(rules, [profile(rules, values)])


@requires_durable
def test_shipped_portfolios_are_identical_under_both_engines(rulebook):
    profiles = load_profiles([DOMAINS_DIR, DOMAINS_DIR / "technologies"], rulebook)
    assert len(profiles) >= 50
    assert_same(rulebook, profiles)


# ----------------------------------------------------------------------------- numbers


def test_zen_reads_numbers_next_to_a_threshold_exactly():
    below = math.nextafter(4.0, 0)
    assert engine_decimal(below, "x", 4.0) == "3.9999999999999996"
    assert json.loads(context_json({"economic": below, "science": None})) == {"economic": below}


@pytest.mark.parametrize(
    ("value", "threshold", "side"),
    [(5e-324, 4.0, -1), (5e-324, 0.0, 1), (1.2345678901234567e-15, 1e-15, 1), (1e-20, 1e-20, 0)],
)
def test_a_score_too_small_for_zen_keeps_its_side_of_the_threshold(value, threshold, side):
    from decimal import Decimal

    text = engine_decimal(value, "x", threshold)
    number, limit = Decimal(text), Decimal(repr(threshold))
    assert (number > limit) - (number < limit) == side == (value > threshold) - (value < threshold)
    assert len(text.split(".")[-1]) <= 28


def test_a_threshold_zen_cannot_read_is_refused_in_one_line(rulebook):
    rules = rulebook.with_thresholds({"science": 1.2345678901234567e-20})
    with pytest.raises(EngineError, match=r"cannot read the threshold of science=.* exactly; use --engine durable"):
        Engine(rules, ZEN)


# ----------------------------------------------------------------------------- the JDM graph


def test_the_jdm_file_answers_as_classify_for_every_shipped_profile(run_cli, rulebook, tmp_path):
    import zen

    result = run_cli("tree", "--format", "jdm")
    assert result.exit_code == 0, result.stderr
    graph = json.loads(result.stdout)
    assert graph == compile_jdm(rulebook)
    kinds = [node["type"] for node in graph["nodes"]]
    assert kinds.count("decisionTableNode") == len(rulebook.nodes) + 1
    decision = zen.ZenEngine().create_decision(result.stdout)
    classified = json.loads(run_cli("classify", "domains", "domains/technologies", "--format", "json").stdout)
    assert len(classified) >= 50
    profiles = {p.id: p for p in load_profiles([DOMAINS_DIR, DOMAINS_DIR / "technologies"], rulebook)}
    for item in classified:
        scores = {name: profiles[item["id"]].value(name) for name in rulebook.scores}
        # Straight through zen-engine's own API, as a user of the editor would.
        answer = decision.evaluate(context_json(scores))["result"]
        expected = {
            "category": item["category"],
            "variant": item["variant"],
            "leaf": item["leaf"]["code"] if item["leaf"] else None,
        }
        # zen-engine leaves out keys whose value is null.
        assert answer == {k: v for k, v in expected.items() if v is not None}, item["id"]
        assert evaluate_graph(result.stdout, scores) == expected


@requires_durable
def test_the_graph_names_its_rows_as_durable_rules_names_its_rules(rulebook):
    from decision.engine.durable import compile_ruleset

    graph = compile_jdm(rulebook)
    rows = {
        row["_id"] for node in graph["nodes"] if node["type"] == "decisionTableNode" for row in node["content"]["rules"]
    }
    assert rows == set(compile_ruleset(rulebook)) - {"no-rule-matched"}


def test_a_cycle_in_the_tree_is_refused_by_the_compiler(rulebook):
    from dataclasses import replace

    nodes = dict(rulebook.nodes)
    last = nodes["VT02"]
    nodes["VT02"] = last.model_copy(update={"if_no": "VT01"})
    with pytest.raises(EngineError, match="cycle"):
        compile_jdm(replace(rulebook, nodes=nodes))


# ----------------------------------------------------------------------------- choosing


def test_engine_precedence_option_then_environment_then_default(monkeypatch):
    monkeypatch.setenv(ENVIRONMENT, ZEN)
    if DURABLE_PROBLEM is None:
        assert resolve_engine(DURABLE).name == DURABLE
    else:
        with pytest.raises(EngineUnavailable, match="or choose --engine zen"):
            resolve_engine(DURABLE)
    assert resolve_engine(ZEN) == choice.EngineChoice(ZEN)
    assert resolve_engine(None) == choice.EngineChoice(ZEN)
    monkeypatch.delenv(ENVIRONMENT)
    if DURABLE_PROBLEM is None:
        assert resolve_engine(None) == choice.EngineChoice(DURABLE)
    else:
        assert resolve_engine(None).name == ZEN and DURABLE_PROBLEM in resolve_engine(None).note


def test_an_unknown_engine_in_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv(ENVIRONMENT, "drools")
    with pytest.raises(
        EngineUnavailable, match=r'DECISION_ENGINE: unknown engine "drools" \(known: durable-rules, zen\)'
    ):
        resolve_engine(None)


def test_without_durable_rules_the_default_is_zen_with_a_note(monkeypatch, run_cli):
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    monkeypatch.delitem(CLI_ENV, ENVIRONMENT, raising=False)
    problem = f"durable-rules is not installed; it needs this build on Python 3.13+: {choice.DURABLE_BUILD_313}"
    monkeypatch.setattr(choice, "durable_problem", lambda: problem)
    picked = resolve_engine(None)
    assert picked.name == ZEN and problem in picked.note and "--engine zen" in picked.note
    result = run_cli("classify", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("note: using zen-engine: durable-rules")
    assert {item["engine"] for item in json.loads(result.stdout)} == {ZEN}
    # Choosing zen says nothing.
    quiet = run_cli("classify", "--engine", "zen")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    # Asking for durable-rules where it does not load: one line, exit 4, no traceback.
    refused = run_cli("explain", "semiconductors", "--engine", "durable-rules")
    assert refused.exit_code == 4
    assert refused.stderr.count("\n") == 1 and "durable-rules is not installed" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_real_import_failure_is_reported_with_its_fix(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def failing(name, *args, **kwargs):
        if name == "durable_rules_engine":
            raise ImportError(
                "/venv/lib/python3.13/site-packages/durable_rules_engine.so: undefined symbol: PyEval_CallObject"
            )
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing)
    monkeypatch.delitem(__import__("sys").modules, "decision.engine.durable", raising=False)
    problem = choice.durable_problem()
    assert problem is not None
    assert "does not load on Python 3.13+" in problem and choice.DURABLE_BUILD_313 in problem


def test_commands_that_do_not_classify_never_resolve_an_engine(monkeypatch, run_cli):
    monkeypatch.delitem(CLI_ENV, ENVIRONMENT, raising=False)
    monkeypatch.setenv(ENVIRONMENT, "drools")
    for args in (["tree"], ["validate", "domains"], ["schema"]):
        result = run_cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
    assert run_cli("classify").exit_code == 4


# Slow (15-20 s): the whole proof or every golden case again; CI runs it (pytest -m slow).
@pytest.mark.slow
@pytest.mark.parametrize("engine", [pytest.param(DURABLE, marks=requires_durable), ZEN])
def test_golden_cli_output_is_the_same_under_each_engine(run_cli, monkeypatch, engine):
    from tests.test_cli_golden import CASES, GOLDEN

    monkeypatch.setitem(CLI_ENV, ENVIRONMENT, engine)
    for name, args in sorted(CASES.items()):
        result = run_cli(*args)
        assert result.exit_code == 0, (name, result.stderr)
        # Identical, except where a line names the engine that confirmed a result.
        expected = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")
        assert result.stdout == expected.replace("the durable-rules engine", f"the {engine} engine"), name


@requires_durable
def test_rules_check_engines_from_the_command_line(run_cli):
    result = run_cli("rules", "check", "--engines")
    assert result.exit_code == 0, result.stderr
    assert (
        "engines agree: durable-rules and zen fire the same rules at all 180 node/score combinations" in result.stdout
    )
    assert "all 279936 profiles of the grid" in result.stdout
    assert (REPO / "rules").is_dir()


@requires_durable
def test_rules_check_engines_reports_a_disagreement(run_cli, monkeypatch):
    from decision.engine import zen

    real = zen._conditions

    def skewed(criterion, rules):
        conditions = real(criterion, rules)
        if criterion.key == "S":
            # zen now reads the science threshold as 4.5 where durable-rules reads 4.
            conditions["yes"] = "(science != null and science >= 4.5)"
            conditions["no"] = "(science != null and science < 4.5)"
        return conditions

    monkeypatch.setattr(zen, "_conditions", skewed)
    monkeypatch.setattr(zen.ZenBackend, "_decisions", {})
    result = run_cli("rules", "check", "--engines")
    assert result.exit_code == 1
    assert "engines disagree: VT05 at science=4.0: durable-rules fires ['VT05.yes'], zen ['VT05.no']" in result.stderr
    assert "rules check FAILED: the engines disagree" in result.stderr


# ----------------------------------------------------------------------------- readings

READINGS = sorted(p.stem for p in (REPO / "rules" / "readings").glob("*.yaml"))


@requires_durable
@pytest.mark.parametrize("reading", READINGS)
def test_engines_agree_under_each_reading_on_a_stride_of_the_grid(reading):
    # A reading adds nodes and leaves: both engines must compile them alike.
    rules = load_rulebook(REPO / "rules", [reading])
    assert_same(rules, list(_grid_profiles(rules, 2999)))


@requires_durable
@pytest.mark.slow
@pytest.mark.parametrize("reading", READINGS)
def test_engines_fire_the_same_rules_on_the_grid_under_each_reading(reading):
    report = check_engines(load_rulebook(REPO / "rules", [reading]))
    assert report.disagreements == [] and report.ok


def test_two_threads_asking_whether_durable_loads_both_get_the_answer(monkeypatch):
    """The workshop room's server thread and its caller may ask at once. While one thread's
    import of decision.engine.durable fails slowly, the half-made module must not let the
    other thread think durable-rules loaded (seen on Python 3.13 in CI)."""
    import builtins
    import sys
    import threading
    import time

    from decision.engine import choice

    real_import = builtins.__import__

    def slow_failing(name, *args, **kwargs):
        if name == "durable_rules_engine":
            time.sleep(0.2)
            raise ModuleNotFoundError("No module named 'durable_rules_engine'", name="durable_rules_engine")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", slow_failing)
    monkeypatch.delitem(sys.modules, "decision.engine.durable", raising=False)
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(choice.durable_problem())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 2 and all(answer is not None for answer in answers), answers


@pytest.mark.parametrize("packed", [True, False], ids=["packed", "rows"])
def test_grid_patterns_count_what_walking_every_profile_counts(rulebook, monkeypatch, packed):
    # rules check counts profiles per pattern of node outcomes instead of walking each;
    # on a trimmed grid (four values a score) both are cheap, and must agree exactly.
    from decision.engine import rules_check
    from decision.engine.nodes import node_criteria

    if not packed:
        monkeypatch.setattr(rules_check, "PACKED_NODES", 0)
    grid = {name: values[:2] + values[-2:] for name, values in score_grid(rulebook).items()}
    nodes = node_criteria(rulebook)
    engine = Engine(rulebook, ZEN)
    table = {}
    for code, criterion in nodes.items():
        for values in itertools.product(*(grid[s] for s in criterion.scores)):
            fired = engine.fire(code, dict(zip(criterion.scores, values, strict=True)), all_matches=True)
            table[(code, values)] = fired[0].rsplit(".", 1)[1]
    walked: dict[tuple, list] = {}
    names = list(grid)
    for values in itertools.product(*(grid[n] for n in names)):
        scores = dict(zip(names, values, strict=True))
        pattern = tuple(table[(code, tuple(scores[s] for s in c.scores))] for code, c in nodes.items())
        walked.setdefault(pattern, [0, scores])[0] += 1
    counted = rules_check.grid_patterns(grid, nodes, table)
    assert [(count, scores) for count, scores in counted] == [(c, s) for c, s in walked.values()]
    assert sum(count for count, _ in counted) == math.prod(len(v) for v in grid.values())
