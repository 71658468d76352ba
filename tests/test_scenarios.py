"""Scenario files as test cases: each tests/scenarios/*.yaml holds a profile and what must
come out of it. Add a case by adding a file; this runner collects them all."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from decision.engine.walk import Engine
from decision.inputs.profiles import load_profiles
from decision.inputs.yaml_source import load_yaml_file

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))
EXPECT_KEYS = {"category", "variant", "leaf", "path", "missing_links", "actions", "warnings", "blocking", "reachable"}


def test_there_are_scenarios_for_every_leaf(rulebook):
    covered = {path.stem.split("-")[0] for path in SCENARIOS}
    assert set(rulebook.leaves) <= covered


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(scenario, rulebook, tmp_path):
    data = load_yaml_file(scenario).data
    assert set(data) <= {"about", "expect", "profile", "thresholds"}, scenario
    expect = data["expect"]
    assert set(expect) <= EXPECT_KEYS, f"unknown expectation in {scenario}"
    profile_file = tmp_path / "profile.yaml"
    profile_file.write_text(yaml.safe_dump(data["profile"], sort_keys=False), encoding="utf-8")
    rules = rulebook.with_thresholds(data.get("thresholds") or {})
    (profile,) = load_profiles([profile_file], rules)
    result = Engine(rules).classify(profile)

    assert result.category == expect["category"]
    if "variant" in expect:
        assert result.variant == expect["variant"]
    if "leaf" in expect:
        assert (result.leaf.code if result.leaf else None) == expect["leaf"]
    if "path" in expect:
        assert [f"{s.node} {s.outcome}" for s in result.path] == expect["path"]
    if "missing_links" in expect:
        assert result.missing_links == expect["missing_links"]
    if "actions" in expect:
        assert [a.code for a in result.actions] == expect["actions"]
    if "warnings" in expect:
        assert [w.code for w in result.warnings] == expect["warnings"]
    if "blocking" in expect:
        assert result.blocking == expect["blocking"]
    if "reachable" in expect:
        assert result.reachable == expect["reachable"]
