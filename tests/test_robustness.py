"""``decision robustness``: exact shares checked against closed forms, against draws and
against the durable-rules engine; draws (``--method monte-carlo``) checked against analytic
probabilities and reproducible for a seed."""

from __future__ import annotations

import ast
import itertools
import json
import math
import operator
import random
import time
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
import yaml

from decision.analyses import exact_shares
from decision.analyses import robustness as robustness_module
from decision.analyses.exact_shares import ExactSolver, Law, ScoreInput
from decision.analyses.robustness import DomainInputs, Variation, domain_inputs, run_exact, run_robustness
from decision.engine.bulk import BulkEvaluator, outcome_label
from decision.engine.walk import Engine
from decision.inputs.profiles import load_profiles
from decision.inputs.readings import available_readings
from decision.inputs.sheets import load_sheets
from decision.model.result import ScoreValue
from tests.conftest import CLI_ENV, DOMAINS_DIR, REPO, write
from tests.test_bad_profiles import assert_clean_failure

EXAMPLE_SHEETS = REPO / "examples" / "workshop-sheets"
# Everything strong except the science score under test: science alone decides between
# strong (science passes) and ecosystem-gap, missing science (it fails).
STRONG_BUT_SCIENCE = (
    "id: demo\nname: Demo\nscores:\n"
    "  economic: 5\n  innovation: 5\n  technology: 5\n  opportunity: 4\n  transition: 4\n  feasibility: 3\n"
)


def science_profile(tmp_path, science: str):
    return write(tmp_path / "demo.yaml", STRONG_BUT_SCIENCE + f"  science: {science}\n")


def shares(run_cli, *args) -> dict:
    result = run_cli("robustness", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def demo_shares(run_cli, path, *args) -> dict[str, float]:
    """The drawn shares of the one domain in ``path``."""
    [domain] = shares(run_cli, path, "--method", "monte-carlo", *args)["domains"]
    return domain["shares"]


# --- against analytic probabilities ------------------------------------------------------------


def test_uniform_range_straddling_the_threshold_splits_about_evenly(tmp_path, run_cli):
    path = science_profile(tmp_path, "{value: 4, low: 3.5, high: 4.5}")
    got = demo_shares(run_cli, path, "--draws", "20000")
    assert set(got) == {"strong", "ecosystem-gap"}
    # P(science >= 4) = 0.5; 20,000 draws: standard error 0.0035, tolerance about 4 of them.
    assert got["strong"] == pytest.approx(0.5, abs=0.015)


def test_uniform_share_follows_the_threshold(tmp_path, run_cli):
    path = science_profile(tmp_path, "{value: 4, low: 3, high: 5}")
    got = demo_shares(run_cli, path, "--draws", "20000", "--threshold", "science=4.5")
    assert got["strong"] == pytest.approx(0.25, abs=0.015)  # (5 - 4.5) / (5 - 3)


def test_triangular_range_uses_value_as_mode(tmp_path, run_cli):
    path = science_profile(tmp_path, "{value: 4, low: 3, high: 5, distribution: triangular}")
    got = demo_shares(run_cli, path, "--draws", "20000", "--threshold", "science=4.5")
    # P(X >= 4.5) for triangular(3, 4, 5) = (5 - 4.5)^2 / ((5 - 3) * (5 - 4)) = 0.125
    assert got["strong"] == pytest.approx(0.125, abs=0.012)


@pytest.mark.parametrize(
    ("science", "threshold", "expected"),
    [
        ("{value: 4.5, low: 4, high: 5}", [], "strong"),  # the lower end sits on the threshold: >= passes
        ("{value: 3, low: 2, high: 3.9}", [], "ecosystem-gap"),
        ("{value: 4, low: 3.5, high: 4.5}", ["--threshold", "science=3.5"], "strong"),
        ("{value: 4, low: 3, high: 5, distribution: triangular}", ["--threshold", "science=2"], "strong"),
    ],
)
def test_range_entirely_on_one_side_gives_one_outcome(tmp_path, run_cli, science, threshold, expected):
    path = science_profile(tmp_path, science)
    assert demo_shares(run_cli, path, "--draws", "5000", *threshold) == {expected: 1.0}


def test_a_missing_score_stays_missing_in_every_draw(tmp_path, run_cli):
    path = write(
        tmp_path / "demo.yaml",
        "id: demo\nname: Demo\nscores:\n  economic: 5\n  science: 5\n  opportunity: 4\n  transition: 4\n"
        "  innovation: {value: 4, low: 3.5, high: 4.5}\n",
    )
    got = demo_shares(run_cli, path, "--draws", "20000")
    # IT is innovation >= 4 or technology >= 4, and technology is missing: when the drawn
    # innovation passes, IT passes (strong); when it fails, the missing technology decides
    # between strong and ecosystem-gap (undetermined).
    assert set(got) == {"strong", "undetermined"}
    assert got["undetermined"] == pytest.approx(0.5, abs=0.015)


@pytest.mark.parametrize("method", ["exact", "monte-carlo"])
def test_shipped_domains_without_ranges_land_in_their_category_every_time(run_cli, rulebook, method):
    data = shares(run_cli, "--draws", "1000", "--method", method)
    assert data["method"] == method
    engine = Engine(rulebook)
    by_id = {p.id: p for p in load_profiles([DOMAINS_DIR], rulebook)}
    assert len(data["domains"]) == len(by_id)
    for domain in data["domains"]:
        result = engine.classify(by_id[domain["id"]])
        label = "undetermined" if result.category == "undetermined" else outcome_label(result.category, result.variant)
        assert domain["shares"] == {label: 1.0}
        assert domain["as_profiled"] == label
        assert domain["varied"] == []
        assert domain["method"] == method


# --- sheets, against an exact enumeration through the engine ----------------------------------


def exact_sheet_shares(profile, sheets, rulebook) -> dict[str, Fraction]:
    """Every combination of participants' values (one participant per score, equally
    likely), classified by the durable-rules engine: the exact limit of the shares."""
    engine = Engine(rulebook)
    options = {}
    for name in rulebook.scores:
        given = sheets.values(profile.id, name)
        if given:
            options[name] = [g.value for g in given]
    counts: Counter = Counter()
    names = list(options)
    for combination in itertools.product(*(options[n] for n in names)):
        scores = dict(profile.scores)
        scores.update({n: ScoreValue(value=v) for n, v in zip(names, combination, strict=True)})
        result = engine.classify(profile.model_copy(update={"scores": scores}))
        counts[
            "undetermined" if result.category == "undetermined" else outcome_label(result.category, result.variant)
        ] += 1
    total = sum(counts.values())
    return {label: Fraction(count, total) for label, count in counts.items()}


@pytest.mark.slow
def test_sheet_draws_match_the_exact_shares_from_the_engine(rulebook):
    profiles = load_profiles([DOMAINS_DIR], rulebook)
    sheets = load_sheets(EXAMPLE_SHEETS, rulebook, [p.id for p in profiles])
    report = run_robustness(domain_inputs(profiles, rulebook, sheets), rulebook, draws=40_000, seed=7, sheets=sheets)
    by_id = {p.id: p for p in profiles}
    assert [d.id for d in report.domains] == ["biotech", "chemicals", "semiconductors"]
    for domain in report.domains:
        exact = exact_sheet_shares(by_id[domain.id], sheets, rulebook)
        assert set(domain.counts) == set(exact), domain.id
        for label, probability in exact.items():
            assert domain.share(label) == pytest.approx(float(probability), abs=0.012), (domain.id, label)
    # Spelled out for one domain: biotech is strong unless bram's economic 3.5 is drawn.
    assert exact_sheet_shares(by_id["biotech"], sheets, rulebook) == {
        "strong": Fraction(2, 3),
        "ecosystem-gap": Fraction(1, 3),
    }


def test_sheets_take_precedence_over_a_profile_range(tmp_path, rulebook):
    path = write(tmp_path / "demo.yaml", STRONG_BUT_SCIENCE + "  science: {value: 4, low: 0, high: 5}\n")
    write(tmp_path / "sheets" / "ann.csv", "id,science\ndemo,4.5\n")
    profiles = load_profiles([path], rulebook)
    sheets = load_sheets(tmp_path / "sheets", rulebook, ["demo"])
    [inputs] = domain_inputs(profiles, rulebook, sheets)
    assert [(v.score, v.kind, v.varies) for v in inputs.variations] == [("science", "sheets", False)]
    [domain] = run_robustness([inputs], rulebook, draws=1000, sheets=sheets).domains
    assert domain.counts == {"strong": 1000}


def test_a_score_nobody_scored_keeps_its_range(tmp_path, rulebook):
    path = write(tmp_path / "demo.yaml", STRONG_BUT_SCIENCE + "  science: {value: 4, low: 3.5, high: 4.5}\n")
    write(tmp_path / "sheets" / "ann.csv", "id,economic\ndemo,5\n")
    profiles = load_profiles([path], rulebook)
    sheets = load_sheets(tmp_path / "sheets", rulebook, ["demo"])
    [inputs] = domain_inputs(profiles, rulebook, sheets)
    assert [(v.score, v.kind) for v in inputs.variations] == [("economic", "sheets"), ("science", "range")]


def test_with_sheets_only_the_domains_they_score_are_reported(run_cli):
    data = shares(run_cli, "--sheets", EXAMPLE_SHEETS)
    assert [d["id"] for d in data["domains"]] == ["biotech", "chemicals", "semiconductors"]
    assert data["participants"] == ["an", "bram", "chloe"]
    economic = next(v for v in data["domains"][0]["varied"] if v["score"] == "economic")
    assert economic == {"score": "economic", "from": "sheets", "low": 3.5, "high": 4.5,
                        "participants": {"an": 4.0, "bram": 3.5, "chloe": 4.5}}  # fmt: skip


# --- reproducibility -----------------------------------------------------------------------------


def test_same_seed_same_output_different_seed_different_counts(tmp_path, run_cli):
    path = science_profile(tmp_path, "{value: 4, low: 3.5, high: 4.5}")
    mc = ("--method", "monte-carlo")
    first = run_cli("robustness", path, *mc, "--seed", "11", "-f", "json").stdout
    again = run_cli("robustness", path, *mc, "--seed", "11", "-f", "json").stdout
    other = run_cli("robustness", path, *mc, "--seed", "12", "-f", "json").stdout
    assert first == again
    assert json.loads(first)["seed"] == 11
    assert json.loads(first)["domains"][0]["counts"] != json.loads(other)["domains"][0]["counts"]


def test_default_seed_is_fixed_and_reported(tmp_path, run_cli):
    path = science_profile(tmp_path, "{value: 4, low: 3.5, high: 4.5}")
    mc = ("--method", "monte-carlo")
    default = run_cli("robustness", path, *mc, "-f", "json").stdout
    assert json.loads(default)["seed"] == 0
    assert json.loads(default)["method"] == "monte-carlo"
    assert default == run_cli("robustness", path, *mc, "--seed", "0", "-f", "json").stdout
    assert json.loads(default)["draws"] == 10_000
    assert "10000 draws per domain; seed 0" in run_cli("robustness", path, *mc).stdout


def test_results_do_not_depend_on_how_rows_are_batched(rulebook, monkeypatch):
    profiles = load_profiles([DOMAINS_DIR], rulebook)
    sheets = load_sheets(EXAMPLE_SHEETS, rulebook, [p.id for p in profiles])
    inputs = domain_inputs(profiles, rulebook, sheets)
    reference = run_robustness(inputs, rulebook, draws=70_000, seed=3, sheets=sheets)
    monkeypatch.setattr(robustness_module, "MAX_ROWS", 1)  # one domain per evaluator call
    seen = []
    batched = run_robustness(inputs, rulebook, draws=70_000, seed=3, sheets=sheets, progress=seen.append)
    assert [d.counts for d in batched.domains] == [d.counts for d in reference.domains]
    assert sum(seen) == 70_000 * len(inputs)


# --- the command line -----------------------------------------------------------------------------


def test_json_output_has_no_progress_and_nothing_on_stderr(run_cli):
    result = run_cli("robustness", "--method", "monte-carlo", "--draws", "30000", "-f", "json")  # 360,000 rows
    assert result.exit_code == 0
    assert result.stderr == ""
    json.loads(result.stdout)


def test_text_output_without_a_terminal_has_no_progress_bar(run_cli):
    result = run_cli("robustness", "--method", "monte-carlo", "--draws", "30000")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "robustness of the classification" in result.stdout


@pytest.mark.parametrize(
    ("draws", "fmt", "shown"),
    [("30000", "text", True), ("10000", "text", False), ("30000", "json", False)],
    ids=["long-text", "short-text", "long-json"],
)
def test_progress_bar_only_on_long_text_runs_at_a_terminal(run_cli, monkeypatch, draws, fmt, shown):
    from decision.cli.commands import robustness as command

    monkeypatch.setattr(command, "_watched", lambda console: True)  # as if at a terminal
    started = []
    real = run_robustness

    def spy(*args, progress=None, **kwargs):
        started.append(progress is not None)
        return real(*args, progress=progress, **kwargs)

    monkeypatch.setattr("decision.analyses.robustness.run_robustness", spy)
    result = run_cli("robustness", "--method", "monte-carlo", "--draws", draws, "-f", fmt)
    assert result.exit_code == 0
    assert started == [shown]  # 12 domains: 360,000 rows is long, 120,000 is not


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--draws", "0"], "--draws"),
        (["--seed", "-1"], "--seed"),
        (["--draws", "many"], "--draws"),
        (["--threshold", "science=9"], "a threshold must lie within 0-5"),
        (["--threshold", "science"], "expected NAME=VALUE or NAME=LOW..HIGH"),
        (["--threshold", "science=4.5..4"], "a range needs LOW below HIGH"),
        (["--threshold", "science=4..6"], "a threshold must lie within 0-5"),
        (["--threshold", "science=4..x"], "a range is LOW..HIGH with two numbers"),
        (["--threshold", "sciense=4..4.5"], 'unknown score "sciense"'),
        (["--threshold", "science=4..4.5", "--threshold", "science=4"], "science is given more than once"),
        (["--method", "dice"], "--method"),
        (["--readings", "--reading", "feasibility-demotes"], "--readings"),
    ],
)
def test_bad_options_exit_2(run_cli, args, fragment):
    result = run_cli("robustness", *args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_profile_ranges_are_reported_like_any_profile_problem(tmp_path, run_cli):
    path = science_profile(tmp_path, "{value: 4, low: 4.5, high: 5}")
    lines = assert_clean_failure(run_cli("robustness", path))
    assert lines[0].startswith(f"{path}:10:")
    assert lines[-1] == "error: 1 problem in the profiles"


# --- exact shares ---------------------------------------------------------------------------------

EXACT_CASES = yaml.safe_load((REPO / "tests" / "data" / "robustness_exact.yaml").read_text(encoding="utf-8"))["cases"]
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.Pow: operator.pow}  # fmt: skip


def closed_form(expression: str) -> float:
    """The value of an arithmetic expression of numbers (+ - * / ** and brackets only)."""

    def value(node):
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        raise ValueError(f"not a closed form: {expression}")

    return float(value(ast.parse(str(expression), mode="eval")))


def exact_case_json(tmp_path, run_cli, case) -> dict:
    """Run a case of tests/data/robustness_exact.yaml through the CLI; its one domain's JSON."""
    profile = {"id": "demo", "name": "Demo", "scores": case["scores"]}
    path = write(tmp_path / "demo.yaml", yaml.safe_dump(profile))
    args = [path]
    for option in case.get("thresholds", []):
        args += ["--threshold", option]
    for score, values in case.get("sheets", {}).items():
        for number, value in enumerate(values):
            write(tmp_path / "sheets" / f"p{number}.csv", f"id,{score}\ndemo,{value}\n")
        args += ["--sheets", tmp_path / "sheets"]
    data = shares(run_cli, *args)
    assert data["method"] == "exact"
    assert data["margin_95"] == 0
    [domain] = data["domains"]
    return domain


@pytest.mark.parametrize("case", EXACT_CASES, ids=[c["name"] for c in EXACT_CASES])
def test_exact_shares_equal_closed_forms(tmp_path, run_cli, case):
    domain = exact_case_json(tmp_path, run_cli, case)
    assert domain["method"] == "exact"
    assert domain["counts"] is None  # the key stays for readers of the drawn output
    for section, expected in case["expected"].items():
        got = domain[section]
        for label, expression in expected.items():
            assert got.get(label, 0) == pytest.approx(closed_form(expression), abs=1e-6), (section, label)
        assert sum(got.values()) == pytest.approx(1, abs=1e-5), section
    accepted = domain["acceptability"]
    for category, profile in case.get("central", {}).items():
        for score, expression in profile.items():
            assert accepted["central_profiles"][category][score] == pytest.approx(closed_form(expression), abs=1e-6)
    for name, (first, total) in case.get("sensitivity", {}).items():
        found = accepted["sensitivity"][name]
        assert found["first_order"] == pytest.approx(closed_form(first), abs=1e-6), name
        assert found["total"] == pytest.approx(closed_form(total), abs=1e-6), name
    assert accepted["probability"] == pytest.approx(domain["categories"].get(accepted["category"], 0), abs=1e-6)
    assert accepted["entropy_bits"] == pytest.approx(
        -sum(p * math.log2(p) for p in domain["categories"].values() if p > 0), abs=1e-5
    )


def test_a_missing_score_is_undetermined_never_weak(tmp_path, run_cli):
    [case] = [c for c in EXACT_CASES if c["name"] == "a missing score"]
    domain = exact_case_json(tmp_path, run_cli, case)
    assert "ecosystem-gap" not in domain["categories"]  # a missing technology is not a failed one
    assert domain["acceptability"]["central_profiles"]["strong"]["technology"] is None


# Random independent profiles: each score exact, missing, uniform, triangular or sheets; some
# thresholds uncertain. Draws are a stand-in for the integral, with a known error.
def random_inputs(rng: random.Random, rulebook, count: int):
    inputs, ranges = [], []
    for number in range(count):
        values, variations = {}, []
        for name in rulebook.scores:
            kind = rng.choice(["exact", "missing", "uniform", "triangular", "sheets"])
            value = rng.choice([2, 3, 3.5, 4, 4.5, 5])
            values[name] = math.nan if kind == "missing" else float(value)
            if kind in ("uniform", "triangular"):
                low, high = max(0.0, value - rng.choice([0.5, 1, 1.5])), min(5.0, value + rng.choice([0.5, 1]))
                variations.append(Variation(name, "range", float(value), low, high, kind))
            elif kind == "sheets":
                given = tuple((f"p{i}", rng.choice([2.5, 3, 3.5, 4, 4.5])) for i in range(rng.randint(1, 4)))
                variations.append(
                    Variation(
                        name,
                        "sheets",
                        float(value),
                        min(v for _, v in given),
                        max(v for _, v in given),
                        participants=given,
                    )
                )
        inputs.append(DomainInputs(f"random-{number}", "random", values, tuple(variations)))
        ranges.append({name: (rulebook.thresholds[name].value - 0.5, rulebook.thresholds[name].value + 0.25)
                       for name in rng.sample(list(rulebook.scores), rng.randint(0, 2))})  # fmt: skip
    return inputs, ranges


def assert_exact_agrees_with_draws(rulebook, count: int, draws: int, seed: int):
    inputs, ranges = random_inputs(random.Random(seed), rulebook, count)
    for domain, spans in zip(inputs, ranges, strict=True):
        book = rulebook.with_threshold_ranges(spans)
        [exact] = run_exact([domain], book, threshold_ranges=spans).domains
        [drawn] = run_robustness([domain], book, draws=draws, seed=seed, threshold_ranges=spans).domains
        assert exact.as_profiled == drawn.as_profiled
        for section in ("outcomes", "categories", "leaves"):
            if section == "outcomes":
                got, want = {k: drawn.share(k) for k in drawn.outcomes}, exact.probabilities
            else:
                got, want = getattr(drawn, section), getattr(exact, section)
            for label in set(got) | set(want):
                p = want.get(label, 0.0)
                # Five standard errors, and a floor for shares too small to be drawn at all.
                tolerance = 5 * math.sqrt(p * (1 - p) / draws) + 5 / draws
                assert got.get(label, 0.0) == pytest.approx(p, abs=tolerance), (domain.id, section, label, spans)


def test_exact_agrees_with_draws_on_random_profiles(rulebook):
    assert_exact_agrees_with_draws(rulebook, count=12, draws=100_000, seed=5)


@pytest.mark.slow
def test_exact_agrees_with_a_million_draws_on_random_profiles(rulebook):
    assert_exact_agrees_with_draws(rulebook, count=40, draws=1_000_000, seed=11)


def brute_force_sobol(rulebook, scores: list[ScoreInput], target: str) -> dict[str, tuple[float, float]]:
    """First-order and total indices by enumerating every combination of atoms of every
    score and threshold (no boxes): Var E[Y | input] and E Var[Y | all other inputs]."""
    evaluator = BulkEvaluator(rulebook)
    axes = []  # (input name, score index, is threshold, atoms)
    for index, entry in enumerate(scores):
        axes.append((entry.name, index, False, entry.law.atoms if entry.law else ((math.nan, 1.0),)))
        axes.append((f"threshold {entry.name}", index, True, entry.threshold.atoms))
    combos = list(itertools.product(*(range(len(atoms)) for *_, atoms in axes)))
    weights = np.array([math.prod(axes[k][3][i][1] for k, i in enumerate(c)) for c in combos])
    columns = []
    for index, entry in enumerate(scores):
        score_axis, threshold_axis = 2 * index, 2 * index + 1
        x = np.array([axes[score_axis][3][c[score_axis]][0] for c in combos])
        t = np.array([axes[threshold_axis][3][c[threshold_axis]][0] for c in combos])
        columns.append(x - t + rulebook.thresholds[entry.name].value)  # x >= t as x - t + t0 >= t0
    found = evaluator.evaluate(dict(zip(evaluator.score_names, columns, strict=True)))
    labels = ["undetermined" if code < 0 else evaluator.labels[code].split("/")[0] for code in found.outcome]
    y = np.array([label == target for label in labels], dtype=float)
    mean = float(weights @ y)
    variance = mean * (1 - mean)
    indices = {}
    for k, (name, *_rest, atoms) in enumerate(axes):
        if len(atoms) == 1:
            continue
        first = 0.0
        for i in range(len(atoms)):
            rows = np.array([c[k] == i for c in combos])
            mass = weights[rows].sum()
            first += mass * (float(weights[rows] @ y[rows]) / mass - mean) ** 2
        total = 0.0
        others = {}
        for row, c in enumerate(combos):
            others.setdefault(c[:k] + c[k + 1 :], []).append(row)
        for rows in others.values():
            w, v = weights[rows], y[rows]
            m = float(w @ v) / w.sum()
            total += float(w @ (v - m) ** 2)
        indices[name] = (first / variance, total / variance)
    return indices


@pytest.mark.parametrize("seed", [1, 2, *(pytest.param(seed, marks=pytest.mark.slow) for seed in (0, 3, 4, 5))])
def test_sobol_indices_equal_a_brute_force_enumeration(rulebook, seed):
    rng = random.Random(seed)
    scores = []
    for name in rulebook.scores:
        op = rulebook.thresholds[name].op
        law = rng.choice([None, Law.exact(4), Law.discrete([3, 4, 4.5]), Law.discrete([2, 3.5, 5, 5])])
        limit = rng.choice([Law.exact(rulebook.thresholds[name].value), Law.discrete([3.5, 4, 4.5])])
        scores.append(ScoreInput(name, law, limit, op))
    solver = ExactSolver(rulebook)
    plain = solver.solve(scores, "strong")
    if not 0 < plain.categories.get("strong", 0) < 1:
        target = next(iter(plain.categories))
        plain = solver.solve(scores, target)
    found = plain.sensitivity
    expected = brute_force_sobol(rulebook, scores, plain.target)
    first_sum = sum(s.first_order for s in found.values())
    assert first_sum <= 1 + 1e-9
    for name, sensitivity in found.items():
        assert 0 <= sensitivity.first_order <= sensitivity.total + 1e-12 <= 1 + 1e-9
        want = expected.get(name, (0.0, 0.0))
        assert sensitivity.first_order == pytest.approx(want[0], abs=1e-9), name
        assert sensitivity.total == pytest.approx(want[1], abs=1e-9), name


def test_sobol_indices_vanish_for_scores_that_never_decide(tmp_path, run_cli):
    # The default tree never reads feasibility; with innovation 5, technology never decides IT.
    path = write(
        tmp_path / "demo.yaml",
        "id: demo\nname: Demo\nscores:\n  economic: {value: 4, low: 3.5, high: 4.5}\n  innovation: 5\n"
        "  technology: {value: 4, low: 3, high: 5}\n  science: {value: 4, low: 3, high: 5}\n"
        "  opportunity: 4\n  transition: 4\n  feasibility: {value: 3, low: 2, high: 4}\n",
    )
    [domain] = shares(run_cli, path)["domains"]
    sensitivity = domain["acceptability"]["sensitivity"]
    assert sensitivity["feasibility"] == {"first_order": 0, "total": 0}
    assert sensitivity["technology"] == {"first_order": 0, "total": 0}
    assert sensitivity["economic"]["total"] > 0 and sensitivity["science"]["total"] > 0
    # Under the reading that lets feasibility demote, it matters.
    [demoted] = shares(run_cli, path, "--reading", "feasibility-demotes")["domains"]
    assert demoted["acceptability"]["sensitivity"]["feasibility"]["total"] > 0


def test_exact_shares_of_the_example_sheets_equal_the_engine_enumeration(rulebook):
    profiles = load_profiles([DOMAINS_DIR], rulebook)
    sheets = load_sheets(EXAMPLE_SHEETS, rulebook, [p.id for p in profiles])
    report = run_exact(domain_inputs(profiles, rulebook, sheets), rulebook, sheets=sheets)
    [biotech] = [d for d in report.domains if d.id == "biotech"]
    # bram's economic 3.5 is the only value that moves biotech (see the slow test below).
    assert biotech.probabilities == pytest.approx({"strong": 2 / 3, "ecosystem-gap": 1 / 3}, abs=1e-12)
    assert biotech.acceptability.matters_most == "economic"


@pytest.mark.slow
def test_exact_sheet_shares_equal_the_engine_enumeration_for_every_domain(rulebook):
    profiles = load_profiles([DOMAINS_DIR], rulebook)
    sheets = load_sheets(EXAMPLE_SHEETS, rulebook, [p.id for p in profiles])
    report = run_exact(domain_inputs(profiles, rulebook, sheets), rulebook, sheets=sheets)
    by_id = {p.id: p for p in profiles}
    for domain in report.domains:
        exact = exact_sheet_shares(by_id[domain.id], sheets, rulebook)
        assert domain.probabilities == pytest.approx({k: float(v) for k, v in exact.items()}, abs=1e-12)


def test_too_many_boxes_fall_back_to_draws_and_say_so(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(exact_shares, "MAX_CELLS", 1)
    path = science_profile(tmp_path, "{value: 4, low: 3.5, high: 4.5}")
    data = shares(run_cli, path, "--draws", "2000")
    [domain] = data["domains"]
    assert data["method"] == "exact"
    assert domain["method"] == "monte-carlo"
    assert "drawn instead" in domain["notice"]
    assert data["draws"] == 2000 and data["margin_95"] > 0
    text = run_cli("robustness", path).stdout
    assert "demo: too many combinations" in text
    assert "drawn shares ±" in text
    # Too long for 60 columns, the notice wraps under its text, not to column 0.
    monkeypatch.setitem(CLI_ENV, "COLUMNS", "60")
    lines = run_cli("robustness", path).stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("demo: too many"))
    assert lines[start + 1].startswith(" " * len("demo: ")) and lines[start + 1].strip()
    assert " ".join(line.strip() for line in lines[start : start + 2]).endswith("with sampling error")


def test_exact_is_the_default_and_the_table_answers_the_workshop_questions(run_cli):
    result = run_cli("robustness", REPO / "examples" / "ranges.yaml")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "exact shares (no draws, no sampling error)"
    for column in ("as profiled", "runner-up", "matters most"):
        assert column in result.stdout
    [biotech] = [line for line in lines if line.startswith("│ biotech")]
    assert "strong 50.0%" in biotech and "ecosystem-gap 50.0%" in biotech
    assert "economic (1.00)" in biotech
    assert "shares exact" in result.stdout


def test_a_threshold_range_is_reported_and_integrated(tmp_path, run_cli):
    path = science_profile(tmp_path, "4")
    data = shares(run_cli, path, "--threshold", "science=3.5..4.5", "--threshold", "economic=4.5")
    assert data["threshold_ranges"] == {"science": [3.5, 4.5]}
    assert data["thresholds"] == {"economic": 4.5}
    text = run_cli("robustness", path, "--threshold", "science=3.5..4.5").stdout
    assert "uncertain thresholds science=3.5..4.5 uniform" in text


def test_other_commands_refuse_a_threshold_range(run_cli):
    result = run_cli("classify", "--threshold", "science=4..4.5")
    assert result.exit_code == 2
    assert "understood by decision robustness only" in result.stderr


def test_readings_side_by_side_equal_each_reading_alone(tmp_path, run_cli, rulebook):
    path = REPO / "examples" / "ranges.yaml"
    data = shares(run_cli, path, "--readings")
    names = [run["reading"] for run in data["readings"]]
    assert names[0] == "default"
    assert sorted(names[1:]) == sorted(available_readings(rulebook.directory))
    for run in data["readings"][1:]:
        alone = shares(run_cli, path, "--reading", run["reading"])
        assert run["domains"] == alone["domains"], run["reading"]
    text = run_cli("robustness", path, "--readings").stdout
    assert "category shares under each reading of the source" in text
    assert "VR03" in text and "applied alone" in text


@pytest.mark.slow
def test_exact_is_faster_than_ten_thousand_draws(rulebook):
    # The benchmark's setting (benchmarks/robustness_exact.py): every shipped score ranged.
    profiles = load_profiles([DOMAINS_DIR / "technologies", DOMAINS_DIR], rulebook)
    inputs = []
    for domain in domain_inputs(profiles, rulebook):
        ranged = tuple(
            Variation(name, "range", value, max(0.0, value - 0.5), min(5.0, value + 0.5), "uniform")
            for name, value in domain.values.items()
            if not math.isnan(value)
        )
        inputs.append(DomainInputs(domain.id, domain.name, domain.values, ranged))
    assert len(inputs) == 50

    def best(run) -> float:
        timings = []
        for _ in range(3):
            exact_shares.compare.cache_clear()
            started = time.perf_counter()
            run()
            timings.append(time.perf_counter() - started)
        return min(timings)

    assert best(lambda: run_exact(inputs, rulebook)) < best(lambda: run_robustness(inputs, rulebook, draws=10_000))


def _listing(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(heading) + 1
    return lines[start : lines.index("", start)]


@pytest.mark.parametrize(
    "args",
    [["examples/ranges.yaml"], ["--sheets", "examples/workshop-sheets"]],
    ids=["ranges", "sheets"],
)
def test_long_uncertain_score_lines_wrap_under_their_text(run_cli, monkeypatch, args):
    heading = "uncertain scores (their spans; the JSON says how each spreads):"
    monkeypatch.setitem(CLI_ENV, "COLUMNS", "300")
    wide = _listing(run_cli("robustness", *args).stdout, heading)
    monkeypatch.setitem(CLI_ENV, "COLUMNS", "80")
    narrow = _listing(run_cli("robustness", *args).stdout, heading)
    assert len(narrow) > len(wide)  # something wrapped, or the test proves nothing
    entries: list[str] = []
    for line in narrow:
        assert len(line) <= 80 and line == line.rstrip()
        head, _, _ = line.partition(": ")
        if line.startswith("  ") and not line.startswith("   ") and " " not in head.strip():
            entries.append(line)
            indent = len(head) + 2
        else:
            # A continuation: under the first character after "id: ", never at column 0.
            assert line[:indent] == " " * indent and line[indent] != " ", line
            entries[-1] += " " + line.strip()
    assert entries == wide
