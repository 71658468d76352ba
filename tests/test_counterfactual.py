"""`decision counterfactual`: exactness against a brute force over a fine grid, every edge
case, the JSON form and the command line."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decision.analyses.counterfactual import (
    counterfactual,
    parse_fixed,
    parse_target,
    score_classes,
    target_labels,
    to_json,
    to_text,
)
from decision.engine.bulk import UNDETERMINED, BulkEvaluator
from decision.errors import UsageError
from decision.inputs.profiles import DomainProfile, load_profiles
from decision.inputs.rulebook import load_rulebook
from decision.model.result import ScoreValue
from tests.conftest import DOMAINS_DIR, write

TARGETS = ["strong", "ecosystem-gap", "moonshot", "no-focus", "no-focus/internationalisation", "no-focus/partnership"]
SHIPPED_IDS = sorted(p.stem for p in DOMAINS_DIR.glob("*.yaml"))


def _profile(values: dict[str, float | None], name: str = "hand-made") -> DomainProfile:
    scores = {score: ScoreValue(value=value) for score, value in values.items() if value is not None}
    return DomainProfile(id=name, name=name, file="-", line=1, scores=scores)


def _shipped(rulebook) -> dict[str, DomainProfile]:
    return {p.id: p for p in load_profiles([DOMAINS_DIR], rulebook)}


# ------------------------------------------------------------------ the brute force


def _grid(rulebook, score: str, step: float) -> list[float]:
    """Every ``step`` of the scale, plus each threshold and the floats just below and above it."""
    low, high = rulebook.scale.min, rulebook.scale.max
    values = {low + step * i for i in range(round((high - low) / step) + 1)}
    threshold = rulebook.thresholds[score].value
    values |= {threshold, math.nextafter(threshold, -math.inf), math.nextafter(threshold, math.inf)}
    return sorted(v for v in values if low <= v <= high)


def _passes(rulebook, score: str, value: float) -> bool:
    threshold = rulebook.thresholds[score]
    return value >= threshold.value if threshold.op == ">=" else value > threshold.value


def brute_force(rulebook, profile, target, fixed=(), step=0.25, max_changes=None):
    """Smallest (count, exact total, optimal class assignments) over the grid, or None.

    Independent of the search under test: every score (feasibility included) that is not
    fixed may take any grid value; changed values must differ from the current one; a
    filled-in missing score costs 0, a moved one its absolute change. Rows are evaluated
    by the vectorised evaluator, which tests/test_bulk_vs_engine.py proves identical to
    the engine.
    """
    bulk = BulkEvaluator(rulebook)
    names = [n for n in rulebook.scores if n not in fixed]
    base = {n: profile.value(n) for n in rulebook.scores}
    in_target = np.array(
        [label == target or label.split("/")[0] == target for label in bulk.labels] + [False], dtype=bool
    )
    limit = len(names) if max_changes is None else max_changes
    for size in range(limit + 1):
        blocks, distances, keys = [], [], []
        for subset in itertools.combinations(names, size):
            grids = [[v for v in _grid(rulebook, s, step) if v != base[s]] for s in subset]
            mesh = [m.ravel() for m in np.meshgrid(*grids, indexing="ij")] if subset else []
            rows = mesh[0].size if mesh else 1
            columns = {n: np.full(rows, np.nan if base[n] is None else base[n], dtype=float) for n in rulebook.scores}
            distance = np.zeros(rows)
            for score, values in zip(subset, mesh, strict=True):
                columns[score] = values
                if base[score] is not None:
                    distance = distance + np.abs(values - base[score])
            blocks.append(columns)
            distances.append(distance)
            keys.append((subset, mesh))
        columns = {n: np.concatenate([b[n] for b in blocks]) for n in rulebook.scores}
        out = bulk.evaluate(columns)
        landing = in_target[np.where(out.outcome == UNDETERMINED, -1, out.outcome)]
        if not landing.any():
            continue
        distance = np.concatenate(distances)
        near = np.flatnonzero(landing & (distance <= distance[landing].min() + 1e-9))
        offsets = np.cumsum([0] + [len(d) for d in distances])
        exact = {}
        for row in near:
            block = int(np.searchsorted(offsets, row, side="right") - 1)
            subset, mesh = keys[block]
            values = [float(m[row - offsets[block]]) for m in mesh]
            total = sum(
                (
                    abs(Fraction(v) - Fraction(base[s]))
                    for s, v in zip(subset, values, strict=True)
                    if base[s] is not None
                ),
                Fraction(0),
            )
            key = frozenset((s, _passes(rulebook, s, v)) for s, v in zip(subset, values, strict=True))
            exact.setdefault(total, set()).add(key)
        best = min(exact)
        return size, best, exact[best]
    return None


def assert_exact(rulebook, profile, target, fixed=(), step=0.25):
    answer = counterfactual(rulebook, profile, target, list(fixed))
    if answer.status == "unreachable":
        # Unreachable: the whole grid of every free score lands nowhere near the target.
        assert brute_force(rulebook, profile, target, fixed, step=2.5) is None
        return answer
    best = answer.best
    found = brute_force(rulebook, profile, target, fixed, step=step, max_changes=best.size)
    assert found is not None, "the brute force finds nothing the search found"
    count, total, assignments = found
    assert count == best.size, f"{profile.id} -> {target}: a solution with {count} changes exists"
    assert total == best.total, f"{profile.id} -> {target}: same count, total {total} < {best.total}"
    ours = {frozenset((c.score, _passes(rulebook, c.score, c.after)) for c in s.changes) for s in answer.solutions}
    assert ours == assignments, "the search must report every optimal alternative"
    for solution in answer.solutions:
        assert solution.size == best.size and solution.total == best.total
        assert solution.result is not None and solution.result.category != "undetermined"
        label = solution.result.category + (f"/{solution.result.variant}" if solution.result.variant else "")
        assert label == target or label.startswith(target + "/")
    return answer


# ------------------------------------------------------------------ exactness


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("domain", SHIPPED_IDS)
def test_shipped_domains_match_the_brute_force(rulebook, domain, target):
    assert_exact(rulebook, _shipped(rulebook)[domain], target)


HAND_MADE = {
    # Missing scores, in and out of the decisive branch.
    "missing-economic-and-science": dict(
        economic=None, innovation=3.5, technology=2, science=None, opportunity=4, transition=2.5, feasibility=None
    ),
    "missing-growth": dict(
        economic=4.5, innovation=4, technology=1, science=3.75, opportunity=None, transition=3, feasibility=2
    ),
    "missing-transition-and-tech": dict(
        economic=1, innovation=None, technology=None, science=4.25, opportunity=2, transition=None, feasibility=4
    ),
    # Values sitting exactly on, and just below, the thresholds.
    "on-the-edges": dict(
        economic=4.0,
        innovation=3.9999999999999996,
        technology=4.0,
        science=3.9999999999999996,
        opportunity=3.0,
        transition=2.9999999999999996,
        feasibility=3.0,
    ),
    # Scale ends.
    "all-zero": dict.fromkeys(("economic", "innovation", "technology", "science", "opportunity", "transition"), 0.0),
    "all-five": dict.fromkeys(("economic", "innovation", "technology", "science", "opportunity", "transition"), 5.0),
    # Ties: raising innovation or technology by 0.5 are equally small.
    "tie": dict(economic=4.5, innovation=3.5, technology=3.5, science=4, opportunity=4, transition=4, feasibility=3),
}


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_hand_made_profiles_match_the_brute_force(rulebook, name, target):
    assert_exact(rulebook, _profile(HAND_MADE[name], name), target)


def test_all_missing_profile_matches_a_coarser_brute_force(rulebook):
    # Five fills are needed for strong; a fill costs 0 wherever it lands in its class, so
    # a coarse grid is as good as a fine one here (and a fine one is 100 million rows).
    profile = _profile({}, "nothing-known")
    for target in TARGETS:
        answer = assert_exact(rulebook, profile, target, step=1.25)
        assert all(c.filled for c in answer.best.changes)


@pytest.mark.parametrize(
    ("name", "target", "fixed"),
    [
        ("tie", "strong", ("innovation",)),
        ("missing-economic-and-science", "strong", ("opportunity", "technology")),
        ("missing-growth", "no-focus/partnership", ("economic",)),
        ("on-the-edges", "moonshot", ("economic", "science")),
    ],
)
def test_fixed_scores_match_the_brute_force(rulebook, name, target, fixed):
    assert_exact(rulebook, _profile(HAND_MADE[name], name), target, fixed)


def test_threshold_overrides_match_the_brute_force(rulebook):
    shifted = rulebook.with_thresholds({"science": 4.5, "opportunity": 2.25, "economic": 3.1})
    for name in ("semiconductors", "hpc", "scientific-rd", "metals"):
        profile = _shipped(shifted)[name]
        for target in TARGETS:
            assert_exact(shifted, profile, target)


@pytest.mark.parametrize(
    "name",
    [
        "tie",
        pytest.param("on-the-edges", marks=pytest.mark.slow),
        pytest.param("missing-growth", marks=pytest.mark.slow),
    ],
)
def test_strict_operators_match_the_brute_force(rules_copy, name):
    thresholds = rules_copy / "thresholds.yaml"
    thresholds.write_text(thresholds.read_text().replace('op: ">="', 'op: ">"'))
    strict = load_rulebook(rules_copy)
    assert {t.op for t in strict.thresholds.values()} == {">"}
    for target in TARGETS:
        assert_exact(strict, _profile(HAND_MADE[name], name), target)
    # Moving up past "> 4" needs the float just above 4, shown as such.
    answer = counterfactual(strict, _profile(HAND_MADE["tie"]), "strong")
    assert {c.after for c in answer.best.changes} == {math.nextafter(4.0, math.inf)}
    assert "-> just above 4 " in to_text(strict, answer)


score_value = st.one_of(st.none(), st.sampled_from([0.0, 1.5, 2.9999999999999996, 3.0, 3.5, 4.0, 4.75, 5.0]))


@pytest.mark.slow  # the hand-made profiles above run always; CI runs this (pytest -m slow)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.fixed_dictionaries(
        {name: score_value for name in ("economic", "innovation", "technology", "science", "opportunity", "transition")}
    ),
    target=st.sampled_from(TARGETS),
)
def test_random_profiles_match_the_brute_force(rulebook, values, target):
    answer = counterfactual(rulebook, _profile(values), target)
    step = 0.25 if answer.best is None or answer.best.size <= 3 else 1.25
    assert_exact(rulebook, _profile(values), target, step=step)


# ------------------------------------------------------------------ the candidates


def test_classes_and_candidate_values(rulebook):
    below = math.nextafter(4.0, -math.inf)
    classes = score_classes(rulebook, "economic")
    assert [(c.lo, c.hi, c.text) for c in classes] == [(0.0, below, "[0, 4)"), (4.0, 5.0, "[4, 5]")]
    # A threshold at the bottom of the scale leaves one class: nothing can fail it.
    bottom = rulebook.with_thresholds({"economic": 0})
    assert [(c.lo, c.hi) for c in score_classes(bottom, "economic")] == [(0.0, 5.0)]


def test_candidate_count_is_the_product_of_classes(rulebook):
    profiles = _shipped(rulebook)
    # Six decisive scores, two classes each: unchanged or the other class.
    assert counterfactual(rulebook, profiles["semiconductors"], "strong").candidates == 2**6
    # A missing score has three options: unchanged (missing), fill below, fill above;
    # scientific-rd lacks economic and technology.
    assert counterfactual(rulebook, profiles["scientific-rd"], "strong").candidates == 3**2 * 2**4
    assert counterfactual(rulebook, profiles["semiconductors"], "strong", ["economic"]).candidates == 2**5


# ------------------------------------------------------------------ edge cases


def test_semiconductors_to_strong_raises_economic(rulebook):
    answer = counterfactual(rulebook, _shipped(rulebook)["semiconductors"], "strong")
    assert answer.status == "found"
    (change,) = answer.best.changes
    assert (change.score, change.before, change.after, change.delta) == ("economic", 2.0, 4.0, 2.0)
    assert [(c.op, c.threshold, c.criteria, c.before, c.after) for c in change.crossings] == [
        (">=", 4.0, ("E",), False, True)
    ]
    assert answer.best.result.leaf.code == "VL01"
    assert answer.not_read == ["feasibility"]


def test_already_at_the_target_needs_no_change(rulebook):
    profiles = _shipped(rulebook)
    answer = counterfactual(rulebook, profiles["pharma"], "strong")
    assert answer.status == "already"
    assert answer.best.changes == () and answer.best.result.leaf.code == "VL01"
    assert "already there" in to_text(rulebook, answer)
    # Plain no-focus covers the variants: metals (internationalisation) is already there.
    assert counterfactual(rulebook, profiles["metals"], "no-focus").status == "already"
    assert counterfactual(rulebook, profiles["metals"], "no-focus/partnership").status == "found"


def test_ties_are_all_reported_in_score_order(rulebook):
    answer = counterfactual(rulebook, _profile(HAND_MADE["tie"]), "strong")
    assert [[(c.score, c.after) for c in s.changes] for s in answer.solutions] == [
        [("innovation", 4.0)],
        [("technology", 4.0)],
    ]
    text = to_text(rulebook, answer)
    assert "2 optimal change sets tie; the first is the answer" in text
    assert "option 1:" in text and "option 2:" in text


def test_filling_a_missing_score_costs_one_change_and_no_distance(rulebook):
    answer = counterfactual(rulebook, _shipped(rulebook)["scientific-rd"], "ecosystem-gap")
    (change,) = answer.best.changes
    assert change.filled and change.before is None and change.distance == 0
    assert change.after == math.nextafter(4.0, -math.inf) and change.klass.text == "[0, 4)"
    assert answer.best.result.leaf.code == "VL05"
    text = to_text(rulebook, answer)
    assert "economic: missing -> just below 4, filled in: any value in [0, 4)" in text
    assert "counts as one change at distance 0" in text


def test_a_fixed_score_blocking_the_only_route(rulebook):
    answer = counterfactual(rulebook, _shipped(rulebook)["semiconductors"], "strong", ["economic"])
    assert answer.status == "unreachable" and answer.solutions == []
    assert answer.without_fixes.status == "found"
    assert answer.release == [("economic",)]
    assert "blocked by --fix: it becomes reachable only if economic may change" in to_text(rulebook, answer)


def test_several_fixed_scores_name_the_smallest_release(rulebook):
    # hpc needs E, IT and S for strong; fixing science and opportunity blocks only via science.
    answer = counterfactual(rulebook, _shipped(rulebook)["hpc"], "strong", ["science", "opportunity"])
    assert answer.status == "unreachable"
    assert answer.release == [("science",)]
    # Fixing both innovation and technology blocks IT: either one must be freed.
    answer = counterfactual(rulebook, _shipped(rulebook)["hpc"], "strong", ["innovation", "technology"])
    assert answer.release == [("innovation",), ("technology",)]
    assert "only if innovation or technology may change" in to_text(rulebook, answer)


def test_unreachable_even_without_fixes(rulebook):
    # With "economic >= 0" every present economic passes: no economic weakness, no moonshot.
    bottom = rulebook.with_thresholds({"economic": 0})
    profile = _shipped(bottom)["semiconductors"]
    answer = assert_exact(bottom, profile, "moonshot")
    assert answer.status == "unreachable" and answer.without_fixes is None
    with_fix = counterfactual(bottom, profile, "moonshot", ["science"])
    assert with_fix.without_fixes.status == "unreachable" and with_fix.release == []
    text = to_text(bottom, with_fix)
    assert "unreachable: no change of the scores within the scale 0-5 lands in moonshot" in text
    assert "not because of --fix: without fixed scores it is unreachable too" in text
    assert "thresholds overridden: economic >= 0 (--threshold)" in text


def test_a_fixed_missing_score_stays_missing(rulebook):
    # scientific-rd lacks economic; strong needs E, so fixing economic blocks it.
    answer = counterfactual(rulebook, _shipped(rulebook)["scientific-rd"], "strong", ["economic"])
    assert answer.status == "unreachable" and answer.release == [("economic",)]


def test_targets_and_fixes_are_validated(rulebook):
    assert target_labels(rulebook) == TARGETS
    for bad, fragment in [
        ("undetermined", "--to undetermined is not allowed"),
        ("gap", '--to "gap": unknown category (valid: strong, ecosystem-gap'),
        ("no-focus/other", "unknown category"),
        (None, "--to CATEGORY is required"),
    ]:
        with pytest.raises(UsageError, match=fragment.replace("(", r"\(")):
            parse_target(rulebook, bad)
    assert parse_fixed(rulebook, ["science", "economic,science"]) == ["economic", "science"]
    with pytest.raises(UsageError, match='unknown score "sience"'):
        parse_fixed(rulebook, ["sience"])


def test_the_engine_confirms_every_solution(rulebook, monkeypatch):
    from decision.engine.walk import Engine
    from decision.errors import EngineError

    profile = _shipped(rulebook)["semiconductors"]
    real = Engine.classify

    def stuck(self, changed):  # an engine that ignores every change
        return real(self, profile)

    monkeypatch.setattr(Engine, "classify", stuck)
    with pytest.raises(EngineError, match="the engine gives ecosystem-gap"):
        counterfactual(rulebook, profile, "strong")


# ------------------------------------------------------------------ JSON and the CLI


def test_json_form(run_cli):
    result = run_cli("counterfactual", "semiconductors", "--to", "strong", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "found" and data["target"] == "strong"
    assert data["current"]["leaf"] == {"code": "VL05", "name": "gap.missing-economic"}
    assert data["changed"] == 1 and data["total_change"] == 2.0 and data["optimal_count"] == 1
    assert data["changes"] == [
        {
            "score": "economic",
            "from": 2.0,
            "to": 4.0,
            "delta": 2.0,
            "distance": 2.0,
            "filled": False,
            "range": [4.0, 5.0],
            "range_text": "[4, 5]",
            "crossed": [
                {
                    "score": "economic",
                    "op": ">=",
                    "threshold": 4.0,
                    "criteria": ["E"],
                    "before": "fails",
                    "after": "passes",
                }
            ],
        }
    ]
    assert data["result"]["leaf"] == {"code": "VL01", "name": "strong.full"}
    from decision.engine.choice import resolve_engine

    assert data["result"]["confirmed_by"] == f"{resolve_engine(None).name} engine"
    assert data["result"]["path"].endswith("VT05 S+ > VL01")
    assert data["solutions"][0]["changes"] == data["changes"]
    assert data["search"]["candidates"] == 64 and data["search"]["exact"] is True
    assert "without_fixes" not in data


def test_json_form_of_unreachable_and_already(run_cli, rulebook):
    blocked = json.loads(
        run_cli("counterfactual", "semiconductors", "--to", "strong", "--fix", "economic", "-f", "json").stdout
    )
    assert blocked["status"] == "unreachable" and blocked["changes"] is None and blocked["solutions"] == []
    assert blocked["fixed"] == ["economic"]
    assert blocked["without_fixes"]["release"] == [["economic"]]
    assert blocked["without_fixes"]["best"]["changes"][0]["score"] == "economic"
    already = json.loads(run_cli("counterfactual", "pharma", "--to", "strong", "-f", "json").stdout)
    assert already["status"] == "already" and already["changes"] == [] and already["changed"] == 0
    # The library's JSON and the CLI's agree.
    answer = counterfactual(rulebook, _shipped(rulebook)["pharma"], "strong")
    assert to_json(answer)["status"] == "already"


def test_cli_with_paths_threshold_and_rules(run_cli, tmp_path, rules_copy):
    profile = write(
        tmp_path / "p.yaml",
        "id: probe\nname: Probe\nscores:\n  economic: 3.5\n  innovation: 4\n  science: na\n"
        "  opportunity: 4\n  transition: 4\n",
    )
    result = run_cli(
        "counterfactual", "probe", profile, "--to", "strong", "--threshold", "economic=3.5", "--rules", rules_copy
    )
    assert result.exit_code == 0, result.stderr
    assert "science: missing -> 4, filled in: any value in [4, 5] (distance 0)" in result.stdout
    assert "thresholds overridden: economic >= 3.5 (--threshold)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["semiconductors", "--to", "gap"],
            'error: --to "gap": unknown category (valid: strong, ecosystem-gap, '
            "moonshot, no-focus, no-focus/internationalisation, no-focus/partnership)",
        ),
        (["semiconductors", "--to", "undetermined"], "error: --to undetermined is not allowed"),
        (["semiconductors"], "error: --to CATEGORY is required"),
        (["semiconductors", "--to", "strong", "--fix", "sience"], 'error: --fix sience: unknown score "sience"'),
        (["nanotech", "--to", "strong"], 'error: no domain with id "nanotech" (known: '),
        (["semiconductors", "--to", "strong", "--threshold", "science=9"], "error: --threshold science=9"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(run_cli, args, message):
    result = run_cli("counterfactual", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_cli_unreachable_is_an_answer_not_an_error(run_cli):
    result = run_cli("counterfactual", "semiconductors", "--to", "moonshot", "--threshold", "economic=0")
    assert result.exit_code == 0
    assert "unreachable: no change of the scores within the scale 0-5 lands in moonshot" in result.stdout


def test_cli_text_lines_fit_100_columns(run_cli):
    for domain in ("architects-engineering", "scientific-rd", "hpc"):
        for target in TARGETS:
            result = run_cli("counterfactual", domain, "--to", target)
            assert result.exit_code == 0
            assert max(len(line) for line in result.stdout.splitlines()) <= 100
