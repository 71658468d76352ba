"""The CEPS quadrants: rules/quadrants.yaml (the split lines against the report's own
quadrant statements, assignment at the split edges, validation with file:line),
``decision plot quadrant`` (PNG and SVG, --force, the missing-extra message, label
placement) and ``decision compare-quadrants`` (JSON on a small fixture folder).

Every file a test writes lies under tmp_path.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import pytest

from decision.ceps.label_placement import Box, crowded_points, place_labels
from decision.ceps.quadrants import load_quadrants
from decision.errors import RulesError
from decision.inputs.rulebook import load_rulebook
from tests.conftest import write
from tests.test_bad_profiles import assert_clean_failure
from tests.test_bad_rules import edit, where

# --- the report's explicit quadrant statements -----------------------------------------

# Hand-extracted from CEPS/Balland 2026 (seed 004, ../shared/seeds/004_101a380fa0f62518.txt):
# every sentence that puts a technology whose two coordinates the report gives into a
# quadrant, by name or by position (top-right, "bottom half of the complexity scale" with
# high feasibility, bottom-left). (technology, quadrant, seed line, relatedness, complexity).
# ATMP's coordinates are on line 235; Semiconductors is placed twice, on lines 193 and 216.
STATEMENTS = [
    ("Bioinformatics", "optimal", 189, 76.9, 71.1),
    ("mRNA Technology", "optimal", 189, 95.7, 67.1),
    ("Advanced Therapy Medicinal Products", "optimal", 189, 91.9, 64.8),
    ("Artificial Intelligence", "moonshot", 193, 12.2, 76.1),
    ("Cybersecurity", "moonshot", 193, 8.8, 76.4),
    ("Internet of Things", "moonshot", 193, 12.4, 76.4),
    ("Natural Language Processing", "moonshot", 193, 10.7, 75.4),
    ("Semiconductors", "moonshot", 193, 32.8, 73.8),
    ("Semiconductors", "moonshot", 216, 32.8, 73.8),
    ("Advanced Manufacturing", "incremental-growth", 199, 31.3, 61.0),
    ("Microelectronics", "incremental-growth", 199, 29.2, 69.9),
    ("Medical Devices", "incremental-growth", 199, 33.6, 57.7),
    ("Food Technology", "incremental-growth", 199, 76.0, 54.0),
    ("Waste Management", "incremental-growth", 199, 52.5, 50.1),
    ("Wind Energy", "cautious", 201, 16.8, 46.7),
    ("Defence Technologies", "cautious", 201, 7.3, 40.3),
]
# Placed by the report without both coordinates in its text, so no line can be checked:
# Immunotherapy, Genomics & Gene Editing, Biomanufacturing (line 189) and Biotechnology
# (line 214) as optimal. Section 4.2 (line 218) also discusses Microelectronics in its
# moonshot paragraph, against line 199.

# What the shipped lines (relatedness >= 33, complexity >= 63) make of the statements
# they get wrong; every other statement they place as the report does.
WRONG_UNDER_DEFAULTS = {
    ("Advanced Manufacturing", 199): "cautious",
    ("Microelectronics", 199): "moonshot",
}


@pytest.fixture(scope="module")
def quadrants(rulebook):
    return load_quadrants(rulebook)


def test_default_lines_against_the_report_statements(quadrants):
    """Changing the lines in rules/quadrants.yaml changes this list: update it and the comments there."""
    wrong = {
        (name, line): quadrants.locate(x, y).name
        for name, stated, line, x, y in STATEMENTS
        if quadrants.locate(x, y).name != stated
    }
    assert wrong == WRONG_UNDER_DEFAULTS
    assert len(STATEMENTS) - len(wrong) == 14
    assert (quadrants.x.split, quadrants.y.split) == (33, 63)


def test_no_pair_of_lines_agrees_with_every_statement(quadrants):
    """The report's prose fits no straight lines: at best 13 of its 15 placed technologies.

    Only the order of a split among the coordinates matters, so trying a split at each
    coordinate (and one above all) covers every pair of lines.
    """
    distinct = {(name, quadrant, x, y) for name, quadrant, _, x, y in STATEMENTS}
    xs = [*sorted({x for *_, x, _ in distinct}), 101.0]
    ys = [*sorted({y for *_, y in distinct}), 101.0]
    corner = {(q.x, q.y): q.name for q in quadrants.quadrants}

    def right(x_split: float, y_split: float) -> int:
        return sum(
            corner[("high" if x >= x_split else "low", "high" if y >= y_split else "low")] == quadrant
            for _, quadrant, x, y in distinct
        )

    best = max(right(x_split, y_split) for x_split, y_split in itertools.product(xs, ys))
    assert best == 13 < len(distinct) == 15
    assert right(quadrants.x.split, quadrants.y.split) == best


# --- assignment at the split edges ------------------------------------------------------


def test_a_value_at_the_split_is_high(quadrants):
    assert quadrants.locate(33, 63).code == "VQ01"
    assert quadrants.locate(32.999, 63).code == "VQ02"
    assert quadrants.locate(33, 62.999).code == "VQ03"
    assert quadrants.locate(32.999, 62.999).code == "VQ04"
    assert quadrants.locate(0, 100).name == "moonshot"
    assert quadrants.locate(100, 0).name == "incremental-growth"


def test_a_missing_coordinate_has_no_quadrant(quadrants):
    assert quadrants.locate(None, 70) is None
    assert quadrants.locate(50, None) is None


def test_op_greater_makes_the_split_value_low(rules_copy):
    edit(rules_copy, "quadrants.yaml", '  split: 33\n  op: ">="', '  split: 33\n  op: ">"')
    quadrants = load_quadrants(load_rulebook(rules_copy))
    assert quadrants.locate(33, 63).name == "moonshot"
    assert quadrants.locate(33.0001, 63).name == "optimal"


# --- validation: every problem located as file:line:col ---------------------------------


def quadrant_problems(rules: Path) -> list[str]:
    with pytest.raises(RulesError) as caught:
        load_quadrants(load_rulebook(rules))
    return [problem.render() for problem in caught.value.problems]


def test_unknown_indicator(rules_copy):
    path = edit(rules_copy, "quadrants.yaml", "indicator: relatedness_density", "indicator: relatedness")
    line, column = where(path, "indicator: relatedness", "relatedness")
    [problem] = quadrant_problems(rules_copy)
    assert problem.startswith(f'{path}:{line}:{column}: x.indicator: unknown indicator "relatedness" (known: ')
    assert "relatedness_density" in problem


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("split: 150", "split 150 must lie strictly between min 0 and max 100"),
        ("split: 0", "split 0 must lie strictly between min 0 and max 100"),
        ("split: .nan", "expected a finite number, got not a number (nan)"),
        ('split: "33"', 'expected a number, got the text "33"'),
        ("split: true", "expected a number, got the truth value true"),
    ],
)
def test_bad_split(rules_copy, new, message):
    path = edit(rules_copy, "quadrants.yaml", "split: 63", new)
    line, column = where(path, new, new.split(": ")[1])
    [problem] = quadrant_problems(rules_copy)
    assert problem == f"{path}:{line}:{column}: y.split: {message}"


def test_two_quadrants_on_one_corner_and_an_empty_corner(rules_copy):
    path = edit(
        rules_copy,
        "quadrants.yaml",
        "    name: cautious\n    label: Cautious\n    x: low\n    y: low",
        "    name: cautious\n    label: Cautious\n    x: low\n    y: high",
    )
    problems = quadrant_problems(rules_copy)
    line, _ = where(path, "label: Cautious", "Cautious")
    assert f"{path}:{line + 1}:8: quadrants.3.x: VQ04 covers x low, y high, as VQ02 already does" in problems
    assert any(p.endswith("quadrants: no quadrant for x low, y low") for p in problems)


def test_bad_code(rules_copy):
    path = edit(rules_copy, "quadrants.yaml", "code: VQ04", "code: Q4")
    line, column = where(path, "code: Q4", "Q4")
    assert quadrant_problems(rules_copy) == [
        f"{path}:{line}:{column}: quadrants.3.code: String should match pattern '^VQ\\d{{2}}$'"
    ]


def test_unknown_category(rules_copy):
    path = edit(rules_copy, "quadrants.yaml", "corresponds_to: [moonshot]", "corresponds_to: [moon-shot]")
    line, column = where(path, "corresponds_to: [moon-shot]", "moon-shot")
    assert quadrant_problems(rules_copy) == [
        f'{path}:{line}:{column}: quadrants.1.corresponds_to.0: unknown category "moon-shot" '
        "(known: strong, ecosystem-gap, moonshot, no-focus)"
    ]


def test_unknown_field_and_missing_file(rules_copy):
    path = edit(
        rules_copy,
        "quadrants.yaml",
        '  op: ">="\n  cite: "CEPS/Balland 2026 (seed 004), section 2 (technological',
        '  op: ">="\n  colour: red\n  cite: "CEPS/Balland 2026 (seed 004), section 2 (technological',
    )
    line, column = where(path, "colour: red", "colour")
    assert quadrant_problems(rules_copy) == [f'{path}:{line}:{column}: y.colour: unknown field "colour"']
    path.unlink()
    assert quadrant_problems(rules_copy) == [
        f"{path}:1:1: file: missing rules file (needed by the CEPS quadrant commands)"
    ]


def test_cli_reports_a_bad_quadrants_file_with_exit_3(run_cli, rules_copy, tmp_path):
    path = edit(rules_copy, "quadrants.yaml", "split: 63", "split: 163")
    line, column = where(path, "split: 163", "163")
    for command in (["compare-quadrants"], ["plot", "quadrant", "--out", tmp_path / "q.png"]):
        lines = assert_clean_failure(run_cli(*command, "--rules", rules_copy), exit_code=3)
        assert lines == [
            f"{path}:{line}:{column}: y.split: split 163 must lie strictly between min 0 and max 100",
            "error: 1 problem in the rules folder",
        ]
    assert not (tmp_path / "q.png").exists()


# --- a small fixture folder ---------------------------------------------------------------


def profile(folder: Path, slug: str, indicators: str, scores: str) -> Path:
    text = f"id: {slug}\nname: {slug.title()}\nkind: technology\nindicators:\n{indicators}scores:\n{scores}"
    return write(folder / f"{slug}.yaml", text)


@pytest.fixture
def fixture_folder(tmp_path) -> Path:
    folder = tmp_path / "technologies"
    # Optimal and strong: they agree.
    profile(
        folder,
        "alpha",
        "  relatedness_density: 80\n  complexity: 70\n  patent_rca: 1.6\n",
        "  economic: 5\n  innovation: 5\n  technology: 5\n  science: 5\n  opportunity: 5\n  transition: 4\n",
    )
    # Moonshot quadrant, but technology and science pass without economic: ecosystem gap (VL05).
    profile(
        folder,
        "beta",
        "  relatedness_density: 10\n  complexity: 75\n  patent_rca: 1.1\n",
        "  economic: 2\n  innovation: 3\n  technology: 4\n  science: 5\n  opportunity: 5\n  transition: 4\n",
    )
    # Incremental growth, no growth potential, economic strength: no-focus, internationalisation.
    profile(
        folder,
        "gamma",
        "  relatedness_density: 60\n  complexity: 50\n",
        "  economic: 4\n  opportunity: 2\n  transition: 4\n",
    )
    # Moonshot quadrant, economic missing: moonshot or ecosystem gap.
    profile(
        folder,
        "delta",
        "  relatedness_density: 20\n  complexity: 70\n",
        "  innovation: 2\n  technology: 2\n  science: 2\n  opportunity: 4\n  transition: 4\n",
    )
    # No coordinates at all.
    profile(folder, "epsilon", "  patent_rca: 0.7\n", "  transition: 3\n")
    return folder


def test_compare_quadrants_json(run_cli, fixture_folder):
    result = run_cli("compare-quadrants", fixture_folder, "-f", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    rows = {row["id"]: row for row in report["technologies"]}
    assert [row["id"] for row in report["technologies"]] == ["alpha", "beta", "delta", "epsilon", "gamma"]
    assert {key: (row["quadrant"], row["vario"], row["agreement"]) for key, row in rows.items()} == {
        "alpha": ("VQ01", "strong", "agree"),
        "beta": ("VQ02", "ecosystem-gap", "disagree"),
        "gamma": ("VQ03", "no-focus/internationalisation", "agree"),
        "delta": ("VQ02", "undetermined", "open"),
        "epsilon": (None, "undetermined", "not-placed"),
    }
    assert report["summary"]["counts"] == {"agree": 2, "disagree": 1, "open": 1, "not-placed": 1}
    assert (report["x"]["split"], report["y"]["split"]) == (33, 63)

    beta = rows["beta"]
    assert beta["corresponds_to"] == ["moonshot"]
    assert beta["leaf"] == "VL05"
    # Either IT or S failing would make it a moonshot; the reason names both, with their figures.
    [ending] = beta["endings"]
    assert ending["cause"] == "IT passes (VT07) or S passes (VT08)"
    assert (
        "VT07 focus.no-economic.innovation [IT]: innovation 3 < 4 (fails) or technology 4 >= 4 (passes)"
        in ending["reason"]
    )
    assert "VT08 focus.no-economic.innovation.science [S]: science 5 >= 4 (passes)" in ending["reason"]
    # The cheapest way: technology just below 4 (an infinitesimal step), not science 5 -> 3.99.
    change = beta["smallest_change"]
    assert (change["target"], change["changed"]) == ("moonshot", 1)
    assert change["crossings"] == ["technology >= 4 (IT): passes -> fails"]
    # Without IT but with S the walk ends in the flagged science-only moonshot leaf.
    assert change["result"] == "moonshot, leaf VL12 moonshot.science-only"

    delta = rows["delta"]
    assert (delta["blocking"], delta["reachable"]) == (["economic"], ["ecosystem-gap", "moonshot"])
    assert [(e["assumptions"], e["outcome"], e["agrees"]) for e in delta["endings"]] == [
        (["VT03 E=yes"], "ecosystem-gap", False),
        (["VT03 E=no"], "moonshot", True),
    ]
    assert delta["smallest_change"]["crossings"] == ["economic >= 4 (E): missing -> fails"]
    assert delta["smallest_change"]["total_change"] == 0  # a filled-in missing score moves nothing

    assert rows["epsilon"]["why"] == ["no quadrant: the profile gives no relatedness_density and no complexity"]
    assert rows["alpha"]["why"] == [] and rows["alpha"]["smallest_change"] is None
    assert report["summary"]["needs"] == [
        {"crossings": ["economic >= 4 (E): missing -> fails"], "domains": ["delta"]},
        {"crossings": ["technology >= 4 (IT): passes -> fails"], "domains": ["beta"]},
    ]
    assert report["summary"]["not_placed"] == ["epsilon"]


def test_compare_quadrants_table_and_markdown_carry_the_same_rows(run_cli, fixture_folder):
    table = run_cli("compare-quadrants", fixture_folder)
    assert table.exit_code == 0, table.stderr
    assert "CEPS quadrant vs VARIO category (4 of 5 domains placed)" in table.stdout
    assert "Where and why they differ" in table.stdout
    assert "No quadrant, a coordinate is missing (1): epsilon" in table.stdout
    markdown = run_cli("compare-quadrants", fixture_folder, "-f", "markdown").stdout
    assert "| Beta | 10 | 75 | VQ02 moonshot<br>~ moonshot | ecosystem-gap (VL05) | disagree |" in markdown
    assert (
        "| Gamma | 60 | 50 | VQ03 incremental-growth<br>~ no-focus | no-focus/internationalisation (VL10) | agree |"
        in (markdown)
    )


def test_compare_quadrants_on_the_shipped_technologies(run_cli):
    result = run_cli("compare-quadrants", "-f", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["technologies"]) == 38
    placed = {row["id"] for row in report["technologies"] if row["quadrant"]}
    assert len(placed) == 15
    semiconductors = next(r for r in report["technologies"] if r["id"] == "kst-semiconductors")
    # Technology 4 and science 5 keep VARIO from a moonshot whatever economic turns out to be.
    assert (semiconductors["quadrant"], semiconductors["agreement"]) == ("VQ02", "disagree")


# --- the chart ----------------------------------------------------------------------------

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_chart_is_written(run_cli, fixture_folder, tmp_path, suffix):
    out = tmp_path / f"chart.{suffix}"
    result = run_cli("plot", "quadrant", fixture_folder, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    data = out.read_bytes()
    assert len(data) > 20_000
    if suffix == "png":
        assert data.startswith(PNG_MAGIC)
    else:
        assert data.lstrip().startswith(b"<?xml") and b"<svg" in data[:1000]
        # Text stays text (svg.fonttype none): the labels and the note can be searched.
        assert b"Beta" in data and b"Not plotted" in data
    assert result.stderr.splitlines() == [
        "not plotted (1, no relatedness_density or complexity): epsilon",
        f"wrote {out}",
    ]


def test_chart_is_deterministic(run_cli, fixture_folder, tmp_path):
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    run_cli("plot", "quadrant", fixture_folder, "--out", first, "--rca", "funding")
    run_cli("plot", "quadrant", fixture_folder, "--out", second, "--rca", "funding")
    assert first.read_bytes() == second.read_bytes()


def test_chart_never_overwrites_without_force(run_cli, fixture_folder, tmp_path):
    out = write(tmp_path / "chart.png", "keep me")
    lines = assert_clean_failure(run_cli("plot", "quadrant", fixture_folder, "--out", out))
    assert lines == [f"error: {out}: already exists; pass --force to overwrite it"]
    assert out.read_text() == "keep me"
    result = run_cli("plot", "quadrant", fixture_folder, "--out", out, "--force")
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(PNG_MAGIC)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png", "technologies"]  # no temporary left


def test_chart_refuses_other_suffixes(run_cli, fixture_folder, tmp_path):
    lines = assert_clean_failure(run_cli("plot", "quadrant", fixture_folder, "--out", tmp_path / "chart.jpg"))
    assert lines == [f"error: {tmp_path / 'chart.jpg'}: --out must end in .png or .svg"]


def test_missing_matplotlib_is_one_clear_line(run_cli, fixture_folder, tmp_path, monkeypatch):
    # None in sys.modules makes "import matplotlib" raise ImportError, as when it is not installed.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "chart.png"
    lines = assert_clean_failure(run_cli("plot", "quadrant", fixture_folder, "--out", out))
    assert lines == ["error: the chart needs matplotlib, an optional extra: pip install 'decision[plot]'"]
    assert not out.exists()


def test_chart_of_the_shipped_technologies(run_cli, tmp_path):
    out = tmp_path / "quadrants.png"
    result = run_cli("plot", "quadrant", "--out", out, "--rca", "publication")
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(PNG_MAGIC)
    not_plotted = result.stderr.splitlines()[0]
    assert not_plotted.startswith("not plotted (23, no relatedness_density or complexity): kst-advanced-materials, ")


# --- label placement ----------------------------------------------------------------------


def test_labels_of_a_tight_cluster_neither_overlap_nor_leave_the_plot():
    anchors = [(100.0, 100.0), (103.0, 104.0), (96.0, 98.0), (108.0, 99.0), (300.0, 200.0), (305.0, 200.0)]
    sizes = [(90.0, 18.0), (60.0, 18.0), (120.0, 18.0), (40.0, 18.0), (70.0, 18.0), (70.0, 18.0)]
    bounds = Box(0, 0, 400, 300)
    crowded = crowded_points(anchors, 8.0)
    assert crowded == [True, True, True, True, True, True]
    boxes = place_labels(anchors, sizes, bounds=bounds, marker_radius=8.0, crowded=crowded)
    for first, second in itertools.combinations(boxes, 2):
        assert first.overlap(second) == 0
    for box, (width, height) in zip(boxes, sizes, strict=True):
        assert box.outside(bounds) == 0
        assert (round(box.x1 - box.x0, 6), round(box.y1 - box.y0, 6)) == (width, height)
    markers = [Box.around(x, y, 16, 16) for x, y in anchors]
    assert all(box.overlap(marker) == 0 for box in boxes for marker in markers)


def test_a_lone_label_sits_right_next_to_its_point():
    [box] = place_labels([(50.0, 50.0)], [(40.0, 10.0)], bounds=Box(0, 0, 200, 100), marker_radius=5.0)
    assert (box.x0, box.centre[1]) == (57.0, 50.0)  # marker radius 5 plus the nearest gap, 2


def test_segment_crossing():
    box = Box(10, 10, 20, 20)
    assert box.crossed_by((0, 15), (30, 15))
    assert not box.crossed_by((0, 0), (5, 30))
    assert not box.crossed_by((0, 10), (30, 10))  # along an edge is not through the inside
