"""``decision robustness``: shares of random draws per outcome, checked against analytic
probabilities and against the durable-rules engine; reproducible for a seed."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from fractions import Fraction

import pytest

from decision.analyses import robustness as robustness_module
from decision.analyses.robustness import domain_inputs, run_robustness
from decision.engine.bulk import outcome_label
from decision.engine.walk import Engine
from decision.inputs.profiles import load_profiles
from decision.inputs.sheets import load_sheets
from decision.model.result import ScoreValue
from tests.conftest import DOMAINS_DIR, REPO, write
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
    [domain] = shares(run_cli, path, *args)["domains"]
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


def test_shipped_domains_without_ranges_land_in_their_category_every_time(run_cli, rulebook):
    data = shares(run_cli, "--draws", "1000")
    engine = Engine(rulebook)
    by_id = {p.id: p for p in load_profiles([DOMAINS_DIR], rulebook)}
    assert len(data["domains"]) == len(by_id)
    for domain in data["domains"]:
        result = engine.classify(by_id[domain["id"]])
        label = "undetermined" if result.category == "undetermined" else outcome_label(result.category, result.variant)
        assert domain["shares"] == {label: 1.0}
        assert domain["as_profiled"] == label
        assert domain["varied"] == []


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
    first = run_cli("robustness", path, "--seed", "11", "-f", "json").stdout
    again = run_cli("robustness", path, "--seed", "11", "-f", "json").stdout
    other = run_cli("robustness", path, "--seed", "12", "-f", "json").stdout
    assert first == again
    assert json.loads(first)["seed"] == 11
    assert json.loads(first)["domains"][0]["counts"] != json.loads(other)["domains"][0]["counts"]


def test_default_seed_is_fixed_and_reported(tmp_path, run_cli):
    path = science_profile(tmp_path, "{value: 4, low: 3.5, high: 4.5}")
    default = run_cli("robustness", path, "-f", "json").stdout
    assert json.loads(default)["seed"] == 0
    assert default == run_cli("robustness", path, "--seed", "0", "-f", "json").stdout
    assert json.loads(default)["draws"] == 10_000
    assert "10000 draws per domain; seed 0" in run_cli("robustness", path).stdout


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
    result = run_cli("robustness", "--draws", "30000", "-f", "json")  # 360,000 rows: a long run
    assert result.exit_code == 0
    assert result.stderr == ""
    json.loads(result.stdout)


def test_text_output_without_a_terminal_has_no_progress_bar(run_cli):
    result = run_cli("robustness", "--draws", "30000")
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
    result = run_cli("robustness", "--draws", draws, "-f", fmt)
    assert result.exit_code == 0
    assert started == [shown]  # 12 domains: 360,000 rows is long, 120,000 is not


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--draws", "0"], "--draws"),
        (["--seed", "-1"], "--seed"),
        (["--draws", "many"], "--draws"),
        (["--threshold", "science=9"], "a threshold must lie within 0-5"),
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
