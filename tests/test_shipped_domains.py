"""The shipped profiles: valid, fully sourced, and the report's own examples land where
the report puts them."""

from __future__ import annotations

import pytest

from decision.engine.walk import classify_all
from decision.inputs.profiles import load_profiles
from tests.conftest import DOMAINS_DIR

REPORT_EXAMPLES = {
    # VARIO 2026, rec. 1.3: pharma and biotech are its examples of pronounced strength,
    # semiconductors of an ecosystem gap of the second kind, HPC of a moonshot.
    "pharma": ("strong", "VL01"),
    "biotech": ("strong", "VL01"),
    "semiconductors": ("ecosystem-gap", "VL05"),
    "hpc": ("moonshot", "VL06"),
}
TABLE_1_DOMAINS = {
    "pharma",
    "it-programming",
    "scientific-rd",
    "architects-engineering",
    "chemicals",
    "food",
    "metals",
    "machinery",
    "electronics",
}


@pytest.fixture(scope="module")
def shipped(rulebook):
    profiles = load_profiles([DOMAINS_DIR], rulebook)
    return {p.id: p for p in profiles}, {r.id: r for r in classify_all(profiles, rulebook)}


@pytest.mark.parametrize("domain_id", sorted(REPORT_EXAMPLES))
def test_report_examples_land_where_the_report_puts_them(shipped, domain_id):
    _, results = shipped
    category, leaf = REPORT_EXAMPLES[domain_id]
    assert results[domain_id].category == category
    assert results[domain_id].leaf.code == leaf


def test_all_table_1_domains_and_examples_are_shipped(shipped):
    profiles, _ = shipped
    assert TABLE_1_DOMAINS | set(REPORT_EXAMPLES) <= set(profiles)


def test_every_shipped_score_has_provenance(shipped):
    profiles, _ = shipped
    for profile in profiles.values():
        for name, score in {**profile.scores, **profile.factors}.items():
            if score.origin == "derived":
                assert score.note, (profile.id, name)
                continue
            if score.origin == "indicators":
                # A derived score's provenance is its derivation: the rule it applied and
                # every figure it read, each with its own source, note and file line.
                assert score.note and score.derivation and score.derivation.used, (profile.id, name)
                for use in score.derivation.inputs:
                    assert use.source and use.note and use.location, (profile.id, name, use.indicator)
                continue
            assert score.source and score.note, (profile.id, name)
        for name, figure in profile.indicators.items():
            assert figure.source and figure.note, (profile.id, name)


def test_scores_not_in_table_1_are_flagged_as_assumptions(shipped):
    profiles, _ = shipped
    for domain_id in TABLE_1_DOMAINS:
        for name in ("opportunity", "transition"):
            assert profiles[domain_id].scores[name].assumption, (domain_id, name)


def test_missing_table_1_figures_stay_missing(shipped):
    """Table 1 gives 'na' for the economic columns of these two rows: they stay open."""
    profiles, results = shipped
    for domain_id in ("scientific-rd", "architects-engineering"):
        assert profiles[domain_id].scores["economic"].value is None
        assert results[domain_id].category == "undetermined"
        assert results[domain_id].blocking == ["economic"]
