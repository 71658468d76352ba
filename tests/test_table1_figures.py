"""The Table 1 sector profiles hold exactly the symbols of VARIO's Table 1, and their
strength scores are what those symbols give.

``tests/data/table1_expected.csv`` was written by hand from Table 1 of VARIO 2026
(seed 002), one row per sector with its six symbols. Every row must be a shipped profile
giving the same six ``t1_*`` indicators, and every shipped profile giving a ``t1_*``
indicator must be a row. The four strength scores are recomputed here from the symbols,
independently of ``decision.inputs.indicators``: default mapping ++=5, +=4, +/-=3, -=2, --=1,
na = no figure; a score is the mean of the columns present, missing if none is.
"""

from __future__ import annotations

import csv

import pytest

from decision.inputs.profiles import load_profiles
from tests.conftest import DOMAINS_DIR, REPO

EXPECTED_CSV = REPO / "tests" / "data" / "table1_expected.csv"
# CSV column -> (indicator, Table 1 column heading as printed in the report).
COLUMNS = {
    "value_added": ("t1_value_added", "Toegevoegde waarde"),
    "export": ("t1_export", "Export"),
    "rd_spending": ("t1_rd_spending", "O&O-uitgaven"),
    "rd_personnel": ("t1_rd_personnel", "O&O-personeel"),
    "patents": ("t1_patents", "octrooien"),
    "publications": ("t1_publications", "publicaties"),
}
SYMBOL_VALUES = {"++": 5, "+": 4, "+/-": 3, "-": 2, "--": 1, "na": None}
# Which Table 1 columns make up each strength score (spec, as in rules/indicators.yaml).
SCORE_COLUMNS = {
    "economic": ("value_added", "export"),
    "innovation": ("rd_spending",),
    "technology": ("patents",),
    "science": ("publications", "rd_personnel"),
}


def read_expected() -> dict[str, dict[str, str]]:
    """domain id -> {"row": Dutch row name, CSV column: symbol}."""
    with EXPECTED_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) == {"row", "domain_id", *COLUMNS}
    expected: dict[str, dict[str, str]] = {}
    for row in rows:
        assert row["domain_id"] not in expected, f"{row['domain_id']} twice in {EXPECTED_CSV.name}"
        assert {row[column] for column in COLUMNS} <= set(SYMBOL_VALUES), row
        expected[row["domain_id"]] = {key: value for key, value in row.items() if key != "domain_id"}
    return expected


EXPECTED = read_expected()


# The monitor's trade sign (seed 003) joins the economic mean where a sector profile gives it.
TRADE_SIGN_SCORES = {1: 4, 0: 3, -1: 2}


def expected_score(symbols: dict[str, str], score: str, trade_sign: int | None = None) -> float | None:
    present = [SYMBOL_VALUES[symbols[column]] for column in SCORE_COLUMNS[score]]
    if score == "economic" and trade_sign is not None:
        present.append(TRADE_SIGN_SCORES[trade_sign])
    present = [value for value in present if value is not None]
    return round(sum(present) / len(present), 4) if present else None


@pytest.fixture(scope="module")
def profiles(rulebook):
    return {profile.id: profile for profile in load_profiles([DOMAINS_DIR], rulebook)}


def test_the_table_has_nine_sectors():
    assert len(EXPECTED) == 9


def test_every_table_row_is_a_shipped_sector_profile(profiles):
    missing = sorted(set(EXPECTED) - set(profiles))
    assert not missing, f"Table 1 rows without a profile: {missing}"
    for domain_id in EXPECTED:
        assert profiles[domain_id].kind == "sector", domain_id


def test_every_profile_with_table_1_figures_is_a_table_row(profiles):
    t1_names = {indicator for indicator, _ in COLUMNS.values()}
    giving = {p.id for p in profiles.values() if t1_names & set(p.indicators)}
    assert giving == set(EXPECTED)
    sectors = {p.id for p in profiles.values() if p.kind == "sector"}
    assert sectors <= set(EXPECTED), f"sector profiles not in Table 1: {sorted(sectors - set(EXPECTED))}"


@pytest.mark.parametrize("domain_id", sorted(EXPECTED))
def test_profile_gives_exactly_the_table_1_symbols(profiles, domain_id):
    expected = EXPECTED[domain_id]
    indicators = profiles[domain_id].indicators
    given = {name: figure.symbol for name, figure in indicators.items() if name.startswith("t1_")}
    assert given == {indicator: expected[column] for column, (indicator, _) in COLUMNS.items()}
    for column, (indicator, heading) in COLUMNS.items():
        figure = indicators[indicator]
        assert figure.value == SYMBOL_VALUES[expected[column]], (indicator, figure.value)
        # The source names the very cell: the row and the column as the report prints them.
        cell = f"VARIO 2026 (seed 002), Table 1, row '{expected['row']}', column '{heading}'"
        assert figure.source == cell, indicator
        assert figure.note, indicator


@pytest.mark.parametrize("domain_id", sorted(EXPECTED))
def test_strength_scores_are_derived_from_the_symbols(profiles, domain_id):
    scores = profiles[domain_id].scores
    trade = profiles[domain_id].indicators.get("trade_balance")
    for score in SCORE_COLUMNS:
        expected = expected_score(EXPECTED[domain_id], score, None if trade is None else int(trade.value))
        actual = scores[score]
        # Derived, not written: a score in the profile would win over the table.
        assert actual.origin == "indicators", (score, actual.origin)
        assert actual.derivation is not None and actual.derivation.used, score
        if expected is None:
            assert actual.value is None, (score, actual.value)
        else:
            assert actual.value == expected, (score, actual.value, expected)


def test_the_recomputation_matches_known_rows():
    """Guards the test's own arithmetic with values checked by hand."""
    assert expected_score(EXPECTED["it-programming"], "economic") == 3.5
    assert expected_score(EXPECTED["machinery"], "science") == 4
    assert expected_score(EXPECTED["scientific-rd"], "science") == 5
    assert expected_score(EXPECTED["scientific-rd"], "economic") is None
    assert expected_score(EXPECTED["architects-engineering"], "technology") is None
    assert expected_score(EXPECTED["pharma"], "economic", trade_sign=1) == round(14 / 3, 4)
