"""The 38 technology profiles: every score cites a seed line or is missing, and the
technologies a direct statement of the sources decides land where the sources put them.

The seeds themselves are not part of the project (their text is not ours to copy). When
they are at hand (``../shared/seeds`` next to the checkout, or ``DECISION_SEEDS``), every
cited line is also checked to exist and hold text.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest
import yaml

from decision.engine.walk import classify_all
from decision.inputs.profiles import load_profiles
from tests.conftest import DOMAINS_DIR, REPO
from tests.test_ceps_figures import INDICATORS

TECH_DIR = DOMAINS_DIR / "technologies"
DIRECT = list(csv.DictReader((REPO / "tests" / "data" / "technology_direct.csv").open(encoding="utf-8")))
# The CEPS figures, checked against the report in test_ceps_figures.py.
CEPS_INDICATORS = INDICATORS
# "... (seed 002), lines 190 and 1175 ..." or "... (seed 004), line 41 ...": a seed and its lines.
CITATION = re.compile(r"\(seed (00[0-4])\)[^;]*?\blines? (\d+(?:(?:, | and )\d+)*)")


def _seeds_dir() -> Path | None:
    for candidate in (os.environ.get("DECISION_SEEDS"), REPO.parent / "shared" / "seeds"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def _profiles() -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(TECH_DIR.glob("*.yaml"))}


def _citations(source: str) -> list[tuple[str, int]]:
    found = []
    for seed, lines in CITATION.findall(source):
        found += [(seed, int(n)) for n in re.findall(r"\d+", lines)]
    return found


def _evidence():
    """(profile, section, name, entry) for every score and every non-CEPS indicator."""
    for stem, profile in _profiles().items():
        for name, entry in (profile.get("scores") or {}).items():
            if name != "transition":  # argued, tested in test_ceps_figures.py
                yield stem, "scores", name, entry
        for name, entry in (profile.get("indicators") or {}).items():
            if name not in CEPS_INDICATORS:
                yield stem, "indicators", name, entry


EVIDENCE = list(_evidence())


def test_there_is_evidence_beyond_the_ceps_figures():
    assert len(EVIDENCE) > 100
    assert {section for _, section, _, _ in EVIDENCE} == {"scores", "indicators"}


@pytest.mark.parametrize(("stem", "section", "name", "entry"), EVIDENCE, ids=[f"{e[0]}-{e[2]}" for e in EVIDENCE])
def test_every_score_cites_a_seed_line(stem, section, name, entry):
    assert isinstance(entry, dict), "evidence must say where it comes from"
    citations = _citations(entry["source"])
    assert citations, f"{stem}: {name}: no seed line in {entry['source']!r}"
    assert entry.get("note"), f"{stem}: {name}: say how the value was read"
    if section == "indicators":
        # Every non-CEPS indicator of a technology is a proxy: its sector's row or Belgium.
        assert entry.get("assumption") is True, f"{stem}: {name} is a proxy"
        assert entry["note"].startswith("Proxy: "), f"{stem}: {name}"
    else:
        # A score written in a technology profile is a direct statement, never a proxy.
        assert entry.get("assumption") is False, f"{stem}: {name}"
        assert entry["note"].startswith("Stated"), f"{stem}: {name}"
    if name.startswith("t1_"):
        # VARIO's own warning that sector and technology analyses do not map one to one.
        assert "Box 1, line 757" in entry["note"] and "crossing" in entry["note"], f"{stem}: {name}"


@pytest.mark.skipif(_seeds_dir() is None, reason="the seeds are not at hand")
def test_every_cited_line_exists_and_holds_text():
    seeds = _seeds_dir()
    texts = {p.name[:3]: p.read_text(encoding="utf-8").split("\n") for p in seeds.glob("00*.txt")}
    checked = 0
    for stem, _, name, entry in EVIDENCE:
        for seed, line in _citations(entry["source"]):
            lines = texts[seed]
            assert 1 <= line <= len(lines) and lines[line - 1].strip(), f"{stem}: {name}: seed {seed} line {line}"
            checked += 1
    assert checked >= len(EVIDENCE)


def test_a_direct_statement_beats_the_proxy(rulebook):
    [semis] = load_profiles([TECH_DIR / "semiconductors.yaml"], rulebook)
    economic = semis.scores["economic"]
    assert (economic.value, economic.origin, economic.assumption) == (2, "profile", False)
    # The overridden derivation from the electronics row stays visible, marked unused.
    assert economic.derivation is not None and economic.derivation.used is False
    assert economic.derivation.value == 3


def test_a_score_from_a_proxy_is_an_assumption(rulebook):
    [robotics] = load_profiles([TECH_DIR / "robotics.yaml"], rulebook)
    economic = robotics.scores["economic"]
    assert (economic.origin, economic.assumption) == ("indicators", True)
    assert "proxy: t1_value_added, t1_export" in economic.note


@pytest.mark.parametrize("row", DIRECT, ids=[r["id"] for r in DIRECT])
def test_a_technology_a_direct_statement_decides(rulebook, row):
    stem = row["id"].removeprefix("kst-")
    [result] = classify_all(load_profiles([TECH_DIR / f"{stem}.yaml"], rulebook), rulebook)
    assert (result.category, result.leaf.code) == (row["category"], row["leaf"]), row["decided_by"]


def test_the_seeds_settle_some_technologies_and_leave_the_rest_open(rulebook):
    results = classify_all(load_profiles([TECH_DIR], rulebook), rulebook)
    undetermined = [r for r in results if r.category == "undetermined"]
    # Before the evidence work all 38 were undetermined; each still open says what blocks it.
    assert len(results) == 38 and len(undetermined) < 38 - len(DIRECT)
    assert all(r.blocking for r in undetermined)


def test_the_profiles_page_lists_the_outcomes_as_they_are(rulebook):
    page = (REPO / "docs" / "profiles.md").read_text(encoding="utf-8")
    section = page[page.index("## The 38 key strategic technologies") :]
    results = classify_all(load_profiles([TECH_DIR], rulebook), rulebook)
    for r in results:
        if r.category == "undetermined":
            row = f"| `{r.id}` | {', '.join(r.blocking)} | {', '.join(r.reachable)} |"
        else:
            label = r.category + (f"/{r.variant}" if r.variant else "")
            row = f"| `{r.id}` | {label} | {r.leaf.code} |"
        assert row in section, f"docs/profiles.md is stale for {r.id}: expected {row}"
    decided = sum(r.category != "undetermined" for r in results)
    assert f"**After:** {decided} of 38 are decided" in section
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"**After: {decided} decided**" in readme
    assert f"**and {38 - decided} undetermined**" in readme
