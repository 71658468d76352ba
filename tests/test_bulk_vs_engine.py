"""The vectorised evaluator must agree with the durable-rules walk, row for row."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision.engine.bulk import BulkEvaluator, outcome_label
from decision.engine.rules_check import score_grid
from decision.engine.walk import Engine
from decision.inputs.profiles import DomainProfile
from decision.model.result import ScoreValue


def _profile(values: dict[str, float | None]) -> DomainProfile:
    scores = {name: ScoreValue(value=value) for name, value in values.items() if value is not None}
    return DomainProfile(id="row", name="row", file="-", line=1, scores=scores)


def _engine_labels(engine: Engine, rows: list[dict]) -> list[tuple[str, str | None]]:
    labels = []
    for values in rows:
        result = engine.classify(_profile(values))
        label = "undetermined" if result.category == "undetermined" else outcome_label(result.category, result.variant)
        labels.append((label, result.leaf.code if result.leaf else None))
    return labels


def _bulk_labels(bulk: BulkEvaluator, rows: list[dict]) -> list[tuple[str, str | None]]:
    columns = {
        name: np.array([np.nan if row[name] is None else row[name] for row in rows], dtype=float)
        for name in bulk.score_names
    }
    out = bulk.evaluate(columns, chunk=997)  # an odd chunk size exercises the chunk seams
    return [(out.label_of(i), out.leaves[out.leaf[i]] if out.leaf[i] >= 0 else None) for i in range(len(rows))]


def test_bulk_matches_engine_on_threshold_grid(rulebook):
    names = list(rulebook.scores)
    axes = []
    for name in names:
        threshold = rulebook.thresholds[name].value
        axes.append([math.nextafter(threshold, -math.inf), threshold, None])
    rows = [dict(zip(names, combination, strict=True)) for combination in itertools.product(*axes)]
    assert _bulk_labels(BulkEvaluator(rulebook), rows) == _engine_labels(Engine(rulebook), rows)


@pytest.mark.slow
def test_bulk_covers_the_full_rules_check_grid(rulebook):
    """On the 5^7 grid of `rules check`, the bulk evaluator reaches every leaf and the
    same number of undetermined rows the check counts."""
    from decision.engine.rules_check import check_rules

    grid = score_grid(rulebook)
    names = list(grid)
    columns = {name: [] for name in names}
    for combination in itertools.product(*(grid[n] for n in names)):
        for name, value in zip(names, combination, strict=True):
            columns[name].append(np.nan if value is None else value)
    out = BulkEvaluator(rulebook).evaluate({n: np.array(v) for n, v in columns.items()})
    report = check_rules(rulebook)
    assert int((out.outcome == -1).sum()) == report.undetermined
    for index, code in enumerate(out.leaves):
        assert int((out.leaf == index).sum()) == report.leaf_counts[code]


score_value = st.one_of(
    st.none(),
    st.sampled_from([0.0, 5.0, 2.9999999999999996, 3.0, 3.9999999999999996, 4.0]),
    st.floats(min_value=0, max_value=5, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                n: score_value
                for n in ("economic", "innovation", "technology", "science", "opportunity", "transition", "feasibility")
            }
        ),
        min_size=1,
        max_size=40,
    )
)
def test_bulk_matches_engine_on_random_profiles(rulebook, rows):
    assert _bulk_labels(BulkEvaluator(rulebook), rows) == _engine_labels(Engine(rulebook), rows)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                n: score_value
                for n in ("economic", "innovation", "technology", "science", "opportunity", "transition", "feasibility")
            }
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from(["economic", "innovation", "science", "opportunity", "transition"]),
    st.one_of(st.just(0.0), st.floats(min_value=1e-4, max_value=5, allow_nan=False)),
)
def test_bulk_threshold_overrides_match_engine(rulebook, rows, name, threshold):
    overridden = rulebook.with_thresholds({name: threshold})
    bulk = BulkEvaluator(rulebook)
    columns = {
        n: np.array([np.nan if row[n] is None else row[n] for row in rows], dtype=float) for n in bulk.score_names
    }
    out = bulk.evaluate(columns, thresholds={name: threshold})
    labels = [(out.label_of(i), out.leaves[out.leaf[i]] if out.leaf[i] >= 0 else None) for i in range(len(rows))]
    assert labels == _engine_labels(Engine(overridden), rows)
