"""Placing chart labels so they do not pile on each other (used by ``decision plot quadrant``).

A greedy search with local repair, in display pixels. Every label gets a box of its
measured size; the candidates are that box pushed out from its point in 16 directions
at growing distances. A candidate costs its overlap with labels already placed, with the
markers, with fixed obstacles (the quadrant names) and with the outside of the plot, plus
its distance from the point (near is better), a penalty when its leader line would
cross another label or marker, and one when, without a leader, another marker is as
near to it as its own; a slight preference for right, above, left and below over a
slant breaks ties. The most crowded points are placed first, then every label is placed
again against all the others until none moves (at most eight rounds), which undoes most
of the greedy order's early mistakes. No dependency: the chart has a few dozen labels at
most, and this takes well under a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in pixels (y grows upwards, as in matplotlib's display space)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def around(cls, cx: float, cy: float, width: float, height: float) -> Box:
        """The box of the given size centred on (cx, cy)."""
        return cls(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    def overlap(self, other: Box) -> float:
        """The area the two boxes share (0 when apart or only touching)."""
        width = min(self.x1, other.x1) - max(self.x0, other.x0)
        height = min(self.y1, other.y1) - max(self.y0, other.y0)
        return width * height if width > 0 and height > 0 else 0.0

    def outside(self, bounds: Box) -> float:
        """The area of this box that lies outside ``bounds``."""
        area = (self.x1 - self.x0) * (self.y1 - self.y0)
        return area - self.overlap(bounds)

    def nearest(self, x: float, y: float) -> tuple[float, float]:
        """The point of the box closest to (x, y)."""
        return (min(max(x, self.x0), self.x1), min(max(y, self.y0), self.y1))

    def crossed_by(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the segment a-b passes through the inside of the box (Liang-Barsky clipping)."""
        (ax, ay), (bx, by) = a, b
        dx, dy = bx - ax, by - ay
        low, high = 0.0, 1.0
        for p, q in ((-dx, ax - self.x0), (dx, self.x1 - ax), (-dy, ay - self.y0), (dy, self.y1 - ay)):
            if p == 0:
                if q <= 0:
                    return False
                continue
            t = q / p
            if p < 0:
                low = max(low, t)
            else:
                high = min(high, t)
            if low >= high:
                return False
        return True


DIRECTIONS = 16
# Gaps between the marker's edge and the label box, in pixels: near first.
GAPS = (2, 8, 16, 26, 38, 52, 68, 86, 106, 130)
# A leader line is drawn when the label box starts this far from the marker's edge.
LEADER_FROM = 10.0

_OVERLAP_LABEL = (2000.0, 20.0)  # (once per overlapping box, per square pixel)
_OVERLAP_MARKER = (800.0, 8.0)
_OVERLAP_OBSTACLE = (300.0, 2.0)
_OUTSIDE = (5000.0, 50.0)
_LEADER_CROSSES = 400.0
_AMBIGUOUS = 600.0
SLANT = 1.0


def _candidates(
    anchor: tuple[float, float], size: tuple[float, float], radius: float, min_gap: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate boxes around ``anchor`` with gaps of at least ``min_gap``.

    Returns (boxes as rows x0, y0, x1, y1; their gaps; their slant penalties), nearest first.
    """
    (px, py), (width, height) = anchor, size
    gaps = np.array([g for g in GAPS if g >= min_gap], dtype=float)
    steps = np.arange(DIRECTIONS)
    angles = 2 * np.pi * steps / DIRECTIONS
    ux, uy = np.cos(angles), np.sin(angles)
    # Push the box by half its size along the direction so its near edge, not its centre,
    # sits at the distance: a long label to the left ends at the point.
    sx, sy = np.clip(2 * ux, -1, 1), np.clip(2 * uy, -1, 1)
    distance = (radius + gaps)[:, None]
    cx = (px + distance * ux + sx * width / 2).ravel()
    cy = (py + distance * uy + sy * height / 2).ravel()
    boxes = np.column_stack([cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2])
    # Right, above, left, below read better than a slant: a slight preference breaks ties.
    slants = np.tile(np.where(steps % (DIRECTIONS // 4) == 0, 0.0, SLANT), len(gaps))
    return boxes, np.repeat(gaps, DIRECTIONS), slants


def _overlaps(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Shared area of every candidate (rows) with every other box (columns)."""
    width = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(boxes[:, None, 0], others[None, :, 0])
    height = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(boxes[:, None, 1], others[None, :, 1])
    return np.clip(width, 0, None) * np.clip(height, 0, None)


def _penalty(shared: np.ndarray, weights: tuple[float, float]) -> np.ndarray:
    once, per_pixel = weights
    return ((shared > 0) * once + shared * per_pixel).sum(axis=1)


def _crossings(start: tuple[float, float], ends: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Whether the segment from ``start`` to each end (rows) passes through each box (columns).

    Liang-Barsky clipping, as :meth:`Box.crossed_by`, for all pairs at once.
    """
    ax, ay = start
    dx, dy = ends[:, 0] - ax, ends[:, 1] - ay
    shape = (len(ends), len(others))
    low, high, inside = np.zeros(shape), np.ones(shape), np.ones(shape, dtype=bool)
    pairs = ((-dx, ax - others[:, 0]), (dx, others[:, 2] - ax), (-dy, ay - others[:, 1]), (dy, others[:, 3] - ay))
    for p, q in pairs:
        p, q = p[:, None], q[None, :]
        parallel = p == 0
        inside &= ~(parallel & (q <= 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = q / p
        low = np.where(~parallel & (p < 0), np.maximum(low, ratio), low)
        high = np.where(~parallel & (p > 0), np.minimum(high, ratio), high)
    return inside & (low < high)


def _costs(
    candidates: tuple[np.ndarray, np.ndarray, np.ndarray],
    own: int,
    placed: np.ndarray,
    markers: np.ndarray,
    centres: np.ndarray,
    obstacles: np.ndarray,
    bounds: np.ndarray,
) -> np.ndarray:
    """The cost of every candidate of label ``own`` (see the module docstring)."""
    boxes, gaps, slants = candidates
    ax, ay = centres[own]
    others = np.arange(len(centres)) != own
    cost = gaps + slants
    cost += _penalty(_overlaps(boxes, placed), _OVERLAP_LABEL)
    cost += _penalty(_overlaps(boxes, markers), _OVERLAP_MARKER)
    cost += _penalty(_overlaps(boxes, obstacles), _OVERLAP_OBSTACLE)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    outside = area - _overlaps(boxes, bounds[None, :])[:, 0]
    cost += (outside > 1e-9) * (_OUTSIDE[0] + _OUTSIDE[1] * outside)

    near = gaps < LEADER_FROM
    # Without a leader, a label is read as belonging to the nearest marker: make that its own.
    nx, ny = np.clip(ax, boxes[:, 0], boxes[:, 2]), np.clip(ay, boxes[:, 1], boxes[:, 3])
    own_distance = np.hypot(nx - ax, ny - ay)
    ox, oy = centres[others, 0][None, :], centres[others, 1][None, :]
    other_distance = np.hypot(
        np.clip(ox, boxes[:, 0:1], boxes[:, 2:3]) - ox, np.clip(oy, boxes[:, 1:2], boxes[:, 3:4]) - oy
    )
    ambiguous = (other_distance < own_distance[:, None] + 3).sum(axis=1)
    cost += np.where(near, ambiguous * _AMBIGUOUS, 0.0)

    # With a leader: ties among far places go to the compact one (label centred near its
    # point); a leader across another label, or another marker, seems to point at that one.
    centre_distance = np.hypot((boxes[:, 0] + boxes[:, 2]) / 2 - ax, (boxes[:, 1] + boxes[:, 3]) / 2 - ay)
    ends = np.column_stack([nx, ny])
    crossed = _crossings((ax, ay), ends, placed).sum(axis=1) + _crossings((ax, ay), ends, markers[others]).sum(axis=1)
    cost += np.where(near, 0.0, 0.02 * centre_distance + crossed * _LEADER_CROSSES)
    return cost


def place_labels(
    anchors: list[tuple[float, float]],
    sizes: list[tuple[float, float]],
    *,
    bounds: Box,
    marker_radius: float,
    obstacles: list[Box] | None = None,
    crowded: list[bool] | None = None,
    passes: int = 8,
) -> list[Box]:
    """A box per label, in the order of ``anchors``: near its point, clear of the others where possible.

    ``anchors`` are the points' pixel positions, ``sizes`` the labels' (width, height)
    in pixels, ``bounds`` the plot area labels must stay in, ``marker_radius`` the
    half-size of a marker (labels keep off every marker), ``obstacles`` fixed boxes
    labels should avoid. A label whose point is ``crowded`` (its marker touches another)
    is kept far enough out for a leader line, the only way to tell it from its neighbour.
    """
    crowded = list(crowded or [False] * len(anchors))
    centres = np.array(anchors, dtype=float).reshape(-1, 2)
    markers = np.column_stack([centres - marker_radius, centres + marker_radius])
    fixed = np.array([(b.x0, b.y0, b.x1, b.y1) for b in obstacles or []], dtype=float).reshape(-1, 4)
    frame = np.array([bounds.x0, bounds.y0, bounds.x1, bounds.y1], dtype=float)
    candidates = [
        _candidates((float(x), float(y)), (float(w), float(h)), marker_radius, LEADER_FROM if close else 0)
        for (x, y), (w, h), close in zip(centres, sizes, crowded, strict=True)
    ]

    def crowding(index: int) -> int:
        return int((np.hypot(*(centres - centres[index]).T) < 80).sum())

    order = sorted(range(len(centres)), key=lambda i: (-crowding(i), tuple(centres[i])))
    chosen: dict[int, int] = {}  # label -> row of its chosen candidate

    def best(index: int) -> int:
        rows = [candidates[other][0][pick] for other, pick in chosen.items() if other != index]
        placed = np.array(rows, dtype=float).reshape(-1, 4)
        # argmin takes the first of equal costs: candidates run nearest first.
        return int(np.argmin(_costs(candidates[index], index, placed, markers, centres, fixed, frame)))

    for index in order:
        chosen[index] = best(index)
    # Each move may free a better place for a label placed earlier: repeat until stable.
    for _ in range(passes):
        moved = False
        for index in order:
            pick = best(index)
            moved = moved or pick != chosen[index]
            chosen[index] = pick
        if not moved:
            break
    return [Box(*(float(v) for v in candidates[i][0][chosen[i]])) for i in range(len(centres))]


def crowded_points(anchors: list[tuple[float, float]], marker_radius: float) -> list[bool]:
    """For each point, whether its marker touches or nearly touches another one."""
    reach = 2 * marker_radius + 4
    return [
        any(j != i and math.hypot(ax - bx, ay - by) < reach for j, (bx, by) in enumerate(anchors))
        for i, (ax, ay) in enumerate(anchors)
    ]


def needs_leader(box: Box, anchor: tuple[float, float], marker_radius: float) -> bool:
    """Whether the label sits far enough from its marker to need a line back to it."""
    x, y = box.nearest(*anchor)
    return math.hypot(x - anchor[0], y - anchor[1]) >= marker_radius + LEADER_FROM
