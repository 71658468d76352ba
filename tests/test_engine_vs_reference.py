"""The durable-rules walk against the independent reference, on a grid and at random."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision.engine.walk import Engine
from decision.inputs.profiles import DomainProfile
from decision.model.result import ScoreValue
from tests import reference

SCORES = list(reference.THRESHOLDS)
# Thresholds in (0, 0.0001) are refused at load time (see rulebook.check_engine_number).
threshold_value = st.one_of(st.just(0.0), st.floats(min_value=1e-4, max_value=5, allow_nan=False))


def profile(values: dict[str, float | None]) -> DomainProfile:
    return DomainProfile(
        id="grid",
        name="grid",
        file="grid",
        line=1,
        scores={name: ScoreValue(value=value) for name, value in values.items() if value is not None},
    )


def check(engine: Engine, values: dict[str, float | None], thresholds=reference.THRESHOLDS) -> None:
    result = engine.classify(profile(values))
    category, variant, links, outcomes = reference.classify(values, thresholds)
    assert result.category == category, values
    assert result.variant == variant, values
    if category == "undetermined":
        assert result.blocking, values
        assert set(result.blocking) <= {n for n, v in values.items() if v is None}
        labels = {c if v is None else f"{c}/{v}" for c, v in outcomes}
        assert set(result.reachable) == labels, values
        assert result.actions == []
    else:
        assert result.blocking == []
        if links is not None:
            assert tuple(result.missing_links) == links, values
    feasibility = reference.tests(values, thresholds)["F"]
    codes = {w.code for w in result.warnings}
    assert ("VW01" in codes) == (feasibility is False)
    assert ("VW02" in codes) == (feasibility is None)


def grid_values(threshold: float) -> list[float | None]:
    return [math.nextafter(threshold, -math.inf), threshold, None]


def test_engine_matches_reference_on_threshold_grid(rulebook):
    """Every combination of: just below, at the threshold, missing (3^7 profiles)."""
    engine = Engine(rulebook)
    axes = [grid_values(reference.THRESHOLDS[name]) for name in SCORES]
    count = 0
    for combination in itertools.product(*axes):
        check(engine, dict(zip(SCORES, combination, strict=True)))
        count += 1
    assert count == 3**7


score_value = st.one_of(
    st.none(),
    st.sampled_from([0.0, 5.0, 2.9999999999999996, 3.0, 3.9999999999999996, 4.0]),
    st.floats(min_value=0, max_value=5, allow_nan=False),
)


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({name: score_value for name in SCORES}))
def test_engine_matches_reference_on_random_profiles(rulebook, values):
    check(Engine(rulebook), values)


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries({name: score_value for name in SCORES}),
    st.sampled_from(SCORES),
    threshold_value,
)
def test_threshold_overrides_match_reference(rulebook, values, name, threshold):
    overridden = rulebook.with_thresholds({name: threshold})
    check(Engine(overridden), values, {**reference.THRESHOLDS, name: threshold})


@pytest.mark.slow
@pytest.mark.parametrize("count", [3000])
def test_thousands_of_profiles_in_one_process(rulebook, count):
    """durable-rules holds about 1024 live sessions; deleting state keeps us far below."""
    engine = Engine(rulebook)
    chooser = random.Random(7)
    inputs = [{name: chooser.choice([1.0, 3.0, 4.0, 5.0]) for name in SCORES} for _ in range(count)]
    results = [engine.classify(profile(values)) for values in inputs]
    expected = [reference.classify(values)[:2] for values in inputs]
    assert [(r.category, r.variant) for r in results] == expected
    assert len({r.category for r in results}) >= 3
