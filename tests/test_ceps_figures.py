"""The CEPS key-technology profiles hold exactly the figures the report states.

``tests/data/ceps_expected.csv`` was written by hand from the text of CEPS/Balland 2026
(seed 004), one row per figure; the profiles in ``domains/technologies/`` must carry each
of them with the same value, and no figure the table does not have.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest
import yaml

from decision.inputs.profiles import load_profiles
from tests.conftest import DOMAINS_DIR, REPO

TECH_DIR = DOMAINS_DIR / "technologies"
EXPECTED_CSV = REPO / "tests" / "data" / "ceps_expected.csv"
INDICATORS = {
    "patent_rca",
    "publication_rca",
    "funding_rca",
    "relatedness_density",
    "complexity",
    "patent_share_pct",
}
# VARIO 2026 (seed 002), annex "38 technologie studie", in the annex's spelling.
ANNEX_NAMES = [
    "Advanced Manufacturing",
    "Advanced Materials",
    "Advanced Therapy Medicinal Products (ATMP)",
    "Artificial Intelligence",
    "Autonomous Robots",
    "Bioinformatics",
    "Biomanufacturing",
    "Biotechnology",
    "Carbon Capture & Storage",
    "Cloud and Edge Computing",
    "Cybersecurity",
    "Defence Technologies",
    "Drones",
    "Food Technology",
    "Generative AI",
    "Genomics & Gene Editing",
    "High-Performance Computing (HPC)",
    "Immunotherapy",
    "Internet of Things (IOT)",
    "Language Processing",
    "Medical Devices",
    "Microelectronics",
    "mRNA Technology",
    "Nanotechnologies",
    "Nuclear Energy",
    "Pharmaceuticals",
    "Photonics",
    "Precision Medicine",
    "Quantum computing",
    "Regenerative Medicine",
    "Robotics",
    "Semiconductors",
    "Sensor Technologies",
    "Smart Grids",
    "Smart Materials",
    "Space technologies",
    "Waste Management",
    "Wind Energy",
]
# The top-level profiles these technologies overlap; their ids must stay distinct.
TOP_LEVEL_IDS = {"biotech", "semiconductors", "hpc"}


def _expected_rows() -> list[dict[str, str]]:
    with EXPECTED_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _raw_profiles() -> dict[str, dict]:
    """Profile name -> parsed YAML of every file in domains/technologies/."""
    profiles: dict[str, dict] = {}
    for path in sorted(TECH_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), path.name
        assert data["name"] not in profiles, f"two files named {data['name']!r}"
        data["_file"] = path.name
        profiles[data["name"]] = data
    return profiles


def _figure(entry) -> float:
    return float(entry["value"] if isinstance(entry, dict) else entry)


@pytest.fixture(scope="module")
def expected() -> list[dict[str, str]]:
    return _expected_rows()


@pytest.fixture(scope="module")
def raw() -> dict[str, dict]:
    return _raw_profiles()


def test_the_expected_table_is_well_formed(expected):
    assert expected, "the table is empty"
    seen: set[tuple[str, str]] = set()
    for row in expected:
        key = (row["technology"], row["indicator"])
        assert row["technology"] in ANNEX_NAMES, key
        assert row["indicator"] in INDICATORS, key
        assert key not in seen, f"two rows for {key}"
        seen.add(key)
        assert math.isfinite(float(row["value"])), key
        assert re.search(r"\b[34]\.[1-3] \(line \d+\)", row["where"]), key


def test_the_38_annex_technologies_are_exactly_the_profiles(raw):
    assert len(ANNEX_NAMES) == len(set(ANNEX_NAMES)) == 38
    assert sorted(raw) == sorted(ANNEX_NAMES)


def test_ids_are_unique_prefixed_and_distinct_from_the_top_level_profiles(raw):
    ids = [p["id"] for p in raw.values()]
    assert len(ids) == len(set(ids))
    for profile in raw.values():
        assert re.fullmatch(r"kst-[a-z0-9]+(-[a-z0-9]+)*", profile["id"]), profile["id"]
        assert profile["_file"] == profile["id"].removeprefix("kst-") + ".yaml"
        assert profile["kind"] == "technology"
    assert not TOP_LEVEL_IDS & set(ids)


def test_every_expected_figure_is_in_its_profile(expected, raw):
    for row in expected:
        indicators = raw[row["technology"]].get("indicators") or {}
        assert row["indicator"] in indicators, (row["technology"], row["indicator"])
        assert _figure(indicators[row["indicator"]]) == float(row["value"]), (row["technology"], row["indicator"])


def test_no_profile_figure_is_missing_from_the_expected_table(expected, raw):
    table = {(row["technology"], row["indicator"]): float(row["value"]) for row in expected}
    for name, profile in raw.items():
        for indicator, entry in (profile.get("indicators") or {}).items():
            if indicator not in INDICATORS:
                continue  # Table 1 and monitor proxies: tests/test_technology_evidence.py
            assert (name, indicator) in table, f"{name}: {indicator} is not in the expected table"
            assert _figure(entry) == table[(name, indicator)], (name, indicator)
            assert isinstance(entry, dict), (name, indicator)
            assert entry.get("source", "").startswith("CEPS/Balland 2026 (seed 004), section "), (name, indicator)


def test_transition_stays_an_argued_score(raw):
    # The other scores come from seed statements (tests/test_technology_evidence.py).
    for name, profile in raw.items():
        transition = (profile.get("scores") or {})["transition"]
        assert transition["assumption"] is True, name
        assert transition["source"].startswith("VARIO 2026 (seed 002)"), name
        assert transition["note"], name
        assert 0 <= transition["value"] <= 5, name


def test_the_folder_validates_with_the_project_loader(rulebook, expected):
    profiles = load_profiles([Path(TECH_DIR)], rulebook)
    assert len(profiles) == 38
    by_name = {p.name: p for p in profiles}
    assert sorted(by_name) == sorted(ANNEX_NAMES)
    # What the loader keeps is what the table says (a check on the parsed model, not the YAML).
    for row in expected:
        indicator = by_name[row["technology"]].indicators[row["indicator"]]
        assert indicator.value == float(row["value"]), (row["technology"], row["indicator"])
    # Nothing beyond the table survives loading either.
    assert sum(len(set(p.indicators) & INDICATORS) for p in profiles) == len(expected)
