"""RCA, presence, relatedness density and complexity computed from a regions x technologies count matrix.

The definitions, all vectorised with numpy (x = counts, M = presence):

- RCA (Balassa): ``(x[r,t] / x[r,.]) / (x[.,t] / x[.,.])``; presence ``M = RCA >= cut-off``.
- Relatedness ``phi`` between technologies from the co-occurrence ``C = M'M`` of presence
  across regions, with ubiquity ``u = C``'s diagonal: ``proximity`` ``C / max(u_i, u_j)``
  (Hidalgo et al. 2007), ``cosine`` ``C / sqrt(u_i u_j)``, ``association_strength``
  ``R C / (u_i u_j)`` (van Eck and Waltman 2009).
- Relatedness density (Balland et al. 2019): ``100 sum_j phi_ij M[r,j] / sum_j phi_ij``,
  the technology itself left out unless the method keeps it.
- Complexity (Hidalgo and Hausmann 2009): the eigenvector of the second largest
  eigenvalue of ``M~ = D_u^-1 M' D_d^-1 M`` (d = diversity), or the method of
  reflections, oriented so that the regions' mean complexity rises with their diversity,
  then rescaled to 0-100.

Nothing is ever divided by zero: a region or technology with no counts is left out and
named in the result's notices, as is a technology present in no region (it has no
complexity and relates to nothing) or one related to nothing (no density).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from decision.errors import UsageError, did_you_mean
from decision.inputs.count_table import CountMatrix
from decision.inputs.indicator_methods import IndicatorTargets, Method

# Below this gap the second eigenvalue is not told from the first (or the third): the
# presence network falls apart into pieces and complexity is not one ordering.
_EIGEN_GAP = 1e-9


@dataclass(frozen=True)
class Indicators:
    """Every indicator of every kept region and technology, under one method."""

    regions: tuple[str, ...]
    technologies: tuple[str, ...]
    rca: np.ndarray  # (regions, technologies)
    presence: np.ndarray  # bool, (regions, technologies)
    relatedness: np.ndarray  # phi, (technologies, technologies), diagonal as the method says
    density: np.ndarray  # 0-100, NaN where a technology relates to nothing
    complexity_raw: np.ndarray  # (technologies,), NaN where a technology is present nowhere
    complexity: np.ndarray  # rescaled 0-100, NaN as above
    notices: list[str] = field(default_factory=list)


def rca_matrix(counts: np.ndarray) -> np.ndarray:
    """Balassa's RCA of every cell; rows and columns must have positive totals."""
    region_totals = counts.sum(axis=1, keepdims=True)
    technology_totals = counts.sum(axis=0, keepdims=True)
    return (counts / region_totals) / (technology_totals / counts.sum())


def presence_matrix(counts: np.ndarray, cutoff: float) -> np.ndarray:
    """RCA >= cutoff, decided without dividing: x[r,t] * total >= cutoff * x[r,.] * x[.,t].

    For whole counts and the cut-off 1 both sides are exact integers (below 2**53), so a
    region exactly at the cut-off is present, where the quotient can land a hair below 1."""
    total = counts.sum()
    return counts * total >= cutoff * counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True)


def relatedness_matrix(presence: np.ndarray, measure: str, *, exclude_self: bool) -> np.ndarray:
    """Relatedness between technologies from the co-occurrence of presence across regions.

    Pairs with an absent technology (ubiquity 0) are 0, never a division by zero."""
    m = presence.astype(float)
    co = m.T @ m
    ubiquity = np.diag(co).copy()
    if measure == "proximity":
        scale = np.maximum(ubiquity[:, None], ubiquity[None, :])
    elif measure == "cosine":
        scale = np.sqrt(ubiquity[:, None] * ubiquity[None, :])
    elif measure == "association_strength":
        scale = ubiquity[:, None] * ubiquity[None, :] / m.shape[0]
    else:  # the loader refuses other names; this guards direct callers
        raise UsageError(f'unknown relatedness measure "{measure}"')
    phi = np.divide(co, scale, out=np.zeros_like(co), where=scale > 0)
    if exclude_self:
        np.fill_diagonal(phi, 0.0)
    return phi


def density_matrix(presence: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Relatedness density 0-100 of every region and technology; NaN where phi's row sums to 0."""
    totals = phi.sum(axis=1)
    weighted = presence.astype(float) @ phi.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals[None, :] > 0, 100.0 * weighted / totals[None, :], np.nan)


def complexity_vector(presence: np.ndarray, method: str, steps: int = 20) -> tuple[np.ndarray, list[str]]:
    """Raw technology complexity (NaN for a technology present nowhere) and notices.

    Regions with no presence and technologies present nowhere are left out of the
    computation, as they have no diversity or ubiquity to divide by."""
    m_all = presence.astype(float)
    diversity_all, ubiquity_all = m_all.sum(axis=1), m_all.sum(axis=0)
    keep_r, keep_t = diversity_all > 0, ubiquity_all > 0
    result = np.full(presence.shape[1], np.nan)
    notices: list[str] = []
    if keep_t.sum() < 2 or keep_r.sum() < 2:
        notices.append("complexity needs at least two regions and two technologies with presence; none computed")
        return result, notices
    m = m_all[keep_r][:, keep_t]
    diversity, ubiquity = diversity_all[keep_r], ubiquity_all[keep_t]
    if method == "eigenvector":
        # The symmetric form D_u^-1/2 M' D_d^-1 M D_u^-1/2 has the eigenvalues of M~ and
        # real, orthogonal eigenvectors (eigh), where M~ itself is not symmetric.
        scaled = m / np.sqrt(diversity)[:, None] / np.sqrt(ubiquity)[None, :]
        values, vectors = np.linalg.eigh(scaled.T @ scaled)
        if values[-1] - values[-2] < _EIGEN_GAP or (len(values) > 2 and values[-2] - values[-3] < _EIGEN_GAP):
            notices.append(
                "the presence network is not connected or its second eigenvalue is repeated: "
                "complexity is not a unique ordering here"
            )
        k = vectors[:, -2] / np.sqrt(ubiquity)
    elif method == "reflections":
        k = ubiquity.copy()
        for _ in range(steps):
            k = m.T @ ((m @ k) / diversity) / ubiquity
            spread = k.std()
            if spread == 0:
                notices.append("the method of reflections reached a constant: every technology equally complex")
                break
            k = (k - k.mean()) / spread
    else:
        raise UsageError(f'unknown complexity method "{method}"')
    k = _oriented(k, m, diversity, ubiquity)
    result[keep_t] = k
    return result, notices


def _oriented(k: np.ndarray, m: np.ndarray, diversity: np.ndarray, ubiquity: np.ndarray) -> np.ndarray:
    """``k`` or ``-k``: more diverse regions have more complex technologies on average (as
    ecomplexity orients it); where every region is equally diverse, rarer technologies
    are the more complex."""
    region_mean = (m @ k) / diversity
    if np.std(diversity) > 0 and np.std(region_mean) > 0:
        return -k if np.corrcoef(diversity, region_mean)[0, 1] < 0 else k
    if np.std(ubiquity) > 0 and np.std(k) > 0:
        return -k if np.corrcoef(ubiquity, k)[0, 1] > 0 else k
    return k


def rescale(values: np.ndarray, how: str) -> np.ndarray:
    """0-100 over the finite values: min-max, or the percentile of the rank (ties share their mean rank)."""
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    if finite.sum() < 2:
        return out
    v = values[finite]
    if how == "minmax":
        low, high = v.min(), v.max()
        if high - low <= 1e-12 * max(1.0, abs(high)):
            return out
        # The largest is exactly 100 (the division can land a hair below).
        out[finite] = np.where(v == high, 100.0, 100.0 * (v - low) / (high - low))
    elif how == "percentile":
        order = np.argsort(v, kind="stable")
        ranks = np.empty(len(v))
        ranks[order] = np.arange(1, len(v) + 1)
        # Equal values share the mean of their ranks.
        _, inverse = np.unique(v, return_inverse=True)
        sums = np.bincount(inverse, weights=ranks)
        counts = np.bincount(inverse)
        ranks = (sums / counts)[inverse]
        out[finite] = 100.0 * (ranks - 1) / (len(v) - 1)
    else:
        raise UsageError(f'unknown rescaling "{how}"')
    return out


def compute_indicators(matrix: CountMatrix, method: Method) -> Indicators:
    """Every indicator of the table under ``method``; empty regions and technologies left out and named."""
    counts = matrix.counts
    notices: list[str] = []
    keep_r = counts.sum(axis=1) > 0
    keep_t = counts.sum(axis=0) > 0
    empty_regions = [name for name, keep in zip(matrix.regions, keep_r, strict=True) if not keep]
    empty_technologies = [name for name, keep in zip(matrix.technologies, keep_t, strict=True) if not keep]
    if empty_regions:
        notices.append(f"regions with no counts, left out: {', '.join(empty_regions)}")
    if empty_technologies:
        notices.append(f"technologies with no counts in any region, left out: {', '.join(empty_technologies)}")
    regions = tuple(name for name, keep in zip(matrix.regions, keep_r, strict=True) if keep)
    technologies = tuple(name for name, keep in zip(matrix.technologies, keep_t, strict=True) if keep)
    if len(regions) < 2 or len(technologies) < 2:
        raise UsageError(
            f"{matrix.path}: needs at least two regions and two technologies with counts "
            f"(has {len(regions)} and {len(technologies)})"
        )
    kept = counts[keep_r][:, keep_t]
    rca = rca_matrix(kept)
    presence = presence_matrix(kept, method.rca_cutoff)
    ubiquity = presence.sum(axis=0)
    absent = [name for name, u in zip(technologies, ubiquity, strict=True) if u == 0]
    if absent:
        notices.append(
            f"technologies in which no region reaches RCA {method.rca_cutoff:g} (no complexity, related to nothing): "
            + ", ".join(absent)
        )
    phi = relatedness_matrix(presence, method.relatedness, exclude_self=method.exclude_self)
    density = density_matrix(presence, phi)
    unrelated = [name for name, total in zip(technologies, phi.sum(axis=1), strict=True) if total == 0]
    if unrelated:
        notices.append(f"technologies related to no other (no relatedness density): {', '.join(unrelated)}")
    raw, complexity_notices = complexity_vector(presence, method.complexity, method.steps)
    notices.extend(complexity_notices)
    complexity = rescale(raw, method.rescaling)
    if np.isfinite(raw).sum() >= 2 and not np.isfinite(complexity).any():
        notices.append("every technology is equally complex: nothing to rescale to 0-100, no complexity given")
    return Indicators(regions, technologies, rca, presence, phi, density, raw, complexity, notices)


@dataclass(frozen=True)
class TechnologyFigures:
    """The figures of one technology in one region, with the counts behind its RCA."""

    technology: str
    count: float
    region_total: float
    technology_total: float
    grand_total: float
    cell: str  # where the count stands in the table
    rca: float
    presence: bool
    relatedness_density: float | None
    complexity: float | None


@dataclass(frozen=True)
class RegionFigures:
    """Every technology's figures for the named region, the method, and what was left out."""

    matrix: CountMatrix
    region: str
    method: Method
    technologies: list[TechnologyFigures]
    notices: list[str]


def region_figures(matrix: CountMatrix, region: str, method: Method) -> RegionFigures:
    """The figures of one region; UsageError when it is not in the table or has no counts."""
    if region not in matrix.regions:
        raise UsageError(
            f"--region {region}: no such region in {matrix.path}{did_you_mean(region, matrix.regions)} "
            f"({len(matrix.regions)} regions, e.g. {', '.join(matrix.regions[:5])})"
        )
    indicators = compute_indicators(matrix, method)
    if region not in indicators.regions:
        raise UsageError(f"--region {region}: has no counts in {matrix.path}; its figures cannot be computed")
    r = indicators.regions.index(region)
    r_table = matrix.regions.index(region)
    counts = matrix.counts
    region_total = float(counts[r_table].sum())
    grand_total = float(counts.sum())
    rows = []
    position = {name: index for index, name in enumerate(matrix.technologies)}
    for t, name in enumerate(indicators.technologies):
        t_table = position[name]
        density = indicators.density[r, t]
        complexity = indicators.complexity[t]
        rows.append(
            TechnologyFigures(
                technology=name,
                count=float(counts[r_table, t_table]),
                region_total=region_total,
                technology_total=float(counts[:, t_table].sum()),
                grand_total=grand_total,
                cell=matrix.cell(r_table, t_table),
                rca=float(indicators.rca[r, t]),
                presence=bool(indicators.presence[r, t]),
                relatedness_density=None if np.isnan(density) else float(density),
                complexity=None if np.isnan(complexity) else float(complexity),
            )
        )
    return RegionFigures(matrix, region, method, rows, list(indicators.notices))


def technology_id(label: str) -> str:
    """A profile id from a technology's label: lowercase ASCII, words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "technology"


def technology_ids(labels: list[str]) -> dict[str, str]:
    """Each label's profile id; UsageError when two labels would share one."""
    ids: dict[str, str] = {}
    owner: dict[str, str] = {}
    for label in labels:
        slug = technology_id(label)
        if slug in owner:
            raise UsageError(f'technologies "{owner[slug]}" and "{label}" would both get the profile id "{slug}"')
        owner[slug] = label
        ids[label] = slug
    return ids


def _round(value: float) -> float:
    # Six decimals: far below any band edge or quadrant split, and short enough to read.
    return round(value, 6)


def figure_entries(figures: RegionFigures, targets: IndicatorTargets, row: TechnologyFigures) -> dict[str, Any]:
    """The ``indicators:`` block of one technology: each figure with its source and its method."""
    matrix, method = figures.matrix, figures.method
    source = f"{matrix.label} (sha256 {matrix.sha256[:16]}), region {figures.region}"
    method_file = "rules/indicator_methods.yaml"
    rca_note = (
        f"Balassa RCA = ({row.count:g} / {row.region_total:g}) / ({row.technology_total:g} / {row.grand_total:g}); "
        f"the count is at {row.cell}; {method_file}"
    )
    entries: dict[str, Any] = {
        targets.rca: {"value": _round(row.rca), "source": f"{source}, technology {row.technology}", "note": rca_note},
        targets.presence: {
            "value": int(row.presence),
            "source": f"{source}, technology {row.technology}",
            "note": f"RCA {_round(row.rca):g} {'>=' if row.presence else '<'} cut-off {method.rca_cutoff:g} "
            f"({method_file})",
        },
    }
    computed = f"computed over all {len(matrix.regions)} regions and {len(matrix.technologies)} technologies"
    if row.relatedness_density is not None:
        entries[targets.relatedness_density] = {
            "value": _round(row.relatedness_density),
            "source": f"{source}, {computed}",
            "note": f"Balland et al. 2019 density: {method.describe_density()} ({method_file})",
        }
    if row.complexity is not None:
        entries[targets.complexity] = {
            "value": _round(row.complexity),
            "source": f"{matrix.label} (sha256 {matrix.sha256[:16]}), {computed}",
            "note": f"Hidalgo and Hausmann complexity: {method.describe_complexity()} ({method_file})",
        }
    return entries


def profiles_document(figures: RegionFigures, targets: IndicatorTargets) -> dict[str, Any]:
    """A ``domains:`` profile file, one technology profile per technology of the region."""
    ids = technology_ids([row.technology for row in figures.technologies])
    domains = []
    for row in figures.technologies:
        domains.append(
            {
                "id": ids[row.technology],
                "name": row.technology,
                "kind": "technology",
                "description": f"Indicators of {figures.region} computed from {figures.matrix.label}.",
                "indicators": figure_entries(figures, targets, row),
            }
        )
    return {"domains": domains}
