"""Participants' score sheets and ``decision workshop``: loading (YAML and CSV), every bad
sheet reported with its file and row, the aggregate checked by hand, and the
disagreements that matter checked against the durable-rules engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decision.analyses.disagreements import analyse_workshop
from decision.engine.bulk import outcome_label
from decision.engine.walk import Engine
from decision.errors import ProfileError
from decision.inputs.profiles import load_profiles
from decision.inputs.sheets import SheetError, load_sheets
from decision.model.result import ScoreValue
from tests.conftest import DOMAINS_DIR, REPO, write
from tests.test_bad_profiles import PROBLEM_LINE, assert_clean_failure

EXAMPLE_SHEETS = REPO / "examples" / "workshop-sheets"
SHIPPED_IDS = sorted(p.stem for p in DOMAINS_DIR.glob("*.yaml"))
HEADER = "id,economic,innovation,technology,science,opportunity,transition,feasibility\n"


@pytest.fixture(scope="module")
def profiles(rulebook):
    return load_profiles([DOMAINS_DIR], rulebook)


@pytest.fixture(scope="module")
def example(rulebook, profiles):
    return load_sheets(EXAMPLE_SHEETS, rulebook, [p.id for p in profiles])


@pytest.fixture(scope="module")
def workshop(rulebook, profiles, example):
    return {d.profile.id: d for d in analyse_workshop(profiles, example, rulebook)}


def label_of(result) -> str:
    return "undetermined" if result.category == "undetermined" else outcome_label(result.category, result.variant)


# --- reading the example sheets ------------------------------------------------------------------


def test_example_sheets_are_read(example):
    assert example.participants == ["an", "bram", "chloe"]
    assert example.domain_ids() == {"biotech", "chemicals", "semiconductors"}
    # chloe.csv writes symbols; an.yaml quotes them; bram leaves feasibility empty.
    chloe = {s.participant: s for s in example.values("semiconductors", "economic")}["chloe"]
    assert (chloe.value, chloe.symbol, chloe.location) == (2.0, "-", "examples/workshop-sheets/chloe.csv:3")
    assert [(s.participant, s.value) for s in example.values("semiconductors", "opportunity")] == [
        ("an", 5.0),
        ("bram", 4.0),
        ("chloe", 5.0),
    ]
    assert [s.participant for s in example.values("semiconductors", "feasibility")] == ["an", "chloe"]
    assert [s.participant for s in example.values("chemicals", "science")] == ["an", "bram"]
    an = example.values("chemicals", "innovation")[0]
    assert (an.participant, an.value, an.symbol) == ("an", 4.0, "+")
    assert an.location == "examples/workshop-sheets/an.yaml:15"


# --- aggregation, checked by hand --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "score", "median", "low", "high", "spread", "count"),
    [
        ("biotech", "economic", 4.0, 3.5, 4.5, 1.0, 3),  # 4, 3.5, 4.5
        ("biotech", "science", 4.0, 4.0, 4.5, 0.5, 3),  # 4, 4.5, 4
        ("biotech", "feasibility", 3.0, 2.0, 3.0, 1.0, 3),  # 3, 3, 2
        ("chemicals", "economic", 4.25, 4.0, 4.5, 0.5, 2),  # 4.5, 4: the mean of the two
        ("chemicals", "opportunity", 2.75, 2.5, 3.0, 0.5, 2),  # 3, 2.5
        ("chemicals", "feasibility", None, None, None, None, 0),  # nobody scored it
        ("semiconductors", "science", 4.0, 3.5, 5.0, 1.5, 3),  # 5, 4, 3.5
        ("semiconductors", "economic", 2.0, 2.0, 2.5, 0.5, 3),  # 2, 2.5, "-" = 2
        ("semiconductors", "feasibility", 3.0, 3.0, 3.0, 0.0, 2),  # 3, (empty), 3
    ],
)
def test_aggregate_values(workshop, domain, score, median, low, high, spread, count):
    found = workshop[domain].aggregates[score]
    assert (found.median, found.minimum, found.maximum, found.spread, found.count) == (median, low, high, spread, count)


def test_the_aggregate_profile_uses_medians_and_keeps_unscored_profile_values(workshop, profiles):
    chemicals = workshop["chemicals"].profile
    assert chemicals.value("economic") == 4.25
    assert chemicals.scores["economic"].origin == "sheets"
    assert chemicals.scores["economic"].note == "median of 2 participants: an 4.5, bram 4"
    shipped = next(p for p in profiles if p.id == "chemicals")
    assert chemicals.scores["feasibility"] == shipped.scores["feasibility"]


def test_the_aggregate_is_classified_and_explained_by_the_engine(workshop):
    assert {d: w.outcome for d, w in workshop.items()} == {
        "biotech": "strong",
        "chemicals": "no-focus/internationalisation",  # opportunity 2.75 < 3
        "semiconductors": "ecosystem-gap",
    }
    semis = workshop["semiconductors"].result
    assert (semis.leaf.code, semis.missing_links) == ("VL05", ["economic"])
    assert [s.outcome for s in semis.path] == ["yes", "yes", "no", "yes", "yes"]


# --- disagreements, checked against the engine -----------------------------------------------------


def test_disagreements_that_matter_and_those_that_do_not(workshop):
    summary = {
        (domain, d.score): [(w.participant, w.value, w.outcome) for w in d.changes]
        for domain, w in workshop.items()
        for d in w.disagreements
    }
    assert summary == {
        ("biotech", "economic"): [("bram", 3.5, "ecosystem-gap")],
        ("biotech", "innovation"): [],  # chloe's 3 fails, but technology 5 carries IT
        ("biotech", "technology"): [],
        ("biotech", "science"): [],
        ("biotech", "opportunity"): [],
        ("biotech", "transition"): [],  # chloe's 3 still passes (>= 3)
        ("biotech", "feasibility"): [],  # feasibility never changes the category
        ("chemicals", "economic"): [],
        ("chemicals", "technology"): [],
        ("chemicals", "science"): [],  # no growth at the median, so science is never read
        ("chemicals", "opportunity"): [("an", 3.0, "ecosystem-gap")],
        ("semiconductors", "economic"): [],
        ("semiconductors", "innovation"): [],
        ("semiconductors", "technology"): [],
        ("semiconductors", "science"): [("chloe", 3.5, "moonshot")],
        ("semiconductors", "opportunity"): [],
    }
    assert "transition" not in {d.score for d in workshop["semiconductors"].disagreements}  # all said 4


def test_every_what_if_agrees_with_the_engine(workshop, rulebook):
    engine = Engine(rulebook)
    checked = 0
    for domain in workshop.values():
        for disagreement in domain.disagreements:
            for what_if in disagreement.what_ifs:
                scores = {**domain.profile.scores, disagreement.score: ScoreValue(value=what_if.value)}
                result = engine.classify(domain.profile.model_copy(update={"scores": scores}))
                assert label_of(result) == what_if.outcome
                assert (result.leaf.code if result.leaf else None) == what_if.leaf
                checked += 1
    assert checked == 44


def test_workshop_json(run_cli):
    result = run_cli("workshop", "--sheets", "examples/workshop-sheets", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["participants"] == ["an", "bram", "chloe"]
    biotech = data["domains"][0]
    assert (biotech["id"], biotech["outcome"]) == ("biotech", "strong")
    assert biotech["scores"]["economic"] == {
        "median": 4.0,
        "min": 3.5,
        "max": 4.5,
        "spread": 1.0,
        "participants": 3,
        "values": {"an": 4.0, "bram": 3.5, "chloe": 4.5},
        "used": 4.0,
    }
    economic = next(d for d in biotech["disagreements"] if d["score"] == "economic")
    assert economic["matters"] is True
    assert [w["participant"] for w in economic["what_ifs"] if w["changes"]] == ["bram"]
    assert biotech["result"]["category"] == "strong"
    assert biotech["result"]["scores"]["economic"]["origin"] == "sheets"


def test_workshop_threshold_override_changes_what_matters(run_cli):
    result = run_cli("workshop", "--sheets", "examples/workshop-sheets", "-f", "json", "--threshold", "economic=3.5")
    biotech = json.loads(result.stdout)["domains"][0]
    economic = next(d for d in biotech["disagreements"] if d["score"] == "economic")
    assert economic["matters"] is False  # bram's 3.5 now passes too


def test_workshop_needs_sheets(run_cli):
    result = run_cli("workshop")
    assert result.exit_code == 2
    assert "--sheets" in result.stderr


# --- bad sheets: one located line each, exit 2, never a traceback ----------------------------------


def sheet_errors(run_cli, folder: Path, *paths, command: str = "workshop") -> list[str]:
    lines = assert_clean_failure(run_cli(command, "--sheets", folder, *paths))
    for line in lines[:-1]:
        assert PROBLEM_LINE.match(line), line
    count = len(lines) - 1
    assert lines[-1] == f"error: {count} {'problem' if count == 1 else 'problems'} in the sheets"
    return lines[:-1]


def test_a_column_twice_and_an_empty_column_name(tmp_path, run_cli):
    folder = tmp_path / "sheets"
    path = write(folder / "ann.csv", "id,science,,science\nbiotech,4,,4\n")
    assert sheet_errors(run_cli, folder) == [
        f"{path}:1:3: header: an empty column name (known: economic, innovation, technology, science, "
        "opportunity, transition, feasibility; descriptive columns such as name or comment are read past)",
        f'{path}:1:4: science: column "science" appears twice (first in column 2)',
    ]


def test_bad_cells(tmp_path, run_cli):
    folder = tmp_path / "sheets"
    path = write(
        folder / "ann.csv",
        "id,economic,sciense,science\n"  # 1
        "biotech,4,1,high\n"  # 2
        "pharma,7,1,4\n"  # 3
        'hpc,nan,1,"4,5"\n'  # 4
        "metals,4,1\n"  # 5
        ",4,1,4\n"  # 6
        "Food,4,1,4\n",  # 7
    )
    symbols = '("++", "+", "+/-", "-", "--", "na")'
    assert sheet_errors(run_cli, folder) == [
        f'{path}:1:3: sciense: unknown score column "sciense"; did you mean "science"? (known: economic, '
        "innovation, technology, science, opportunity, transition, feasibility; descriptive columns such as name "
        "or comment are read past)",
        f'{path}:2:4: science: "high" is not a number 0-5 or a symbol {symbols}',
        f"{path}:3:2: economic: 7 is outside the scale 0-5",
        f'{path}:4:2: economic: "nan" is not a finite number',
        f'{path}:4:4: science: "4,5" is not a number 0-5 or a symbol {symbols}; use a decimal point, not a comma',
        f"{path}:5:1: row: the row has 3 cells, the header 4",
        f"{path}:6:1: id: the id is empty",
        f'{path}:7:1: id: "Food" is not an id (a lowercase slug)',
    ]


def test_duplicate_ids_within_a_sheet(tmp_path, run_cli):
    folder = tmp_path / "sheets"
    csv_path = write(folder / "ann.csv", "id,science\nbiotech,4\n\npharma,5\nbiotech,3\n")
    yaml_path = write(
        folder / "bob.yaml",
        "domains:\n  - id: hpc\n    scores: {science: 2}\n  - id: hpc\n    scores: {science: 3}\n",
    )
    assert sheet_errors(run_cli, folder) == [
        f'{csv_path}:5:1: id: duplicate id "biotech" in this sheet (first at line 2)',
        f'{yaml_path}:4:9: id: duplicate id "hpc" in this sheet (first at line 2)',
    ]


def test_sheets_that_disagree_with_the_profiles_on_ids(tmp_path, run_cli):
    folder = tmp_path / "sheets"
    ann = write(folder / "ann.csv", "id,science\nbiotech,4\nsemiconductor,5\n")
    bob = write(folder / "bob.yaml", "id: quantum\nscores: {science: 2}\n")
    known = ", ".join(SHIPPED_IDS)
    assert sheet_errors(run_cli, folder) == [
        f'{ann}:3:1: id: unknown domain id "semiconductor": no profile read has it (did you mean "semiconductors"? '
        f"known: {known})",
        f'{bob}:1:5: id: unknown domain id "quantum": no profile read has it (known: {known})',
    ]


def test_an_id_scored_in_a_sheet_but_absent_from_the_profiles_given(run_cli):
    # The example sheets score biotech, chemicals and semiconductors; give only biotech.
    lines = sheet_errors(run_cli, EXAMPLE_SHEETS, "domains/biotech.yaml")
    assert [(PROBLEM_LINE.match(line)["file"], PROBLEM_LINE.match(line)["line"]) for line in lines] == [
        ("examples/workshop-sheets/an.yaml", "12"),
        ("examples/workshop-sheets/an.yaml", "20"),
        ("examples/workshop-sheets/bram.csv", "3"),
        ("examples/workshop-sheets/bram.csv", "4"),
        ("examples/workshop-sheets/chloe.csv", "3"),
    ]
    assert all("no profile read has it (" in line and "known: biotech)" in line for line in lines)


@pytest.mark.parametrize("command", ["workshop", "robustness"])
def test_unreadable_sheets(tmp_path, run_cli, command):
    folder = tmp_path / "sheets"
    (folder / "a-binary.csv").parent.mkdir(parents=True)
    (folder / "a-binary.csv").write_bytes(b"PK\x03\x04\x00\x00binary spreadsheet")
    (folder / "b-latin1.csv").write_bytes("id,science\ncaf\xe9,4\n".encode("latin-1"))
    write(folder / "c-quotes.csv", 'id,science\nbiotech,"4"x\n')
    write(folder / "d-empty.csv", "\n\n")
    write(folder / "e-semicolons.csv", "id;science\nbiotech;4\n")
    write(folder / "f-yaml.yaml", "domains: [\n")
    write(folder / "g-notes.txt", "remember the coffee\n")  # a note: read past
    write(folder / "g-slides.pptx", "not a sheet\n")
    write(folder / "h-header-only.csv", "id,science\n")
    write(folder / "i-first.csv", "science,id\n4,biotech\n")
    lines = sheet_errors(run_cli, folder, command=command)
    found = [(Path(m["file"]).name, int(m["line"]), m["field"], m["message"]) for m in map(PROBLEM_LINE.match, lines)]
    assert found == [
        ("a-binary.csv", 1, "file", "not a text file (it holds binary data)"),
        ("b-latin1.csv", 1, "file", "not UTF-8 text (invalid continuation byte)"),
        ("c-quotes.csv", 2, "csv", "not readable as CSV: ',' expected after '\"'"),
        ("d-empty.csv", 1, "file", "empty sheet: expected a header id,<score>,..."),
        ("f-yaml.yaml", 2, "yaml", "while parsing a flow node: did not find expected node content"),
        (
            "g-slides.pptx",
            1,
            "file",
            "not a sheet: a sheets folder holds .yaml, .yml, .csv or .xlsx sheets (and notes: README, .md, .txt)",
        ),
        ("h-header-only.csv", 1, "file", "the sheet scores no domain"),
        ("i-first.csv", 1, "id", 'the first column must be "id", got "science"'),
    ]


def test_yaml_sheets_refuse_ranges_factors_and_unknown_scores(tmp_path, run_cli):
    folder = tmp_path / "sheets"
    path = write(
        folder / "ann.yaml",
        "id: biotech\n"
        "scores:\n"
        "  science: {value: 4, low: 3, high: 5}\n"  # 3
        "  sciense: 4\n"  # 4
        "feasibility_factors:\n"  # 5
        "  talent: 2\n",
    )
    assert sheet_errors(run_cli, folder) == [
        f'{path}:3:28: scores.science.low: "low" is not allowed here: a participant\'s sheet gives one value per '
        "score, not a range",
        f'{path}:4:3: scores.sciense: unknown score "sciense"; did you mean "science"? (known: economic, '
        "innovation, technology, science, opportunity, transition, feasibility)",
        f"{path}:5:1: feasibility_factors: a sheet holds scores only: give feasibility as a score, not as factors",
    ]


def test_two_sheets_for_one_participant_and_missing_folders(tmp_path, run_cli):
    folder = tmp_path / "sheets"
    write(folder / "ann.csv", "id,science\nbiotech,4\n")
    second = write(folder / "ann.yaml", "id: pharma\nscores: {science: 5}\n")
    assert sheet_errors(run_cli, folder) == [
        f'{second}:1:1: file: participant "ann" already has a sheet ({folder / "ann.csv"})'
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    write(empty / ".hidden.csv", "ignored\n")
    assert sheet_errors(run_cli, empty) == [f"{empty}:1:1: sheets: folder holds no .yaml, .yml or .csv sheet"]
    assert sheet_errors(run_cli, tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'}:1:1: sheets: no such folder (--sheets expects a folder of sheets)"
    ]


def test_na_and_empty_cells_mean_not_scored(tmp_path, rulebook):
    folder = tmp_path / "sheets"
    write(folder / "ann.csv", "id,science,economic\nbiotech,na,\n")
    write(folder / "bob.yaml", "id: biotech\nname: Biotech (ignored)\nscores: {science: na, economic: '+'}\n")
    sheets = load_sheets(folder, rulebook, ["biotech"])
    assert sheets.values("biotech", "science") == []
    assert [(s.participant, s.value) for s in sheets.values("biotech", "economic")] == [("bob", 4.0)]


def test_sheet_errors_are_profile_errors_for_the_library(tmp_path, rulebook):
    write(tmp_path / "ann.csv", "id,science\nnope,4\n")
    with pytest.raises(SheetError) as caught:
        load_sheets(tmp_path, rulebook, ["biotech"])
    assert isinstance(caught.value, ProfileError)
    assert [p.field for p in caught.value.problems] == ["id"]


# --- sheets as people make them -----------------------------------------------------------

SCORES = {"biotech": {"economic": 3.5, "science": 4.5}, "pharma": {"economic": 5, "technology": 2}}


def _xlsx(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


SHEET_FORMS = {
    "comma-csv": lambda f: write(f / "an.csv", "id,economic,science,technology\nbiotech,3.5,4.5,\npharma,5,,2\n"),
    "semicolon-csv-decimal-commas": lambda f: write(
        f / "an.csv", "id;economic;science;technology\nbiotech;3,5;4,5;\npharma;5;;2\n"
    ),
    "descriptive-columns": lambda f: write(
        f / "an.csv",
        "ID,name,economic,science,technology,comment\n"
        'biotech,Biotechnology,3.5,4.5,,"unsure, ask Bram"\npharma,Pharma,5,,2,\n',
    ),
    "xlsx": lambda f: _xlsx(
        f / "an.xlsx",
        [
            ["id", "name", "economic", "science", "technology"],
            ["biotech", "Bio", 3.5, 4.5],
            ["pharma", None, 5, None, 2],
        ],
    ),
    "yaml-with-a-readme-beside": lambda f: (
        write(f / "README.md", "# Sheets of the 3 May workshop\n"),
        write(f / "notes.txt", "coffee at ten\n"),
        write(
            f / "an.yaml",
            "domains:\n  - {id: biotech, scores: {economic: 3.5, science: 4.5}}\n"
            "  - {id: pharma, scores: {economic: 5, technology: 2}}\n",
        ),
    ),
}


@pytest.mark.parametrize("form", sorted(SHEET_FORMS))
def test_every_form_of_a_sheet_reads_the_same(rulebook, tmp_path, form):
    folder = tmp_path / "sheets"
    folder.mkdir()
    SHEET_FORMS[form](folder)
    loaded = load_sheets(folder, rulebook, SHIPPED_IDS)
    assert loaded.participants == ["an"]
    given = {d: {n: e.value for n, e in scores.items()} for d, scores in loaded.sheets[0].scores.items()}
    assert given == SCORES


def test_a_semicolon_sheet_still_refuses_a_bad_cell_where_it_stands(tmp_path, run_cli):
    folder = tmp_path / "sheets"
    path = write(folder / "an.csv", "id;economic\nbiotech;3,5\npharma;3.5.1\n")
    [line] = sheet_errors(run_cli, folder)
    assert line.startswith(f'{path}:3:2: economic: "3.5.1" is not a number 0-5')


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_blank_template_comes_back_as_a_sheet(rulebook, tmp_path, run_cli, suffix):
    out = tmp_path / f"blank{suffix}"
    result = run_cli("workshop", "template", "--out", out)
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "sheets"
    folder.mkdir()
    if suffix == ".csv":
        lines = out.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "id,name," + ",".join(rulebook.scores) + ",comment"
        assert [line.split(",")[0] for line in lines[1:]] == SHIPPED_IDS
        filled = [lines[0]] + [
            line.replace(",,,,,,,,", ",4,,,,,,,") if line.startswith("biotech,") else line for line in lines[1:]
        ]
        write(folder / "an.csv", "\n".join(filled) + "\n")
    else:
        from openpyxl import load_workbook

        workbook = load_workbook(out)
        sheet = workbook["scores"]
        assert [c.value for c in sheet[1]] == ["id", "name", *rulebook.scores, "comment"]
        row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "biotech")
        row[2].value = 4
        workbook.save(folder / "an.xlsx")
        assert "how to score" in workbook.sheetnames
    loaded = load_sheets(folder, rulebook, SHIPPED_IDS)
    assert {d: {n: e.value for n, e in s.items()} for d, s in loaded.sheets[0].scores.items() if s} == {
        "biotech": {"economic": 4.0}
    }


def test_the_template_neutralises_names_a_spreadsheet_would_run(rulebook, tmp_path, run_cli):
    write(tmp_path / "d" / "x.yaml", "id: x\nname: '=HYPERLINK(\"http://evil\")'\n")
    result = run_cli("workshop", "template", tmp_path / "d")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("x,\"'=HYPERLINK(")


def test_workshop_without_sheets_says_what_to_give(run_cli):
    result = run_cli("workshop")
    assert result.exit_code == 2
    assert "give --sheets DIR" in result.stderr and "decision workshop template" in result.stderr
