"""Indicator mappings (rules/indicators.yaml): every transform and combine kind, band
edges, missing indicators, the precedence of explicit scores, and located errors for bad
mappings and bad figures. Test rules folders are copies of the shipped one under tmp_path
with indicators.yaml replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decision.engine.walk import classify_all
from decision.errors import ProfileError, RulesError
from decision.inputs.profiles import load_profiles, profile_json_schema
from decision.inputs.rulebook import load_rulebook
from decision.model.wording import derivation_lines
from tests.conftest import write

# A mapping with every kind: bands, linear, symbols; mean, weighted_mean, min, max;
# missing: block and skip.
TEST_INDICATORS = """\
indicators:
  - {name: rca, label: RCA, measures: specialisation, unit: ratio, min: 0, cite: test}
  - {name: index, label: Index, measures: an index, unit: "0-100", min: 0, max: 100, cite: test}
  - {name: other, label: Other index, measures: another index, unit: "0-100", min: 0, max: 100, cite: test}
  - {name: rating, label: Rating, measures: a rating, unit: symbol, kind: symbol, cite: test}
transforms:
  rca_bands:
    bands:
      - {from: 0, score: 1}
      - {from: 0.5, score: 2}
      - {from: 1.0, score: 4}
      - {from: 1.5, score: 5}
  index_linear:
    linear: {from: [20, 80], to: [0, 5]}
  symbols:
    symbols: scale
derivations:
  - {code: VD01, name: technology.rca, score: technology, combine: max, missing: block,
     inputs: [{indicator: rca, transform: rca_bands}], cite: test}
  - {code: VD02, name: science.weighted, score: science, combine: weighted_mean, missing: skip,
     inputs: [{indicator: index, transform: index_linear, weight: 3},
              {indicator: rating, transform: symbols, weight: 1}],
     cite: test, interpretation: a test reading}
  - {code: VD03, name: feasibility.weakest, score: feasibility, combine: min, missing: block,
     inputs: [{indicator: index, transform: index_linear}, {indicator: other, transform: index_linear}], cite: test}
  - {code: VD04, name: opportunity.mean, score: opportunity, combine: mean, missing: skip,
     inputs: [{indicator: other, transform: index_linear}, {indicator: rating, transform: symbols}], cite: test}
"""


@pytest.fixture
def test_rules(rules_copy: Path) -> Path:
    (rules_copy / "indicators.yaml").write_text(TEST_INDICATORS, encoding="utf-8")
    return rules_copy


def profile(tmp_path: Path, rules: Path, indicators: str, scores: str = "", name: str = "p.yaml"):
    text = f"id: demo\nname: Demo\nindicators:\n{indicators}"
    if scores:
        text += f"scores:\n{scores}"
    path = write(tmp_path / "domains" / name, text)
    [loaded] = load_profiles([path], load_rulebook(rules))
    return loaded


@pytest.mark.parametrize(
    ("rca", "expected", "rule"),
    [
        (0, 1, "band 0 <= x < 0.5 -> 1"),
        (0.4999, 1, "band 0 <= x < 0.5 -> 1"),
        (0.5, 2, "band 0.5 <= x < 1 -> 2"),
        (0.9999, 2, "band 0.5 <= x < 1 -> 2"),
        (1.0, 4, "band 1 <= x < 1.5 -> 4"),
        (1.5, 5, "band 1.5 <= x -> 5"),
        (40, 5, "band 1.5 <= x -> 5"),
    ],
)
def test_band_edges_are_lower_inclusive(tmp_path, test_rules, rca, expected, rule):
    loaded = profile(tmp_path, test_rules, f"  rca: {rca}\n")
    score = loaded.scores["technology"]
    assert score.value == expected
    assert score.origin == "indicators"
    assert score.derivation.inputs[0].rule == rule
    assert score.location == f"{tmp_path / 'domains' / 'p.yaml'}:4" or score.location.endswith("p.yaml:4")


@pytest.mark.parametrize(
    ("index", "expected", "clamped"),
    [(20, 0, False), (50, 2.5, False), (80, 5, False), (10, 0, True), (95, 5, True), (32, 1, False)],
)
def test_linear_scaling_is_clamped_at_both_ends(tmp_path, test_rules, index, expected, clamped):
    loaded = profile(tmp_path, test_rules, f"  index: {index}\n")
    use = loaded.scores["science"].derivation.inputs[0]
    assert use.score == pytest.approx(expected)
    assert ("(clamped)" in use.rule) is clamped


def test_weighted_mean_of_a_linear_figure_and_a_symbol(tmp_path, test_rules):
    loaded = profile(tmp_path, test_rules, '  index: 80\n  rating: "+/-"\n')
    science = loaded.scores["science"]
    # (5 * 3 + 3 * 1) / 4
    assert science.value == pytest.approx(4.5)
    assert [use.weight for use in science.derivation.inputs] == [3, 1]
    assert science.derivation.inputs[1].symbol == "+/-"
    assert science.derivation.inputs[1].rule == 'symbol "+/-" -> 3 (rules/scales.yaml)'


def test_min_takes_the_weakest_link(tmp_path, test_rules):
    loaded = profile(tmp_path, test_rules, "  index: 80\n  other: 32\n")
    assert loaded.scores["feasibility"].value == pytest.approx(1)


def test_mean_and_max(tmp_path, test_rules):
    loaded = profile(tmp_path, test_rules, '  other: 80\n  rating: "-"\n  rca: 1.2\n')
    assert loaded.scores["opportunity"].value == pytest.approx(3.5)  # mean of 5 and 2
    assert loaded.scores["technology"].value == 4  # max of a single input


def test_missing_indicator_blocks_a_block_derivation(tmp_path, test_rules):
    loaded = profile(tmp_path, test_rules, "  index: 80\n")
    feasibility = loaded.scores["feasibility"]
    assert feasibility.value is None
    assert feasibility.derivation.missing == ["other"]
    assert "so the score is missing" in feasibility.note
    # The engine then treats feasibility as missing: the feasibility check is unknown.
    [result] = classify_all([loaded], load_rulebook(test_rules))
    assert result.feasibility.outcome == "unknown"


def test_missing_indicator_is_left_out_of_a_skip_derivation(tmp_path, test_rules):
    loaded = profile(tmp_path, test_rules, "  index: 50\n")
    science = loaded.scores["science"]
    assert science.value == pytest.approx(2.5)
    assert science.derivation.missing == ["rating"]
    assert "  missing: rating (skip: left out of the weighted_mean)" in derivation_lines("science", science)


def test_explicit_na_figure_counts_as_missing(tmp_path, test_rules):
    loaded = profile(tmp_path, test_rules, "  rca: na\n")
    assert loaded.scores["technology"].value is None
    assert loaded.indicators["rca"].symbol == "na"


def test_no_indicator_of_a_derivation_means_no_derived_score(tmp_path, test_rules):
    loaded = profile(tmp_path, test_rules, "  rca: 1.2\n")
    assert set(loaded.scores) == {"technology"}


def test_explicit_score_wins_and_the_explanation_says_so(tmp_path, test_rules):
    loaded = profile(tmp_path, test_rules, "  rca: 0.3\n", scores="  technology: 4.5\n")
    technology = loaded.scores["technology"]
    assert technology.value == 4.5
    assert technology.origin == "profile"
    assert technology.derivation.used is False
    assert technology.derivation.value == 1
    lines = derivation_lines("technology", technology)
    assert lines[0] == (
        "technology: the profile's own score 4.5 wins; VD01 technology.rca would give 1 from the indicators"
    )


def test_derived_scores_drive_the_engine_and_reach_the_json(tmp_path, test_rules):
    loaded = profile(
        tmp_path,
        test_rules,
        "  rca: 1.7\n  index: 80\n  other: 80\n",
        scores="  economic: 5\n  transition: 4\n",
    )
    [result] = classify_all([loaded], load_rulebook(test_rules))
    assert result.category == "strong"
    data = result.model_dump(mode="json")
    assert data["scores"]["technology"]["derivation"]["inputs"][0]["raw"] == 1.7
    assert "derivation" not in data["scores"]["economic"]


def test_explain_shows_every_figure_source_and_rule(tmp_path, test_rules, run_cli):
    path = write(
        tmp_path / "d.yaml",
        'id: demo\nname: Demo\nindicators:\n  index: {value: 62, source: "Table 9, row 4"}\n  rating: "++"\n',
    )
    result = run_cli("explain", "demo", path, "--rules", test_rules)
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "science = 3.875, derived by VD02 science.weighted (weighted_mean)" in text
    assert "index (Index) 62: linear 20..80 -> 0..5 -> 3.5, weight 3 [Table 9, row 4; at" in text
    assert 'rating (Rating) "++": symbol "++" -> 5 (rules/scales.yaml), weight 1' in text
    assert "interpretation, not stated in the source: a test reading" in text


# --- bad figures in profiles ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("  rca: -1\n", "indicators.rca: -1 is below the minimum 0 of rca (ratio)"),
        ("  index: 101\n", "indicators.index: 101 is above the maximum 100 of index (0-100)"),
        ("  rca: high\n", 'indicators.rca: expected a number (ratio) or "na", got "high"'),
        ("  rca: .nan\n", "indicators.rca: a figure must be a finite number"),
        ("  rating: 4\n", "indicators.rating: expected a symbol"),
        ("  rca: {value: 1, sorce: x}\n", 'indicators.rca.sorce: unknown field "sorce"'),
        ("  patents: 3\n", 'indicators.patents: unknown indicator "patents" (known: rca, index, other, rating)'),
    ],
)
def test_bad_figures_are_located(tmp_path, test_rules, line, message):
    path = write(tmp_path / "bad.yaml", f"id: demo\nname: Demo\nindicators:\n{line}")
    with pytest.raises(ProfileError) as caught:
        load_profiles([path], load_rulebook(test_rules))
    [problem] = caught.value.problems
    assert problem.line == 4
    assert message in f"{problem.field}: {problem.message}"


def test_schema_offers_the_indicators(test_rules):
    schema = profile_json_schema(load_rulebook(test_rules))
    properties = schema["$defs"]["Indicators"]["properties"]
    assert set(properties) == {"rca", "index", "other", "rating"}


# --- bad mappings in rules --------------------------------------------------------------------


def rules_messages(rules: Path, old: str, new: str) -> list[str]:
    path = rules / "indicators.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rulebook(rules)
    return [problem.render() for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("score: technology,", "score: tecnology,", 'VD01: unknown score "tecnology"'),
        ("{indicator: rca, transform", "{indicator: rcaa, transform", 'VD01: unknown indicator "rcaa"'),
        ("transform: rca_bands}", "transform: rca_band}", 'VD01: unknown transform "rca_band"'),
        (
            "combine: max",
            "combine: median",
            "combine: expected one of 'mean', 'weighted_mean', 'min' or 'max', got the text \"median\"",
        ),
        ("{from: 1.0, score: 4}", "{from: 0.4, score: 4}", "rca_bands: band edges must rise: 0.4 follows 0.5"),
        ("{from: 1.5, score: 5}", "{from: 1.5, score: 6}", "rca_bands: band score 6 is outside the scale 0-5"),
        ("{from: 0, score: 1}", "{from: 0.1, score: 1}", 'VD01: transform "rca_bands" starts at 0.1'),
        ("to: [0, 5]", "to: [0, 9]", "index_linear: 9 is outside the scale 0-5"),
        ("weight: 3}", "}", "VD02: weighted_mean needs a weight on every input"),
        ("weight: 3}", "weight: 1e308}", "weight: a weight must be a number from 1e-06 to 1e+06"),
        ("weight: 3}", "weight: 0}", "weight: a weight must be a number from 1e-06 to 1e+06"),
        ("weight: 3}", "weight: .nan}", "weight: a weight must be a number from 1e-06 to 1e+06"),
        ("score: opportunity,", "score: science,", 'VD04: score "science" is already derived by VD02'),
        ("code: VD04", "code: VD03", 'VD03: duplicate code "VD03"'),
        ("{indicator: rating, transform: symbols}", "{indicator: rating, transform: index_linear}", "needs a symbols"),
    ],
)
def test_bad_mappings_are_located_errors(test_rules, old, new, expected):
    messages = rules_messages(test_rules, old, new)
    hits = [m for m in messages if expected in m]
    assert hits, messages
    assert hits[0].startswith(str(test_rules / "indicators.yaml") + ":")


def test_shipped_mapping_leaves_relatedness_unmapped(rulebook):
    # CEPS's "feasibility" (relatedness) is not VARIO's feasibility: no derivation reads it.
    read = {item.indicator for rule in rulebook.indicators.derivations.values() for item in rule.inputs}
    assert "relatedness_density" in rulebook.indicators.indicators
    assert "relatedness_density" not in read
    assert "feasibility" not in rulebook.indicators.derivations


def test_precedence_set_then_profile_then_indicators_then_factors(tmp_path, test_rules, run_cli):
    """The one stated order of where a score comes from, checked end to end."""
    path = write(
        tmp_path / "p.yaml",
        "id: demo\nname: Demo\nindicators:\n  index: 80\n  other: 50\n  rca: 1.7\n"
        "scores:\n  economic: 5\n  transition: 4\n  science: 4.2\n"
        "feasibility_factors:\n  talent: 1\n",
    )
    [loaded] = load_profiles([path], load_rulebook(test_rules))
    # indicators beat the factors: feasibility is the min of the two linear figures, not talent 1
    assert loaded.scores["feasibility"].origin == "indicators"
    assert loaded.scores["feasibility"].value == pytest.approx(2.5)
    # the profile's own score beats its indicators
    assert loaded.scores["science"].origin == "profile" and loaded.scores["science"].value == 4.2
    # --set beats a derived score
    result = run_cli("whatif", "demo", path, "--rules", test_rules, "--set", "technology=1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["before"]["scores"]["technology"]["origin"] == "indicators"
    after = data["after"]["scores"]["technology"]
    assert (after["value"], after["origin"]) == (1.0, "--set")
