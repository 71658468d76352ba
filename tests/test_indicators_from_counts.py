"""``decision indicators compute|compare``: counts to profile indicators the loader accepts,
the same figures from every table layout, bad tables named by row and column with nothing
written, empty regions and technologies reported, methods as located rules data, and the
method comparison consistent with classifying the edited profile itself.

The figures themselves are checked against ecomplexity in test_count_indicators_oracle.py.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

from decision.analyses.count_indicators import compute_indicators, region_figures
from decision.engine.walk import classify_all
from decision.inputs.count_table import read_counts
from decision.inputs.indicator_methods import load_indicator_methods
from decision.inputs.profiles import load_profiles
from tests.conftest import REPO, write
from tests.test_bad_profiles import assert_clean_failure

EXAMPLE = REPO / "docs" / "examples" / "technology-counts.csv"
COLUMNS = ["technology", "rca", "presence", "relatedness_density", "complexity"]


def example_rows() -> list[list[str]]:
    return list(csv.reader(EXAMPLE.read_text(encoding="utf-8").splitlines()))


def long_text(rows: list[list[str]]) -> str:
    header, *body = rows
    lines = ["Technology,Count,Region,ignored"]
    lines += [f'"{name}",{value},{row[0]},x' for row in body for name, value in zip(header[1:], row[1:], strict=True)]
    return "\n".join(lines) + "\n"


def compute_json(run_cli, table: Path, *args: str) -> list[dict]:
    result = run_cli("indicators", "compute", table, "--region", "Flanders", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# --- the output ------------------------------------------------------------------------


def test_profiles_written_load_and_carry_their_provenance(run_cli, tmp_path, rulebook):
    out = tmp_path / "flanders.yaml"
    result = run_cli("indicators", "compute", EXAMPLE, "--region", "Flanders", "--out", out)
    assert result.exit_code == 0, result.stderr
    profiles = load_profiles([out], rulebook)
    figures = {row["technology"]: row for row in compute_json(run_cli, EXAMPLE)}
    assert [p.name for p in profiles] == list(figures)
    digest = read_counts(EXAMPLE).sha256
    methods = load_indicator_methods(rulebook)
    for profile in profiles:
        row = figures[profile.name]
        for figure, indicator in methods.targets.model_dump().items():
            entry = profile.indicators[indicator]
            assert entry.value == pytest.approx(row[figure], abs=1e-6)
            assert digest[:16] in entry.source and EXAMPLE.name in entry.source
            assert "rules/indicator_methods.yaml" in entry.note
        # The RCA's note shows the four counts it divides, the density's and the
        # complexity's the method parameters they depend on.
        assert "Balassa RCA = (" in profile.indicators["patent_rca"].note
        assert "proximity" in profile.indicators["relatedness_density"].note
        assert "eigenvector" in profile.indicators["complexity"].note
    # The header comment names the whole digest; the profiles classify.
    assert digest in out.read_text(encoding="utf-8")
    assert len(classify_all(profiles, rulebook)) == len(profiles)


def test_table_formats_have_the_issue_columns(run_cli):
    rows = compute_json(run_cli, EXAMPLE)
    assert all(list(row) == COLUMNS for row in rows)
    result = run_cli("indicators", "compute", EXAMPLE, "--region", "Flanders", "--format", "csv")
    parsed = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(parsed[0]) == COLUMNS
    for from_csv, from_json in zip(parsed, rows, strict=True):
        assert float(from_csv["rca"]) == from_json["rca"]
        assert int(from_csv["presence"]) == from_json["presence"] == int(from_json["rca"] >= 1)
        assert float(from_csv["complexity"]) == from_json["complexity"]


def test_long_wide_and_excel_tables_give_the_same_figures(run_cli, tmp_path):
    import pandas as pd

    long_csv = write(tmp_path / "long.csv", long_text(example_rows()))
    workbook = tmp_path / "wide.xlsx"
    pd.read_csv(EXAMPLE).to_excel(workbook, index=False, sheet_name="counts")
    wide = compute_json(run_cli, EXAMPLE)
    assert compute_json(run_cli, long_csv) == wide
    assert compute_json(run_cli, workbook, "--sheet", "counts") == wide


def test_switches_change_the_method_for_one_run(run_cli):
    base = compute_json(run_cli, EXAMPLE)
    for option, value in (("--relatedness", "cosine"), ("--complexity", "reflections"), ("--rca-cutoff", "1.25")):
        changed = compute_json(run_cli, EXAMPLE, option, value)
        assert changed != base, option
    # Only the figures a method part feeds move.
    cosine = compute_json(run_cli, EXAMPLE, "--relatedness", "cosine")
    assert [r["complexity"] for r in cosine] == [r["complexity"] for r in base]
    assert [r["rca"] for r in cosine] == [r["rca"] for r in base]


def test_csv_cells_never_become_formulas(run_cli, tmp_path):
    table = write(tmp_path / "t.csv", "region,=HYPERLINK(1),b\nFlanders,3,1\nOther,1,3\nThird,2,2\n")
    result = run_cli("indicators", "compute", table, "--region", "Flanders", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("'=HYPERLINK(1),")


# --- bad tables ------------------------------------------------------------------------

# (table text, expected "row:col: field" of the first problem); the header is row 1.
BAD_TABLES = {
    "negative count": ("region,a,b\nR1,1,2\nR2,-1,3\n", "3:2: count of a"),
    "text count": ("region,a,b\nR1,1,2\nR2,3,many\n", "3:3: count of b"),
    "infinite count": ("region,a,b\nR1,1,inf\nR2,3,1\n", "2:3: count of b"),
    "repeated region": ("region,a,b\nR1,1,2\nR1,3,1\n", "3:1: region"),
    "repeated technology": ("region,a,a\nR1,1,2\nR2,3,1\n", "1:3: technology"),
    "unnamed technology": ("region,a,\nR1,1,2\nR2,3,1\n", "1:3: technology"),
    # A ragged CSV row is refused by the shared table reader, which names the line in its message.
    "cell right of the header": ("region,a,b\nR1,1,2,7\nR2,3,1\n", "1:1: table: cannot read as CSV"),
    "long: empty region": ("region,technology,count\nR1,a,1\n,b,2\n", "3:1: region"),
    "long: missing count": ("technology,region,count\na,R1,1\nb,R1,\n", "3:3: count"),
    "long: pair twice": ("region,technology,count\nR1,a,1\nR2,a,2\nR1,a,5\n", "4:3: count"),
    "only one column": ("region;a;b\nR1;1;2\n", "1:1: table"),
}


@pytest.mark.parametrize("name", BAD_TABLES)
def test_bad_tables_are_named_by_row_and_column_and_nothing_is_written(run_cli, tmp_path, name):
    text, where = BAD_TABLES[name]
    table = write(tmp_path / "counts.csv", text)
    out = tmp_path / "out.yaml"
    result = run_cli("indicators", "compute", table, "--region", "R1", "--out", out)
    lines = assert_clean_failure(result)
    assert lines[0].startswith(f"{table}:{where}"), lines
    assert lines[-1].startswith("error: ") and "nothing computed or written" in lines[-1]
    assert not out.exists()


def test_regions_and_technologies_without_counts_are_reported_not_divided(run_cli, tmp_path):
    table = write(tmp_path / "t.csv", "region,a,b,empty,c\nR1,3,0,0,2\nR2,0,0,0,0\nR3,1,4,0,1\nR4,2,2,0,5\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a division by zero in numpy would warn
        result = run_cli("indicators", "compute", table, "--region", "R1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "note: regions with no counts, left out: R2" in result.stderr
    assert "note: technologies with no counts in any region, left out: empty" in result.stderr
    assert [row["technology"] for row in json.loads(result.stdout)] == ["a", "b", "c"]
    refused = run_cli("indicators", "compute", table, "--region", "R2")
    assert "has no counts" in assert_clean_failure(refused)[0]


def test_a_cut_off_no_region_reaches_leaves_figures_out_with_a_note(rulebook):
    methods = load_indicator_methods(rulebook).with_options(rca_cutoff=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures = region_figures(read_counts(EXAMPLE), "Flanders", methods.method)
    assert all(row.relatedness_density is None and row.complexity is None for row in figures.technologies)
    assert any("no region reaches RCA 1000" in notice for notice in figures.notices)


def test_a_network_in_pieces_is_flagged_as_giving_no_single_complexity_order(run_cli, tmp_path):
    # Regions R1-R2 patent only in a and b, R3-R4 only in c and d: no region links the pairs.
    table = write(tmp_path / "t.csv", "region,a,b,c,d\nR1,5,1,0,0\nR2,1,5,0,0\nR3,0,0,5,1\nR4,0,0,1,5\n")
    result = run_cli("indicators", "compute", table, "--region", "R1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "note: the presence network is not connected" in result.stderr


def test_unknown_region_suggests_the_closest(run_cli):
    result = run_cli("indicators", "compute", EXAMPLE, "--region", "Flandres")
    assert 'did you mean "Flanders"?' in assert_clean_failure(result)[0]


# --- methods as rules data -------------------------------------------------------------

# (text in rules/indicator_methods.yaml, replacement, field, message start)
BAD_METHODS = [
    ("measure: proximity", "measure: proximty", "relatedness.measure", 'unknown relatedness measure "proximty"'),
    ("method: eigenvector", "method: eigen", "complexity.method", 'unknown complexity method "eigen"'),
    ("rescaling: minmax", "rescaling: min-max", "rescaling", 'unknown rescaling "min-max"'),
    ("rca: patent_rca", "rca: patent_rcaa", "indicators.rca", 'unknown indicator "patent_rcaa"'),
    ("relatedness: cosine", "relatedness: cosin", "sensitivity.0.relatedness", 'unknown relatedness measure "cosin"'),
]


@pytest.mark.parametrize(("old", "new", "field", "message"), BAD_METHODS, ids=[case[2] for case in BAD_METHODS])
def test_unknown_method_names_are_located_rules_errors(run_cli, rules_copy, old, new, field, message):
    path = rules_copy / "indicator_methods.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(number for number, content in enumerate(lines, 1) if new in content)
    column = lines[line - 1].index(new.split(": ")[1]) + 1
    result = run_cli("indicators", "compute", EXAMPLE, "--region", "Flanders", "--rules", rules_copy)
    first = assert_clean_failure(result, exit_code=3)[0]
    assert first.startswith(f"{path}:{line}:{column}: {field}: {message}"), first


def test_unknown_switch_names_suggest_the_closest(run_cli):
    result = run_cli("indicators", "compute", EXAMPLE, "--region", "Flanders", "--relatedness", "cosin")
    assert 'did you mean "cosine"?' in assert_clean_failure(result)[0]
    result = run_cli("indicators", "compare", EXAMPLE, "--region", "Flanders", "--complexity", "reflection")
    assert 'did you mean "reflections"?' in assert_clean_failure(result)[0]


# --- outputs ---------------------------------------------------------------------------


def test_out_never_overwrites_without_force_nor_an_input(run_cli, tmp_path):
    table = tmp_path / "counts.csv"
    table.write_bytes(EXAMPLE.read_bytes())
    out = write(tmp_path / "out.yaml", "keep\n")
    refused = run_cli("indicators", "compute", table, "--region", "Flanders", "--out", out)
    assert "already exists" in assert_clean_failure(refused)[0]
    assert out.read_text() == "keep\n"
    for target in (table, REPO / "rules" / "indicator_methods.yaml"):
        before = target.read_bytes()
        result = run_cli("indicators", "compute", table, "--region", "Flanders", "--out", target, "--force")
        assert "is one of this run's inputs" in assert_clean_failure(result)[0]
        assert target.read_bytes() == before
    forced = run_cli("indicators", "compute", table, "--region", "Flanders", "--out", out, "--force")
    assert forced.exit_code == 0 and out.read_text().startswith("# Computed by")


def test_out_name_chooses_the_format_and_may_not_contradict_it(run_cli, tmp_path):
    out = tmp_path / "figures.json"
    result = run_cli("indicators", "compute", EXAMPLE, "--region", "Flanders", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == compute_json(run_cli, EXAMPLE)
    clash = run_cli("indicators", "compute", EXAMPLE, "--region", "Flanders", "-f", "csv", "--out", tmp_path / "x.json")
    assert "the name says json but --format is csv" in assert_clean_failure(clash)[0]
    assert not (tmp_path / "x.json").exists()


# --- the comparison --------------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison():
    from typer.testing import CliRunner

    from decision.cli.app import full_app

    result = CliRunner().invoke(
        full_app(),
        ["indicators", "compare", str(EXAMPLE), "--region", "Flanders", "--format", "json", "--engine", "zen"],
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_comparison_covers_every_method_and_technology(comparison, rulebook):
    variants = load_indicator_methods(rulebook).variants
    assert [m["name"] for m in comparison["methods"]] == ["baseline", *(v.name for v in variants)]
    figures = region_figures(read_counts(EXAMPLE), "Flanders", load_indicator_methods(rulebook).method)
    assert [row["technology"] for row in comparison["technologies"]] == [r.technology for r in figures.technologies]
    for row, computed in zip(comparison["technologies"], figures.technologies, strict=True):
        assert len(row["placements"]) == 1 + len(variants)
        assert row["placements"][0]["complexity"] == computed.complexity
        quadrants = {p["quadrant"] for p in row["placements"]}
        assert row["quadrant_survives"] == (len(quadrants) == 1)
        assert bool(row["moves"]) == (not row["quadrant_survives"] or row["category_survives"] is False)
        if row["profile"] is None:
            assert row["category_survives"] is None and all(p["category"] is None for p in row["placements"])
    assert any(row["profile"] is None for row in comparison["technologies"])  # Battery Chemistry has none
    assert comparison["with_profile"] == sum(row["profile"] is not None for row in comparison["technologies"])


def test_comparison_category_is_the_edited_profile_classified(comparison, tmp_path, rulebook, run_cli):
    """Write the computed figures into a copy of each matched profile by hand and classify it."""
    computed = {row["technology"]: row for row in compute_json(run_cli, EXAMPLE)}
    targets = load_indicator_methods(rulebook).targets
    checked = 0
    for row in comparison["technologies"]:
        if row["profile"] is None:
            continue
        source = Path(row["profile_file"])
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        figures = computed[row["technology"]]
        for figure, indicator in targets.model_dump().items():
            data.setdefault("indicators", {})[indicator] = figures[figure]
        # A score the seeds derived from the CEPS figures must be derived again.
        copy = write(tmp_path / source.name, yaml.safe_dump(data, sort_keys=False))
        [result] = classify_all(load_profiles([copy], rulebook), rulebook, "zen")
        outcome = result.category + (f"/{result.variant}" if result.variant else "")
        assert row["placements"][0]["category"] == outcome, row["technology"]
        checked += 1
    assert checked >= 10


def test_comparison_table_and_csv(run_cli, tmp_path):
    result = run_cli("indicators", "compare", EXAMPLE, "--region", "Flanders")
    assert result.exit_code == 0, result.stderr
    assert "quadrant unchanged under every method:" in result.stdout
    out = tmp_path / "c.csv"
    written = run_cli("indicators", "compare", EXAMPLE, "--region", "Flanders", "--format", "csv", "--out", out)
    assert written.exit_code == 0, written.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {row["method"] for row in rows} >= {"baseline", "cosine"}


def test_every_figure_of_the_example_is_in_range(rulebook):
    matrix = read_counts(EXAMPLE)
    indicators = compute_indicators(matrix, load_indicator_methods(rulebook).method)
    assert indicators.rca.shape == matrix.counts.shape
    assert np.all((indicators.density >= 0) & (indicators.density <= 100))
    assert indicators.complexity.min() == 0 and indicators.complexity.max() == 100
