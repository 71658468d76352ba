"""The CEPS quadrant chart (``decision plot quadrant``), drawn with matplotlib's Agg backend.

matplotlib is an optional extra (``pip install 'decision[plot]'``): this module imports
it inside :func:`render_quadrant_chart` only, and the command checks for it first. The
figure is built on a bare :class:`~matplotlib.figure.Figure` with an Agg canvas, never
through pyplot, so no global backend or figure state is touched.

What the chart shows: each domain with both coordinates at (x, y) of rules/quadrants.yaml;
fill colour = the chosen RCA on a diverging scale whose neutral middle is RCA 1 (the
European average), hollow when the profile gives no RCA; marker shape = the VARIO
category from the engine; the two split lines, a faint tint and the name of each
quadrant; labels placed by :mod:`decision.ceps.label_placement`. Domains without both
coordinates are listed under the chart.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence

from decision.ceps.label_placement import Box, crowded_points, needs_leader, place_labels
from decision.ceps.quadrants import Axis, QuadrantPoint, Quadrants

# Marker per VARIO category: distinct outlines, so the shape reads even in grey print.
MARKERS = {
    "strong": ("o", "strong"),
    "ecosystem-gap": ("s", "ecosystem-gap"),
    "moonshot": ("^", "moonshot"),
    "no-focus": ("D", "no-focus"),
    "undetermined": ("p", "undetermined\n(a missing score decides)"),
}
# Faint background per quadrant name, so the four regions read at a glance.
TINTS = {"optimal": "#1a9850", "moonshot": "#4575b4", "incremental-growth": "#fdae61", "cautious": "#969696"}
TINT_ALPHA = 0.07
CMAP = "RdBu"  # red below RCA 1, white at 1, blue above; readable for red-green colour blindness
MARKER_AREA = 80.0  # points^2
LABEL_SIZE = 8.0
DPI = 150
FIGSIZE = (12.0, 8.6)
FORMATS = ("png", "svg")
NO_RCA_FILL = "0.82"
NO_RCA_HATCH = "/////"
HEADER_WIDTH = 165  # characters per line of the source lines under the title
NOTE_WIDTH = 185


def _limits(values: Sequence[float], split: float, low: float, high: float) -> tuple[float, float]:
    """The axis range: the data and the split with a margin, in steps of 5, within the scale."""
    if not values:
        return low, high
    lo = math.floor((min(*values, split) - 4) / 5) * 5
    hi = math.ceil((max(*values, split) + 4) / 5) * 5
    return max(low, lo), min(high, hi)


def _rca_norm(values: list[float]):
    from matplotlib.colors import TwoSlopeNorm

    top = max([2.0, *values])
    return TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=math.ceil(top * 2) / 2)


def render_quadrant_chart(
    points: Sequence[QuadrantPoint],
    quadrants: Quadrants,
    *,
    image_format: str,
    title: str,
    source: str,
    rca_label: str | None = None,
) -> bytes:
    """The chart as PNG or SVG bytes.

    ``points`` without both coordinates are listed in a note under the chart;
    ``rca_label`` names the RCA the fill shows (None: no colour scale), ``source`` is
    the line under the title saying where the figures come from.
    """
    if image_format not in FORMATS:
        raise ValueError(f"image format must be one of {FORMATS}, not {image_format!r}")
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    placed = [p for p in points if p.x is not None and p.y is not None]
    unplaced = [p for p in points if p.x is None or p.y is None]

    # Fixed fonts and a fixed hash salt: the same input gives the same file.
    with rc_context({"font.family": "DejaVu Sans", "svg.hashsalt": "decision", "svg.fonttype": "none"}):
        figure = Figure(figsize=FIGSIZE, dpi=DPI)
        canvas = FigureCanvasAgg(figure)
        note_lines = _unplaced_note(unplaced)
        header = [*textwrap.wrap(source, width=HEADER_WIDTH), *textwrap.wrap(_lines_text(quadrants), HEADER_WIDTH)]
        bottom = 0.085 + 0.018 * len(note_lines)
        top = 0.93 - 0.021 * len(header)
        axes = figure.add_axes((0.075, bottom, 0.69, top - bottom))
        x_axis, y_axis = quadrants.x, quadrants.y
        x_lo, x_hi = _limits([p.x for p in placed], x_axis.split, x_axis.min, x_axis.max)
        y_lo, y_hi = _limits([p.y for p in placed], y_axis.split, y_axis.min, y_axis.max)
        axes.set_xlim(x_lo, x_hi)
        axes.set_ylim(y_lo, y_hi)

        # Quadrant tints, split lines and names.
        spans = {"low": None, "high": None}
        x_spans = {**spans, "low": (x_lo, x_axis.split), "high": (x_axis.split, x_hi)}
        y_spans = {**spans, "low": (y_lo, y_axis.split), "high": (y_axis.split, y_hi)}
        renderer = canvas.get_renderer()
        obstacles = []
        for quadrant in quadrants.quadrants:
            (qx0, qx1), (qy0, qy1) = x_spans[quadrant.x], y_spans[quadrant.y]
            axes.axvspan(
                qx0,
                qx1,
                ymin=(qy0 - y_lo) / (y_hi - y_lo),
                ymax=(qy1 - y_lo) / (y_hi - y_lo),
                color=TINTS.get(quadrant.name, "#969696"),
                alpha=TINT_ALPHA,
                lw=0,
                zorder=0,
            )
            # The name sits in the quadrant's outer corner, away from the split lines.
            at_x = qx0 if quadrant.x == "low" else qx1
            at_y = qy1 if quadrant.y == "high" else qy0
            text = axes.annotate(
                f"{quadrant.label} ({quadrant.code})\n~ VARIO {' or '.join(quadrant.corresponds_to)}",
                xy=(at_x, at_y),
                xytext=(6 if quadrant.x == "low" else -6, -6 if quadrant.y == "high" else 6),
                textcoords="offset points",
                ha="left" if quadrant.x == "low" else "right",
                va="top" if quadrant.y == "high" else "bottom",
                fontsize=10,
                fontweight="bold",
                color="0.45",
                zorder=1,
            )
            extent = text.get_window_extent(renderer)
            obstacles.append(Box(extent.x0, extent.y0, extent.x1, extent.y1))
        line_style = {"color": "0.35", "lw": 1.0, "ls": (0, (5, 3)), "zorder": 1}
        axes.axvline(x_axis.split, **line_style)
        axes.axhline(y_axis.split, **line_style)

        # Points: shape by VARIO category, fill by RCA (hollow when the RCA is not given).
        cmap = None
        norm = None
        if rca_label is not None:
            from matplotlib import colormaps

            cmap = colormaps[CMAP]
            norm = _rca_norm([p.rca for p in placed if p.rca is not None])
        for category, (marker, _) in MARKERS.items():
            members = [p for p in placed if p.category == category]
            coloured = [p for p in members if rca_label is not None and p.rca is not None]
            hollow = [p for p in members if p not in coloured]
            if coloured:
                axes.scatter(
                    [p.x for p in coloured],
                    [p.y for p in coloured],
                    c=[p.rca for p in coloured],
                    cmap=cmap,
                    norm=norm,
                    marker=marker,
                    s=MARKER_AREA,
                    edgecolors="0.15",
                    linewidths=0.9,
                    zorder=3,
                )
            if hollow:
                # Not white: white means RCA 1 on the colour scale.
                axes.scatter(
                    [p.x for p in hollow],
                    [p.y for p in hollow],
                    marker=marker,
                    s=MARKER_AREA,
                    facecolors=NO_RCA_FILL if rca_label is not None else "0.55",
                    hatch=NO_RCA_HATCH if rca_label is not None else None,
                    edgecolors="0.15",
                    linewidths=0.9,
                    zorder=3,
                )

        _draw_labels(axes, renderer, placed, obstacles)

        axes.set_xlabel(_axis_title(x_axis), fontsize=9.5)
        axes.set_ylabel(_axis_title(y_axis), fontsize=9.5)
        axes.tick_params(labelsize=8)
        figure.text(0.075, 0.975, title, fontsize=13, fontweight="bold", va="top")
        figure.text(0.075, 0.94, "\n".join(header), fontsize=8.5, color="0.3", va="top", linespacing=1.5)

        legend_top = top
        if rca_label is not None:
            colour_axes = figure.add_axes((0.80, 0.50, 0.018, legend_top - 0.50))
            bar = figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=colour_axes)
            bar.set_label(f"{rca_label}\n(1 = European average; white = 1)", fontsize=8.5)
            bar.ax.tick_params(labelsize=8)
            bar.ax.axhline(1.0, color="0.15", lw=0.8)
            legend_top = 0.46
        handles = [
            Line2D(
                [], [], ls="", marker=marker, markersize=8, markerfacecolor="0.8", markeredgecolor="0.15", label=text
            )
            for category, (marker, text) in MARKERS.items()
            if any(p.category == category for p in placed)
        ]
        if rca_label is not None and any(p.rca is None for p in placed):
            handles.append(
                Patch(facecolor=NO_RCA_FILL, hatch=NO_RCA_HATCH, edgecolor="0.15", label="hatched grey: RCA not given")
            )
        if handles:
            figure.legend(
                handles=handles,
                title="VARIO category (engine)",
                loc="upper left",
                bbox_to_anchor=(0.785, legend_top),
                fontsize=8.5,
                title_fontsize=9,
                frameon=False,
            )
        if note_lines:
            figure.text(0.065, 0.012, "\n".join(note_lines), fontsize=8, color="0.2", va="bottom")

        buffer = io.BytesIO()
        metadata = {"Date": None} if image_format == "svg" else {"Software": "decision"}
        figure.savefig(buffer, format=image_format, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def _axis_title(axis: Axis) -> str:
    return f"{axis.label} ({axis.min:g}-{axis.max:g}; {axis.reads_as})"


def _lines_text(quadrants: Quadrants) -> str:
    return (
        f"Dashed lines: {quadrants.x.split_text()}, {quadrants.y.split_text()} "
        f"(rules/quadrants.yaml; the report states no split values, these are the project's choice)"
    )


def _unplaced_note(unplaced: Sequence[QuadrantPoint]) -> list[str]:
    if not unplaced:
        return []
    names = ", ".join(p.label for p in unplaced)
    text = f"Not plotted, no relatedness density or complexity figure ({len(unplaced)}): {names}."
    return textwrap.wrap(text, width=NOTE_WIDTH)


def _draw_labels(axes, renderer, placed: Sequence[QuadrantPoint], obstacles: list[Box]) -> None:
    """Label every point, placed clear of the other labels, the markers and the quadrant names."""
    if not placed:
        return
    dpi = axes.figure.dpi
    anchors = [tuple(axes.transData.transform((p.x, p.y))) for p in placed]
    sizes = []
    for point in placed:
        probe = axes.text(0, 0, point.label, fontsize=LABEL_SIZE)
        extent = probe.get_window_extent(renderer)
        sizes.append((extent.width + 4, extent.height + 2))
        probe.remove()
    frame = axes.get_window_extent(renderer)
    bounds = Box(frame.x0 + 2, frame.y0 + 2, frame.x1 - 2, frame.y1 - 2)
    radius = math.sqrt(MARKER_AREA) / 2 * dpi / 72 + 1.5
    crowded = crowded_points(anchors, radius)
    boxes = place_labels(anchors, sizes, bounds=bounds, marker_radius=radius, obstacles=obstacles, crowded=crowded)
    for point, anchor, box, close in zip(placed, anchors, boxes, crowded, strict=True):
        cx, cy = box.centre
        offset = ((cx - anchor[0]) * 72 / dpi, (cy - anchor[1]) * 72 / dpi)
        arrow = None
        if close:
            # Markers overlap: the line runs over them to the exact point it labels.
            arrow = {"arrowstyle": "-", "color": "0.1", "lw": 0.8, "shrinkA": 0, "shrinkB": 0}
        elif needs_leader(box, anchor, radius):
            arrow = {"arrowstyle": "-", "color": "0.45", "lw": 0.6, "shrinkA": 0, "shrinkB": radius * 72 / dpi}
        axes.annotate(
            point.label,
            xy=(point.x, point.y),
            xytext=offset,
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=LABEL_SIZE,
            arrowprops=arrow,
            zorder=4,
            bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.7},
        )
