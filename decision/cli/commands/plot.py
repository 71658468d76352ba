"""``decision plot quadrant [PATH...] --out FILE.png|.svg``: the CEPS quadrant chart.

matplotlib is an optional extra; it is imported only here, inside the command, so every
other command starts without it (see decision/ceps/chart.py for what is drawn).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from decision.cli.options import (
    EngineOption,
    ForceOption,
    ReadingOption,
    RulesOption,
    ThresholdOption,
    handles_errors,
    load_rules,
)
from decision.cli.options import check_out as refuse_inputs
from decision.errors import UsageError

MISSING_MATPLOTLIB = "the chart needs matplotlib, an optional extra: pip install 'decision[plot]'"
SOURCE = (
    "Figures: CEPS/Balland for VARIO, 'Flanders' Competitiveness and Investment Priorities in Key Strategic "
    "Technologies' (Feb 2026), sections 3-4, as given in the profiles. Marker: VARIO category from decision's engine."
)


class Rca(StrEnum):
    patent = "patent"
    publication = "publication"
    funding = "funding"


# The PATH argument of both quadrant commands, which default to the shipped technologies.
TechnologyPaths = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="[PATH]...",
        help="Profile files or folders (default: the shipped technologies, domains/technologies).",
        show_default=False,
    ),
]


def technologies_dir() -> Path:
    """The shipped CEPS technology profiles: domains/technologies, next to the sector profiles."""
    from decision.inputs.rulebook import shipped_data_dir

    folder = shipped_data_dir("domains") / "technologies"
    if not folder.is_dir():
        raise UsageError(f"cannot find the shipped technology profiles ({folder}); pass a path explicitly")
    return folder


def check_out(out: Path, force: bool) -> str:
    """The image format named by ``out``'s suffix; refuse a bad suffix or an existing file before any work."""
    image_format = out.suffix.lower().lstrip(".")
    if image_format not in ("png", "svg"):
        raise UsageError(f"{out}: --out must end in .png or .svg")
    if out.exists() and not out.is_dir() and not force:
        raise UsageError(f"{out}: already exists; pass --force to overwrite it")
    return image_format


def quadrant(
    paths: TechnologyPaths = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", metavar="FILE", help="The image to write: .png or .svg (atomically).", show_default=False
        ),
    ] = ...,
    rca: Annotated[Rca, typer.Option("--rca", help="The RCA that colours the points.")] = Rca.patent,
    force: ForceOption = False,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
) -> None:
    """Draw the CEPS quadrant chart: relatedness density by complexity, RCA colour, VARIO category markers.

    \b
    Examples:
      decision plot quadrant --out quadrants.png
      decision plot quadrant --rca publication --out quadrants.svg
    """
    image_format = check_out(out, force)
    try:
        import matplotlib  # noqa: F401  (only to tell a missing extra from other failures)
    except ImportError:
        raise UsageError(MISSING_MATPLOTLIB) from None

    from decision.ceps.chart import render_quadrant_chart
    from decision.ceps.quadrants import RCA_INDICATORS, load_quadrants, quadrant_points
    from decision.engine.walk import classify_all
    from decision.inputs.profiles import load_profiles
    from decision.output_file import write_output

    rulebook = load_rules(rules, threshold, engine, readings=reading)
    quadrants = load_quadrants(rulebook)
    profiles = load_profiles(paths or [technologies_dir()], rulebook)
    refuse_inputs(out, force, rulebook, profiles)
    indicator = RCA_INDICATORS[rca.value]
    points = quadrant_points(quadrants, profiles, classify_all(profiles, rulebook), indicator)
    # A rules folder may have dropped the indicator; the chart then just shows hatched markers.
    definition = rulebook.indicators.indicators.get(indicator)
    image = render_quadrant_chart(
        points,
        quadrants,
        image_format=image_format,
        title=(
            "Flanders' key strategic technologies on the CEPS strategic investment framework"
            if not paths
            else "Domains on the CEPS strategic investment framework"
        ),
        source=SOURCE,
        rca_label=definition.label if definition is not None else indicator,
    )
    write_output(out, image, force=force)
    unplaced = [p.id for p in points if p.x is None or p.y is None]
    if unplaced:
        typer.echo(
            f"not plotted ({len(unplaced)}, no {quadrants.x.indicator} or {quadrants.y.indicator}): "
            + ", ".join(unplaced),
            err=True,
        )
    typer.echo(f"wrote {out}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``decision plot quadrant`` to the app."""
    plot_app = typer.Typer(help="Draw charts (needs the optional extra: pip install 'decision[plot]').")
    plot_app.command("quadrant")(handles_errors(quadrant))
    app.add_typer(plot_app, name="plot", no_args_is_help=True)
