"""``decision import``: CSV and xlsx tables to profiles that validate and classify, with the
table, row and column of every figure; every bad-row kind named by its row; nothing
written when a row is bad (unless --skip-bad, exit 1), when a target exists (unless
--force), or when the mapping or the table is unusable (one line each, exit 2)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from decision.engine.walk import classify_all
from decision.inputs.profiles import load_profiles
from decision.inputs.table_import import ImportProblems, load_mapping, plan_import, slugify
from tests.conftest import REPO, write
from tests.test_bad_profiles import assert_clean_failure

EXAMPLES = REPO / "docs" / "examples"

MAPPING = """\
source: "Test report 2026, table 3"
id_column: id
name_column: name
kind: technology
columns:
  econ: {score: economic}
  sci: {score: science}
  opp: {score: opportunity}
  trans: {score: transition}
  prca: {indicator: patent_rca}
  cplx: {indicator: complexity, source: "Other report, figure 6"}
"""

GOOD_CSV = """\
id,name,econ,sci,opp,trans,prca,cplx,unmapped
alpha,Alpha,4.5,++,4,+,1.7,71.1,ignored
beta,Beta,2,5,,na,0.69,69.9,
"""


@pytest.fixture
def files(tmp_path) -> Path:
    """tmp_path with mapping.yaml and table.csv (two good rows); commands run from here."""
    write(tmp_path / "mapping.yaml", MAPPING)
    write(tmp_path / "table.csv", GOOD_CSV)
    return tmp_path


def run_import(run_cli, folder: Path, *args: str, table: str = "table.csv", mapping: str = "mapping.yaml"):
    return run_cli("import", table, "--mapping", mapping, "--out", "out", *args, cwd=folder)


def loaded(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- good tables -------------------------------------------------------------------------------


def test_csv_rows_become_profiles_with_provenance(run_cli, files):
    result = run_import(run_cli, files)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "imported 2 profiles from table.csv into out\n"
    assert result.stderr.splitlines() == ["wrote out/alpha.yaml", "wrote out/beta.yaml"]
    alpha_text = (files / "out" / "alpha.yaml").read_text(encoding="utf-8")
    assert alpha_text.startswith(
        "# Imported by `decision import` from table.csv, row 2,\n# with the mapping mapping.yaml."
    )
    alpha = loaded(files / "out" / "alpha.yaml")
    # Stable key order: id, name, kind, scores, indicators; scores in registry order.
    assert list(alpha) == ["id", "name", "kind", "scores", "indicators"]
    assert list(alpha["scores"]) == ["economic", "science", "opportunity", "transition"]
    assert alpha["scores"]["economic"] == {
        "value": 4.5,
        "source": "Test report 2026, table 3; table.csv, row 2, column 'econ'",
    }
    assert alpha["scores"]["science"]["value"] == "++"
    assert alpha["indicators"] == {
        "patent_rca": {"value": 1.7, "source": "Test report 2026, table 3; table.csv, row 2, column 'prca'"},
        # A column's own source replaces the mapping's.
        "complexity": {"value": 71.1, "source": "Other report, figure 6; table.csv, row 2, column 'cplx'"},
    }
    beta = loaded(files / "out" / "beta.yaml")
    # An empty cell is a missing figure: the key is left out. "na" is kept, with its source.
    assert "opportunity" not in beta["scores"]
    assert beta["scores"]["transition"] == {
        "value": "na",
        "source": "Test report 2026, table 3; table.csv, row 3, column 'trans'",
    }
    assert beta["scores"]["economic"]["value"] == 2 and isinstance(beta["scores"]["economic"]["value"], int)


def test_written_profiles_validate_and_classify(run_cli, files, rulebook):
    assert run_import(run_cli, files).exit_code == 0
    validated = run_cli("validate", "out", cwd=files)
    assert validated.exit_code == 0, validated.stderr
    assert validated.stdout == "ok: 2 domains in 2 files\n"
    profiles = load_profiles([files / "out"], rulebook)
    alpha = next(p for p in profiles if p.id == "alpha")
    assert alpha.scores["economic"].source == "Test report 2026, table 3; table.csv, row 2, column 'econ'"
    assert alpha.indicators["patent_rca"].value == 1.7
    # patent RCA 1.7 derives technology 5 (rules/indicators.yaml): E, IT, S, G, P all pass.
    assert alpha.value("technology") == 5
    results = {r.id: r for r in classify_all(profiles, rulebook)}
    assert results["alpha"].category == "strong"
    assert results["beta"].category == "undetermined"  # transition is "na" and decides
    classified = run_cli("classify", "out", "-f", "json", cwd=files)
    assert classified.exit_code == 0, classified.stderr


def test_xlsx_table(run_cli, files, rulebook):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "this sheet is not the table"
    sheet = book.create_sheet("Figures")
    sheet.append(["id", "name", "econ", "sci", "opp", "trans", "prca", "cplx"])
    sheet.append(["alpha", "Alpha", 4.5, "++", 4, "+", 1.7, 71.1])
    sheet.append([None, None, None, None, None, None, None, None])  # blank rows are skipped
    sheet.append(["beta", "Beta", 2, 5.0, None, "na", 0.69, 69.9])
    book.save(files / "table.xlsx")
    write(files / "mapping.yaml", MAPPING + "sheet: Figures\n")
    result = run_import(run_cli, files, table="table.xlsx")
    assert result.exit_code == 0, result.stderr
    beta = loaded(files / "out" / "beta.yaml")
    # Row numbers are the workbook's own: the blank row 3 still counts.
    assert beta["scores"]["economic"] == {
        "value": 2,
        "source": "Test report 2026, table 3; table.xlsx, sheet 'Figures', row 4, column 'econ'",
    }
    assert beta["scores"]["science"]["value"] == 5  # 5.0 in the workbook, written 5
    assert run_cli("validate", "out", cwd=files).exit_code == 0
    assert {r.id: r.category for r in classify_all(load_profiles([files / "out"], rulebook), rulebook)} == {
        "alpha": "strong",
        "beta": "undetermined",
    }


def test_xlsx_bad_cells_and_missing_sheet(run_cli, files):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["id", "name", "econ", "sci", "opp", "trans", "prca", "cplx"])
    sheet.append(["alpha", "Alpha", True, "high", 4, "+", "n/a", 71.1])
    book.save(files / "table.xlsx")
    lines = assert_clean_failure(run_import(run_cli, files, table="table.xlsx"))
    assert lines[:3] == [
        'table.xlsx:2:3: econ: "True" is not a number 0-5 or a symbol ("++", "+", "+/-", "-", "--", "na")',
        'table.xlsx:2:4: sci: "high" is not a number 0-5 or a symbol ("++", "+", "+/-", "-", "--", "na")',
        'table.xlsx:2:7: prca: "n/a" is not a number (indicator "patent_rca")',
    ]
    write(files / "mapping.yaml", MAPPING + "sheet: Figures\n")
    lines = assert_clean_failure(run_import(run_cli, files, table="table.xlsx"))
    assert lines == [
        'mapping.yaml:12:8: sheet: no sheet "Figures" in table.xlsx (sheets: "Data")',
        "error: 1 problem; nothing written",
    ]


def test_id_from_slugifies_a_column(run_cli, tmp_path):
    write(tmp_path / "m.yaml", "id_from: name\nname_column: name\ncolumns:\n  sci: {score: science}\n")
    write(tmp_path / "t.csv", "name,sci\nGenomics & Gene Editing,4\nCafé Crème 2030,3\n")
    result = run_cli("import", "t.csv", "--mapping", "m.yaml", "--out", "out", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "cafe-creme-2030.yaml",
        "genomics-gene-editing.yaml",
    ]
    assert loaded(tmp_path / "out" / "genomics-gene-editing.yaml")["name"] == "Genomics & Gene Editing"
    assert slugify("  --mRNA Technology (ATMP)--") == "mrna-technology-atmp"


def test_kind_column(run_cli, tmp_path):
    write(
        tmp_path / "m.yaml", "id_column: id\nname_column: name\nkind_column: kind\ncolumns:\n  sci: {score: science}\n"
    )
    write(tmp_path / "t.csv", "id,name,kind,sci\na,A,sector,4\nb,B,,4\nc,C,industry,4\n")
    lines = assert_clean_failure(run_cli("import", "t.csv", "--mapping", "m.yaml", "--out", "out", cwd=tmp_path))
    assert lines[0] == 't.csv:4:3: kind: unknown kind "industry" (known: sector, technology, value-chain, ecosystem)'
    result = run_cli("import", "t.csv", "--mapping", "m.yaml", "--out", "out", "--skip-bad", cwd=tmp_path)
    assert result.exit_code == 1
    assert loaded(tmp_path / "out" / "a.yaml")["kind"] == "sector"
    assert "kind" not in loaded(tmp_path / "out" / "b.yaml")


def test_the_shipped_example_imports_and_validates(run_cli, tmp_path, rulebook):
    table, mapping = EXAMPLES / "ceps-figures.csv", EXAMPLES / "ceps-import-mapping.yaml"
    before = digest(table), digest(mapping)
    result = run_cli("import", table, "--mapping", mapping, "--out", tmp_path / "ceps")
    assert result.exit_code == 0, result.stderr
    assert (digest(table), digest(mapping)) == before
    profiles = load_profiles([tmp_path / "ceps"], rulebook)
    assert len(profiles) == 8
    micro = next(p for p in profiles if p.id == "microelectronics")
    assert micro.indicators["publication_rca"].source == (
        "CEPS/Balland 2026 (seed 004), sections 3.2 and 4.3; ceps-figures.csv, row 6, column 'publication_rca'"
    )
    assert micro.value("science") == 5  # publication RCA 1.65
    assert "publication_rca" not in next(p for p in profiles if p.id == "cybersecurity").indicators
    assert run_cli("validate", tmp_path / "ceps").exit_code == 0


# --- bad rows ----------------------------------------------------------------------------------

BAD_CSV = """\
id,name,econ,sci,opp,trans,prca,cplx
alpha,Alpha,4,4,4,4,1.2,60
Bad Id,Bad,4,4,4,4,1.2,60
,No id,4,4,4,4,1.2,60
beta,,4,4,4,4,1.2,60
gamma,Gamma,7,+++,high,4,abc,101
delta,Delta,"3,5",4,4,4,-0.5,60
alpha,Alpha again,4,4,4,4,1.2,60
"""


def test_every_bad_row_kind_is_named_by_its_row(run_cli, files):
    write(files / "table.csv", BAD_CSV)
    lines = assert_clean_failure(run_import(run_cli, files))
    symbols = '("++", "+", "+/-", "-", "--", "na")'
    assert lines == [
        'table.csv:3:1: id: "Bad Id" is not an id: '
        "a lowercase slug of a-z, 0-9 and '-', starting with a letter or digit",
        "table.csv:4:1: id: empty id",
        "table.csv:5:2: name: empty name",
        "table.csv:6:3: econ: score 7 is outside the scale 0-5",
        f'table.csv:6:4: sci: "+++" is not a number 0-5 or a symbol {symbols}',
        f'table.csv:6:5: opp: "high" is not a number 0-5 or a symbol {symbols}',
        'table.csv:6:7: prca: "abc" is not a number (indicator "patent_rca")',
        'table.csv:6:8: cplx: 101 is above the maximum 100 of indicator "complexity"',
        f'table.csv:7:3: econ: "3,5" is not a number 0-5 or a symbol {symbols} '
        "(write decimals with a point, not a comma)",
        'table.csv:7:7: prca: -0.5 is below the minimum 0 of indicator "patent_rca"',
        'table.csv:8:1: id: duplicate id "alpha" (rows 2 and 8)',
        "error: 7 bad rows (2, 3, 4, 5, 6, 7, 8), 11 problems; "
        "nothing written (pass --skip-bad to write the good rows)",
    ]
    assert not (files / "out").exists()


def test_one_bad_row_stops_every_write(run_cli, files):
    write(files / "table.csv", GOOD_CSV + "gamma,Gamma,x,4,4,4,1,50,\n")
    lines = assert_clean_failure(run_import(run_cli, files))
    assert lines[0].startswith("table.csv:4:3: econ: ")
    assert lines[-1].startswith("error: 1 bad row (4), 1 problem; nothing written")
    assert not (files / "out").exists()


def test_skip_bad_writes_the_good_rows_and_exits_1(run_cli, files, rulebook):
    write(files / "table.csv", BAD_CSV + "epsilon,Epsilon,4,4,4,4,1.2,60\n")
    result = run_import(run_cli, files, "--skip-bad")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == "imported 1 profile from table.csv into out\n"
    stderr = result.stderr.splitlines()
    assert stderr[0] == "wrote out/epsilon.yaml"
    assert 'table.csv:8:1: id: duplicate id "alpha" (rows 2 and 8)' in stderr
    assert stderr[-1] == "skipped 7 bad rows (2, 3, 4, 5, 6, 7, 8), not written"
    # Both rows of a duplicate are left out: neither can be trusted over the other.
    assert [p.name for p in (files / "out").iterdir()] == ["epsilon.yaml"]
    assert [p.id for p in load_profiles([files / "out"], rulebook)] == ["epsilon"]


def test_skip_bad_with_no_good_row_writes_nothing(run_cli, files):
    write(files / "table.csv", GOOD_CSV.splitlines()[0] + "\nBad,Bad,4,4,4,4,1,50,\n")
    lines = assert_clean_failure(run_import(run_cli, files, "--skip-bad"))
    assert lines[-1] == "error: 1 bad row (2), 1 problem; nothing written (no row is good)"
    assert not (files / "out").exists()


# --- existing files ----------------------------------------------------------------------------


def test_no_overwrite_without_force(run_cli, files):
    out = files / "out"
    write(out / "beta.yaml", "id: beta\nname: hand-made\n")
    lines = assert_clean_failure(run_import(run_cli, files))
    assert lines == [
        "error: out/beta.yaml: already exists; pass --force to overwrite it",
        "error: 1 profile would be overwritten; nothing written",
    ]
    # Nothing at all: not even the row whose file did not exist.
    assert sorted(p.name for p in out.iterdir()) == ["beta.yaml"]
    assert loaded(out / "beta.yaml")["name"] == "hand-made"

    result = run_import(run_cli, files, "--force")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["alpha.yaml", "beta.yaml"]
    assert loaded(out / "beta.yaml")["name"] == "Beta"


def test_inputs_are_never_written(run_cli, files):
    before = digest(files / "table.csv"), digest(files / "mapping.yaml")
    assert run_import(run_cli, files).exit_code == 0
    assert run_import(run_cli, files, "--force").exit_code == 0
    assert (digest(files / "table.csv"), digest(files / "mapping.yaml")) == before
    # Even --force never replaces the mapping when a row's id would land on it.
    write(files / "mapping-in-out" / "alpha.yaml", MAPPING)
    result = run_cli(
        "import", "table.csv", "--mapping", "mapping-in-out/alpha.yaml", "--out", "mapping-in-out", "--force", cwd=files
    )
    assert assert_clean_failure(result)[0].startswith("error: mapping-in-out/alpha.yaml: is an input of this import")
    assert (files / "mapping-in-out" / "alpha.yaml").read_text(encoding="utf-8") == MAPPING


def test_out_is_a_file(run_cli, files):
    write(files / "out", "not a folder")
    lines = assert_clean_failure(run_import(run_cli, files))
    assert lines == ["error: out: exists and is not a folder (--out names the folder for the profiles)"]


# --- bad mappings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "sci: {score: science}",
            "sci: {score: sciense}",
            'mapping.yaml:7:16: columns.sci.score: unknown score "sciense" (known: economic, innovation, '
            "technology, science, opportunity, transition, feasibility)",
        ),
        (
            "prca: {indicator: patent_rca}",
            "prca: {indicator: patent_rcaa}",
            'mapping.yaml:10:21: columns.prca.indicator: unknown indicator "patent_rcaa" (known: patent_rca, ',
        ),
        (
            "sci: {score: science}",
            "science_score: {score: science}",
            'mapping.yaml:7:3: columns.science_score: column "science_score" is not in the table table.csv '
            '(its columns: "id", "name", "econ", "sci", "opp", "trans", "prca", "cplx", "unmapped")',
        ),
        (
            "name_column: name",
            "name_column: title",
            'mapping.yaml:3:14: name_column: column "title" is not in the table table.csv',
        ),
        (
            "sci: {score: science}",
            "sci: {score: science, scale: 5}",
            'mapping.yaml:7:25: columns.sci.scale: unknown field "scale"',
        ),
        (
            "sci: {score: science}",
            "sci: {score: science, indicator: patent_rca}",
            'mapping.yaml:7:8: columns.sci: give exactly one of "score" or "indicator"',
        ),
        (
            "opp: {score: opportunity}",
            "opp: {score: science}",
            'mapping.yaml:8:16: columns.opp.score: score "science" is already filled by column "sci"',
        ),
        (
            "id_column: id",
            "id_column: id\nid_from: name",
            'mapping.yaml:1:1: mapping: give exactly one of "id_column" (ids as written) or "id_from" '
            "(ids made from a column)",
        ),
        ("kind: technology", "kind: industry", "mapping.yaml:4:7: kind: expected one of 'sector', "),
        ("id_column: id", "id_columns: id", "mapping.yaml:2:1: id_columns: unknown field"),
        ("columns:", "columns: [", "mapping.yaml:7:3: yaml: while parsing a flow sequence"),
    ],
)
def test_bad_mapping_is_located(run_cli, files, old, new, expected):
    text = MAPPING.replace(old, new)
    assert text != MAPPING
    write(files / "mapping.yaml", text)
    lines = assert_clean_failure(run_import(run_cli, files))
    assert any(line.startswith(expected) for line in lines), lines
    assert lines[-1].endswith("; nothing written")
    assert not (files / "out").exists()


def test_every_mapping_problem_is_listed(files, rulebook):
    write(files / "mapping.yaml", MAPPING.replace("score: science", "score: sciense").replace("patent_rca", "rca"))
    with pytest.raises(ImportProblems) as caught:
        load_mapping(files / "mapping.yaml", rulebook)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (7, "columns.sci.score"),
        (10, "columns.prca.indicator"),
    ]


def test_mapping_and_column_problems_come_together(run_cli, files):
    write(files / "mapping.yaml", MAPPING.replace("score: science", "score: sciense").replace("cplx:", "cmplx:"))
    lines = assert_clean_failure(run_import(run_cli, files))
    assert [line.split(": ")[0] for line in lines] == ["mapping.yaml:7:16", "mapping.yaml:11:3", "error"]
    assert lines[-1] == "error: 2 problems; nothing written"


def test_symbol_indicators_and_na_figures(run_cli, tmp_path, rulebook):
    write(
        tmp_path / "m.yaml",
        "id_column: id\nname_column: name\ncolumns:\n  pat: {indicator: t1_patents}\n  rca: {indicator: patent_rca}\n",
    )
    write(tmp_path / "t.csv", "id,name,pat,rca\nchem,Chemicals,+/-,na\nbad,Bad,3,1\n")
    result = run_cli("import", "t.csv", "--mapping", "m.yaml", "--out", "out", "--skip-bad", cwd=tmp_path)
    assert result.exit_code == 1
    assert 't.csv:3:3: pat: "3" is not a symbol ("++", "+", "+/-", "-", "--", "na") for indicator "t1_patents"' in (
        result.stderr.splitlines()
    )
    chem = loaded(tmp_path / "out" / "chem.yaml")
    assert chem["indicators"]["t1_patents"]["value"] == "+/-"
    assert chem["indicators"]["patent_rca"]["value"] == "na"  # no figure, but its source is kept
    [profile] = load_profiles([tmp_path / "out"], rulebook)
    assert profile.indicators["patent_rca"].value is None
    assert profile.value("technology") == 3  # from the Table 1 symbol alone


def test_semicolon_table_gets_a_hint(run_cli, files):
    write(files / "table.csv", GOOD_CSV.replace(",", ";"))
    lines = assert_clean_failure(run_import(run_cli, files))
    assert lines[0].endswith("; the header holds no comma: the table must be comma-separated")


# --- unreadable tables -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.csv", None, "missing.csv:1:1: table: no such file"),
        ("table.txt", "id,name\n", 'table.txt:1:1: table: unsupported table type ".txt" (expected .csv or .xlsx)'),
        (
            "binary.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
            "binary.csv:1:1: table: cannot read as CSV: not UTF-8 text",
        ),
        ("text.xlsx", b"id,name\nalpha,Alpha\n", "text.xlsx:1:1: table: cannot read as an Excel .xlsx workbook: "),
        ("empty.csv", b"", "empty.csv:1:1: table: the table is empty"),
        ("header.csv", b"id,name,econ\n", "header.csv:1:1: table: the table has no data rows below the header"),
        ("ragged.csv", b"id,name\na,A\nb,B,extra,cells\n", "ragged.csv:1:1: table: cannot read as CSV: "),
        ("folder.csv", "dir", "folder.csv:1:1: table: not a file"),
    ],
)
def test_unreadable_table_is_one_clear_line(run_cli, files, name, content, expected):
    if content == "dir":
        (files / name).mkdir()
    elif isinstance(content, bytes):
        (files / name).write_bytes(content)
    elif content is not None:
        write(files / name, content)
    lines = assert_clean_failure(run_import(run_cli, files, table=name))
    assert len(lines) == 2, lines
    assert lines[0].startswith(expected), lines
    assert lines[1] == "error: 1 problem; nothing written"
    assert not (files / "out").exists()


def test_plan_writes_nothing(files, rulebook):
    plan = plan_import(files / "table.csv", files / "mapping.yaml", rulebook)
    assert [(p.row, p.id) for p in plan.profiles] == [(2, "alpha"), (3, "beta")]
    assert plan.problems == [] and plan.bad_rows == []
    assert sorted(p.name for p in files.iterdir()) == ["mapping.yaml", "table.csv"]


# --- --format json -----------------------------------------------------------------------------

# Each case: the table (None: GOOD_CSV), a file already in out/, extra arguments, the exit
# code (the same as the text output's), and what the JSON object must hold.
JSON_CASES = {
    "all written": (None, None, [], 0, {"ok": True, "ids": ["alpha", "beta"], "bad_rows": [], "problems": 0}),
    "bad rows": (BAD_CSV, None, [], 2, {"ok": False, "ids": [], "bad_rows": [2, 3, 4, 5, 6, 7, 8], "problems": 11}),
    "skip bad": (
        BAD_CSV + "epsilon,Epsilon,4,4,4,4,1.2,60\n",
        None,
        ["--skip-bad"],
        1,
        {"ok": False, "ids": ["epsilon"], "bad_rows": [2, 3, 4, 5, 6, 7, 8], "problems": 11},
    ),
    "bad mapping": (
        None,
        None,
        ["--mapping", "table.csv"],  # given last, it replaces the runner's mapping.yaml
        2,
        {"ok": False, "ids": [], "bad_rows": [], "problems": 1},
    ),
    "target exists": (
        None,
        "beta.yaml",
        [],
        2,
        {"ok": False, "ids": [], "bad_rows": [], "problems": 0, "existing": ["out/beta.yaml"]},
    ),
}


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_json_reports_the_import_with_the_text_exit_code(run_cli, files, case):
    table, existing, args, exit_code, expected = JSON_CASES[case]
    if table is not None:
        write(files / "table.csv", table)
    if existing is not None:
        write(files / "out" / existing, "id: beta\nname: hand-made\n")
    text = run_import(run_cli, files, *args)
    assert text.exit_code == exit_code, text.stderr
    # The text run may have written profiles: start again from the same state.
    for path in (files / "out").glob("*.yaml") if (files / "out").is_dir() else ():
        if path.name != existing:
            path.unlink()
    result = run_import(run_cli, files, *args, "--format", "json")
    assert result.exit_code == exit_code
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert set(data) == {"ok", "table", "mapping", "out", "profiles", "problems", "bad_rows", "existing"}
    assert (data["table"], data["out"]) == ("table.csv", "out")
    assert data["mapping"] == ("table.csv" if "--mapping" in args else "mapping.yaml")
    assert data["ok"] is expected["ok"]
    assert data["profiles"] == [{"id": i, "path": f"out/{i}.yaml"} for i in expected["ids"]]
    assert sorted(p.name for p in (files / "out").glob("*.yaml")) == sorted(
        [f"{i}.yaml" for i in expected["ids"]] + ([existing] if existing else [])
    )
    assert data["bad_rows"] == expected["bad_rows"]
    assert len(data["problems"]) == expected["problems"]
    assert data["existing"] == expected.get("existing", [])


def test_json_problems_are_located_as_in_validate(run_cli, files):
    write(files / "table.csv", BAD_CSV)
    data = json.loads(run_import(run_cli, files, "-f", "json").stdout)
    assert data["problems"][0] == {
        "file": "table.csv",
        "line": 3,
        "column": 1,
        "field": "id",
        "message": "\"Bad Id\" is not an id: a lowercase slug of a-z, 0-9 and '-', starting with a letter or digit",
    }
