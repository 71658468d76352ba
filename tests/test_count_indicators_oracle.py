"""The indicators computed from counts against an independent implementation: ecomplexity.

ecomplexity (PyPI, the Growth Lab's package; a test-only dependency) computes RCA,
presence (``mcp``), Hidalgo's proximity, density and the product complexity index (PCI)
from a long table with a time column. Where its definitions are ours the figures agree
to 1e-9; where they differ the mapping is stated and applied here:

- RCA, presence (RCA >= 1), proximity: the same definitions; compared as they are.
- density: ecomplexity keeps a technology's relatedness to itself (phi_ii = 1) and gives
  a share 0-1. Ours is 0-100 and, by default, leaves the technology itself out
  (Balland et al. 2019). Mapping: ours with ``exclude_self: false`` = 100 * ecomplexity's
  density; ours by default = 100 * ecomplexity's density computed on a proximity
  matrix with its diagonal set to 0 (passed as ``proximity_edgelist``).
- complexity: ecomplexity's PCI is the same eigenvector, standardised with the mean and
  standard deviation of the ECI (a z-score like scale). Ours is rescaled 0-100. Min-max
  rescaling forgets any positive affine change, so ours = 100 (pci - min) / (max - min),
  and for ``percentile`` ours = 100 (rank(pci) - 1) / (n - 1) with scipy's mean ranks.
  The method of reflections is not in ecomplexity; it converges to that eigenvector, so
  with many steps it agrees with ecomplexity's PCI to 1e-6 (not 1e-9: it is a limit).
- cosine relatedness is checked against scikit-learn's cosine_similarity of the presence
  vectors (installed with ecomplexity), association strength against its definition
  written out cell by cell.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision.analyses.count_indicators import (
    complexity_vector,
    compute_indicators,
    density_matrix,
    relatedness_matrix,
    rescale,
)
from decision.inputs.count_table import CountMatrix
from decision.inputs.indicator_methods import Method

ecomplexity = pytest.importorskip("ecomplexity")

TOLERANCE = 1e-9
BASE = Method(
    rca_cutoff=1.0, relatedness="proximity", exclude_self=True, complexity="eigenvector", steps=20, rescaling="minmax"
)
# (seed, regions, technologies): small and square-ish, tall, wide; all fast.
SHAPES = [(0, 12, 9), (1, 40, 25), (2, 25, 60), (3, 80, 30)]


def random_counts(seed: int, regions: int, technologies: int) -> np.ndarray:
    """Skewed counts like patent tables: many small, a few large, some zeros."""
    rng = np.random.default_rng(seed)
    size = rng.gamma(1.0, 1.0, (regions, 1)) * rng.gamma(1.0, 1.0, (1, technologies))
    counts = rng.poisson(20 * size).astype(float)
    # No empty row or column here: the test of empty ones makes them on purpose.
    for r in np.flatnonzero(counts.sum(axis=1) == 0):
        counts[r, rng.integers(technologies)] = 1
    for t in np.flatnonzero(counts.sum(axis=0) == 0):
        counts[rng.integers(regions), t] = 1
    return counts


def matrix_of(counts: np.ndarray) -> CountMatrix:
    regions = tuple(f"r{i:03d}" for i in range(counts.shape[0]))
    technologies = tuple(f"t{j:03d}" for j in range(counts.shape[1]))
    zeros = np.zeros(counts.shape, dtype=np.int64)
    return CountMatrix(Path("m.csv"), "m.csv", "0" * 64, "wide", regions, technologies, counts, zeros, zeros)


def long_frame(matrix: CountMatrix) -> pd.DataFrame:
    r, t = np.meshgrid(np.arange(len(matrix.regions)), np.arange(len(matrix.technologies)), indexing="ij")
    return pd.DataFrame(
        {
            "year": 2024,
            "region": np.array(matrix.regions)[r.ravel()],
            "technology": np.array(matrix.technologies)[t.ravel()],
            "count": matrix.counts.ravel(),
        }
    )


COLUMNS = {"time": "year", "loc": "region", "prod": "technology", "val": "count"}


def oracle(matrix: CountMatrix, **options) -> pd.DataFrame:
    """ecomplexity's output as a region x technology frame of each column."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ecomplexity.ecomplexity(
            long_frame(matrix), COLUMNS, verbose=False, check_logsupermodularity=False, **options
        )
    return out


def grid(out: pd.DataFrame, column: str, regions, technologies) -> np.ndarray:
    table = out.pivot(index="region", columns="technology", values=column)
    return table.loc[list(regions), list(technologies)].to_numpy(dtype=float)


def oracle_proximity(matrix: CountMatrix, technologies) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()):  # it prints the year it works on
            edges = ecomplexity.proximity(long_frame(matrix), COLUMNS)
    table = edges.pivot(index="technology_1", columns="technology_2", values="proximity")
    return table.loc[list(technologies), list(technologies)].to_numpy(dtype=float, copy=True)


@pytest.fixture(params=SHAPES, ids=lambda shape: f"seed{shape[0]}-{shape[1]}x{shape[2]}")
def case(request):
    seed, regions, technologies = request.param
    matrix = matrix_of(random_counts(seed, regions, technologies))
    return matrix, oracle(matrix)


def test_rca_and_presence_agree(case):
    matrix, out = case
    ours = compute_indicators(matrix, BASE)
    assert ours.rca.shape == matrix.counts.shape  # the random tables have no empty row or column
    np.testing.assert_allclose(ours.rca, grid(out, "rca", ours.regions, ours.technologies), rtol=TOLERANCE, atol=0)
    np.testing.assert_array_equal(ours.presence, grid(out, "mcp", ours.regions, ours.technologies) == 1)


def test_proximity_agrees(case):
    matrix, _ = case
    ours = compute_indicators(matrix, BASE)
    phi = relatedness_matrix(ours.presence, "proximity", exclude_self=False)
    np.testing.assert_allclose(phi, oracle_proximity(matrix, ours.technologies), rtol=0, atol=TOLERANCE)
    # Excluding itself changes the diagonal only.
    off = ~np.eye(len(ours.technologies), dtype=bool)
    np.testing.assert_array_equal(ours.relatedness[off], phi[off])
    assert not ours.relatedness.diagonal().any()


def test_density_with_itself_is_ecomplexity_density_times_100(case):
    matrix, out = case
    ours = compute_indicators(matrix, BASE)
    phi = relatedness_matrix(ours.presence, "proximity", exclude_self=False)
    density = density_matrix(ours.presence, phi)
    expected = 100 * grid(out, "density", ours.regions, ours.technologies)
    np.testing.assert_allclose(density, expected, rtol=0, atol=TOLERANCE)


def test_density_without_itself_is_ecomplexity_on_a_zero_diagonal(case):
    matrix, _ = case
    ours = compute_indicators(matrix, BASE)
    technologies = list(ours.technologies)
    phi = oracle_proximity(matrix, technologies)
    np.fill_diagonal(phi, 0.0)
    edges = pd.DataFrame(
        [(a, b, phi[i, j]) for i, a in enumerate(technologies) for j, b in enumerate(technologies)],
        columns=["prod1", "prod2", "proximity"],
    )
    out = oracle(matrix, proximity_edgelist=edges)
    expected = 100 * grid(out, "density", ours.regions, ours.technologies)
    np.testing.assert_allclose(ours.density, expected, rtol=0, atol=TOLERANCE)


def minmax(values: np.ndarray) -> np.ndarray:
    return 100 * (values - values.min()) / (values.max() - values.min())


def oracle_pci(out: pd.DataFrame, technologies) -> np.ndarray:
    return out.groupby("technology")["pci"].first().loc[list(technologies)].to_numpy(dtype=float)


def test_complexity_is_minmax_of_ecomplexity_pci(case):
    matrix, out = case
    ours = compute_indicators(matrix, BASE)
    np.testing.assert_allclose(ours.complexity, minmax(oracle_pci(out, ours.technologies)), rtol=0, atol=TOLERANCE)
    assert ours.complexity.min() == 0 and ours.complexity.max() == 100


def test_percentile_is_the_rank_of_ecomplexity_pci(case):
    from scipy.stats import rankdata

    matrix, out = case
    ours = compute_indicators(matrix, Method(**{**BASE.__dict__, "rescaling": "percentile"}))
    pci = oracle_pci(out, ours.technologies)
    np.testing.assert_allclose(ours.complexity, 100 * (rankdata(pci) - 1) / (len(pci) - 1), rtol=0, atol=TOLERANCE)


def test_reflections_converge_to_ecomplexity_pci(case):
    matrix, out = case
    ours = compute_indicators(matrix, BASE)
    raw, notices = complexity_vector(ours.presence, "reflections", steps=3000)
    assert notices == []
    np.testing.assert_allclose(rescale(raw, "minmax"), minmax(oracle_pci(out, ours.technologies)), atol=1e-6)


def test_cosine_agrees_with_scikit_learn(case):
    from sklearn.metrics.pairwise import cosine_similarity

    matrix, _ = case
    presence = compute_indicators(matrix, BASE).presence
    phi = relatedness_matrix(presence, "cosine", exclude_self=False)
    np.testing.assert_allclose(phi, cosine_similarity(presence.T.astype(float)), rtol=0, atol=TOLERANCE)


def test_association_strength_is_observed_over_expected_co_occurrence():
    presence = compute_indicators(matrix_of(random_counts(5, 15, 7)), BASE).presence
    phi = relatedness_matrix(presence, "association_strength", exclude_self=False)
    regions, technologies = presence.shape
    for i in range(technologies):
        for j in range(technologies):
            both = sum(bool(presence[r, i] and presence[r, j]) for r in range(regions))
            expected = presence[:, i].sum() * presence[:, j].sum() / regions
            assert phi[i, j] == pytest.approx(both / expected, abs=TOLERANCE)


def test_empty_rows_and_columns_are_left_out_as_ecomplexity_does():
    counts = random_counts(7, 20, 12)
    counts[3, :] = 0
    counts[:, 5] = 0
    matrix = matrix_of(counts)
    ours = compute_indicators(matrix, BASE)
    out = oracle(matrix)
    out = out[out["region"].isin(ours.regions) & out["technology"].isin(ours.technologies)]
    assert "r003" not in ours.regions and "t005" not in ours.technologies
    assert any("r003" in notice for notice in ours.notices)
    assert any("t005" in notice for notice in ours.notices)
    np.testing.assert_allclose(ours.rca, grid(out, "rca", ours.regions, ours.technologies), rtol=TOLERANCE)
    np.testing.assert_allclose(ours.complexity, minmax(oracle_pci(out, ours.technologies)), rtol=0, atol=TOLERANCE)


# --- properties that hold whatever the counts ----------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.sampled_from([2.0, 10.0, 1000.0]),
    measure=st.sampled_from(["proximity", "cosine", "association_strength"]),
)
def test_indicators_ignore_the_unit_and_the_order_of_the_table(seed, scale, measure):
    """Counting in dozens or listing regions in another order changes no figure."""
    counts = random_counts(seed, 15, 10)
    method = Method(**{**BASE.__dict__, "relatedness": measure})
    base = compute_indicators(matrix_of(counts), method)
    scaled = compute_indicators(matrix_of(counts * scale), method)
    np.testing.assert_allclose(scaled.rca, base.rca, rtol=1e-12)
    np.testing.assert_array_equal(scaled.presence, base.presence)
    np.testing.assert_allclose(scaled.complexity, base.complexity, atol=1e-9)
    rng = np.random.default_rng(seed)
    rows, columns = rng.permutation(counts.shape[0]), rng.permutation(counts.shape[1])
    moved = compute_indicators(matrix_of(counts[rows][:, columns]), method)
    np.testing.assert_allclose(moved.rca, base.rca[rows][:, columns], rtol=1e-12)
    np.testing.assert_allclose(moved.density, base.density[rows][:, columns], atol=1e-9)
    np.testing.assert_allclose(moved.complexity, base.complexity[columns], atol=1e-9)


def test_a_region_exactly_at_the_cut_off_is_present():
    # One cell of this table has RCA 1.25 exactly (x * total = 1.25 * row total * column
    # total, all whole numbers), yet the quotient of the two shares lands a hair below.
    counts = np.array([[48.0, 39.0, 38.0], [17.0, 31.0, 10.0], [16.0, 54.0, 37.0]])
    exact = counts * counts.sum() == 1.25 * counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True)
    [(r, t)] = np.argwhere(exact)
    method = Method(**{**BASE.__dict__, "rca_cutoff": 1.25})
    indicators = compute_indicators(matrix_of(counts), method)
    assert indicators.rca[r, t] < 1.25
    assert indicators.presence[r, t]
