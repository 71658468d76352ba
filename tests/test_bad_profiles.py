"""Bad domain profiles: every problem is found, located (file:line:col: field: message) and
reported together, through the library and through ``decision validate`` / ``classify``.

Every input is written under pytest's tmp_path; the shipped domains are never touched.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from decision.engine.walk import classify_all
from decision.errors import Problem, ProfileError
from decision.inputs import yaml_source
from decision.inputs.profiles import load_profiles
from tests.conftest import RULES_DIR, write

HEAD = "id: demo\nname: Demo\n"  # lines 1-2 of most test profiles
KNOWN_SCORES = ("economic", "innovation", "technology", "science", "opportunity", "transition", "feasibility")
KNOWN_FACTORS = ("talent", "energy", "space", "regulation", "infrastructure")
PROBLEM_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<field>[\w.-]+): (?P<message>.+)$")


def problems_of(paths: list[Path], rulebook) -> list[Problem]:
    """The problems load_profiles reports for ``paths`` (it must refuse them)."""
    with pytest.raises(ProfileError) as caught:
        load_profiles(paths, rulebook)
    assert caught.value.problems, "ProfileError without problems"
    return caught.value.problems


def only_problem(path: Path, rulebook) -> Problem:
    problems = problems_of([path], rulebook)
    assert len(problems) == 1, [p.render() for p in problems]
    return problems[0]


def assert_clean_failure(result, *, exit_code: int = 2) -> list[str]:
    """A refused run: the exit code, no traceback, nothing on stdout; returns stderr lines."""
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    return result.stderr.splitlines()


# --- unknown names ---------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path, rulebook):
    path = write(tmp_path / "p.yaml", HEAD + "colour: red\n")
    problem = only_problem(path, rulebook)
    assert (problem.file, problem.line, problem.column, problem.field) == (str(path), 3, 1, "colour")
    assert problem.message == 'unknown field "colour"'


def test_unknown_score_name_points_at_the_key_and_lists_known_scores(tmp_path, rulebook):
    path = write(tmp_path / "p.yaml", HEAD + "scores:\n  economic: 3\n  sciense: 4\n")
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.column, problem.field) == (5, 3, "scores.sciense")
    assert problem.message.startswith('unknown score "sciense"')
    for name in KNOWN_SCORES:
        assert name in problem.message


def test_unknown_key_inside_a_score_mapping(tmp_path, rulebook):
    path = write(tmp_path / "p.yaml", HEAD + "scores:\n  science:\n    value: 4\n    valeu: 4\n")
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.column, problem.field) == (6, 5, "scores.science.valeu")
    assert 'unknown field "valeu"' in problem.message
    assert "value, source, note, assumption" in problem.message


def test_score_mapping_without_value(tmp_path, rulebook):
    path = write(tmp_path / "p.yaml", HEAD + "scores:\n  science:\n    source: a report\n")
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.field) == (5, "scores.science")
    assert 'needs a "value"' in problem.message


def test_unknown_feasibility_factor_lists_known_factors(tmp_path, rulebook):
    path = write(tmp_path / "p.yaml", HEAD + "feasibility_factors:\n  talent: 3\n  money: 2\n")
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.column, problem.field) == (5, 3, "feasibility_factors.money")
    assert problem.message.startswith('unknown feasibility factor "money"')
    for name in KNOWN_FACTORS:
        assert name in problem.message


# --- bad score values ------------------------------------------------------------------

HUGE = "9" * 400  # an integer no float can hold


@pytest.mark.parametrize(
    ("text", "column", "field", "fragment"),
    [
        ("-1", 12, "scores.science", "score -1 is outside the scale 0-5"),
        ("5.5", 12, "scores.science", "score 5.5 is outside the scale 0-5"),
        (HUGE, 12, "scores.science", "is outside the scale 0-5"),
        (".nan", 12, "scores.science", "score must be a finite number, got nan"),
        (".inf", 12, "scores.science", "score must be a finite number, got inf"),
        ("-.inf", 12, "scores.science", "score must be a finite number, got -inf"),
        ("true", 12, "scores.science", "got true"),
        ("[1, 2]", 12, "scores.science", "got list"),
        ("2024-01-01", 12, "scores.science", "got date"),
        ("!!binary aGk=", 12, "scores.science", "got bytes"),
        ("high", 12, "scores.science", 'unknown symbol "high"'),
        ('"4"', 12, "scores.science", '"4" is a number in quotes, which reads as text: write 4 without the quotes'),
        ("3,5", 12, "scores.science", 'decimal comma in "3,5": write the decimal with a point, 3.5'),
        ("'+++'", 12, "scores.science", 'unknown symbol "+++"'),
        ("{value: 9}", 20, "scores.science.value", "score 9 is outside the scale 0-5"),
        ("{value: '+++'}", 20, "scores.science.value", 'unknown symbol "+++"'),
        ("{value: 3, source: 5}", 23, "scores.science.source", '"source" must be text'),
        ("{value: 3, assumption: maybe}", 23, "scores.science.assumption", '"assumption" must be true or false'),
    ],
)
def test_bad_score_value(tmp_path, rulebook, text, column, field, fragment):
    path = write(tmp_path / "p.yaml", HEAD + f"scores:\n  science: {text}\n")
    problem = only_problem(path, rulebook)
    assert (problem.file, problem.line, problem.column, problem.field) == (str(path), 4, column, field)
    assert fragment in problem.message
    if "symbol" in fragment:
        assert '"++", "+", "+/-", "-", "--", "na"' in problem.message


def test_every_bad_score_of_a_file_is_reported(tmp_path, rulebook):
    path = write(
        tmp_path / "p.yaml",
        HEAD
        + "scores:\n"
        + "  economic: -1\n"  # 4
        + "  innovation: 5.5\n"  # 5
        + "  technology: .nan\n"  # 6
        + "  science: true\n"  # 7
        + "  opportunity: '+++'\n"  # 8
        + "  sciense: 3\n"  # 9
        + "feasibility_factors:\n"
        + "  money: 2\n"  # 11
        + "colour: red\n",  # 12
    )
    problems = problems_of([path], rulebook)
    assert [(p.line, p.field) for p in problems] == [
        (4, "scores.economic"),
        (5, "scores.innovation"),
        (6, "scores.technology"),
        (7, "scores.science"),
        (8, "scores.opportunity"),
        (9, "scores.sciense"),
        (11, "feasibility_factors.money"),
        (12, "colour"),
    ]


@pytest.mark.parametrize(
    ("text", "value", "symbol"),
    [
        ("'++'", 5.0, "++"),
        ("'+'", 4.0, "+"),
        ("'+/-'", 3.0, "+/-"),
        ("'-'", 2.0, "-"),
        ("'--'", 1.0, "--"),
        ("na", None, "na"),
        ("++", 5.0, "++"),  # plain (unquoted) forms that YAML allows
        ("+/-", 3.0, "+/-"),
        ("--", 1.0, "--"),
        ("0", 0.0, None),
        ("5", 5.0, None),
        ("3", 3.0, None),
        ("2.5", 2.5, None),
    ],
)
@pytest.mark.parametrize("form", ["plain", "mapping"])
def test_accepted_score_values(tmp_path, rulebook, text, value, symbol, form):
    score = text if form == "plain" else f"{{value: {text}, source: a report}}"
    path = write(tmp_path / "p.yaml", HEAD + f"scores:\n  science: {score}\n")
    [profile] = load_profiles([path], rulebook)
    entry = profile.scores["science"]
    assert entry.value == value
    assert entry.symbol == symbol
    assert profile.value("science") == value
    assert entry.source == (None if form == "plain" else "a report")


# --- identity ----------------------------------------------------------------------------


def test_missing_id_and_missing_name(tmp_path, rulebook):
    no_id = write(tmp_path / "a.yaml", "name: Demo\n")
    no_name = write(tmp_path / "b.yaml", "# a comment\nid: demo\n")
    problems = problems_of([no_id, no_name], rulebook)
    assert [(p.file, p.field, p.message) for p in problems] == [
        (str(no_id), "id", "required field is missing"),
        (str(no_name), "name", "required field is missing"),
    ]


@pytest.mark.parametrize("bad_id", ["Demo", "my domain", "-demo", "demo_1", "démo"])
def test_bad_id_format(tmp_path, rulebook, bad_id):
    path = write(tmp_path / "p.yaml", f"name: Demo\nid: '{bad_id}'\n")
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.column, problem.field) == (2, 5, "id")
    assert "lowercase slug" in problem.message


def test_empty_name_is_refused(tmp_path, rulebook):
    path = write(tmp_path / "p.yaml", "id: demo\nname: ''\n")
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.field) == (2, "name")


def test_duplicate_id_within_one_domains_list(tmp_path, rulebook):
    path = write(
        tmp_path / "many.yaml",
        "domains:\n  - id: a\n    name: A\n  - id: b\n    name: B\n  - id: a\n    name: A again\n",
    )
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.column, problem.field) == (6, 9, "id")
    assert problem.message == f'duplicate id "a" (first in {path}:2)'


def test_duplicate_id_across_two_files_names_the_first(tmp_path, rulebook):
    first = write(tmp_path / "a.yaml", "id: same\nname: First\n")
    second = write(tmp_path / "b.yaml", "# second file\nname: Second\nid: same\n")
    problem = only_problem(tmp_path, rulebook)
    assert (problem.file, problem.line, problem.column, problem.field) == (str(second), 3, 5, "id")
    assert problem.message == f'duplicate id "same" (first in {first}:1)'


# --- YAML-level problems -------------------------------------------------------------------

BILLION_LAUGHS = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        (HEAD + "scores:\n  science: [1, 2\n  economic: 3\n", 5, 11, "expected ',' or ']'"),
        (HEAD + "scores:\n  science: 3\n  economic: 2\n  science: 4\n", 6, 3, 'duplicate key "science"'),
        (HEAD + "scores:\n  science: &s 3\n  economic: *s\n", 4, 12, "anchors (&s) are not allowed"),
        (HEAD + "scores:\n  <<: {science: 3}\n", 4, 3, "merge keys (<<) are not allowed"),
        (HEAD + "scores:\n  science: !!python/name:os.system ''\n", 4, 12, "python/name:os.system"),
        (
            HEAD + "scores:\n  science: !!python/object/apply:os.system ['echo pwned']\n",
            4,
            12,
            "python/object/apply:os.system",
        ),
        ("!!python/object/apply:os.system ['echo pwned']\n", 1, 1, "python/object/apply:os.system"),
        (HEAD + "scores: !!python/object:collections.OrderedDict {science: 3}\n", 3, 9, "python/object"),
        (HEAD + "scores: !!set {science}\n", 3, 9, "tag:yaml.org,2002:set"),
        (HEAD + "scores:\n  science: !custom 3\n", 4, 12, "!custom"),
        (HEAD + "? [a]\n: 1\n", 3, 3, "mapping keys must be plain text"),
        (HEAD + "scores: " + "[" * 200 + "]" * 200 + "\n", 3, 58, "nested more than"),
        (HEAD + "\tscores: {}\n", 3, 1, "tab"),
        # Scalars PyYAML resolves but cannot build: refused where they stand, not a crash.
        (HEAD + "as_of: 2023-02-30\n", 3, 8, '"2023-02-30" is not a valid date (quote it to keep it as text)'),
        (HEAD + "scores:\n  science: !!timestamp abc\n", 4, 12, '"abc" is not a valid date'),
        (HEAD + 'scores:\n  science: !!int ""\n', 4, 12, '"" is not a valid whole number'),
        (HEAD + "scores:\n  science: !!float abc\n", 4, 12, '"abc" is not a valid number'),
        (HEAD + "scores:\n  science: !!bool maybe\n", 4, 12, '"maybe" is not true or false'),
        (HEAD + "scores:\n  science: " + "9" * 4301 + "\n", 4, 12, "is not a valid whole number"),
        # The commonest slips, in plain words with the fix.
        (
            HEAD + "scores:\n  economic: -\n  science: 4\n",
            4,
            13,
            'a value starting with "-" reads as a list item; put the symbol in quotes: "-"',
        ),
        (HEAD + "scores:\n\teconomic: 4\n", 4, 1, "a tab character: YAML indents with spaces only"),
        (HEAD + 'description: "open\nscores:\n  economic: 3\n', 3, 14, "this quote is never closed"),
        ("id: x\nname: X: the sequel\n", 2, 8, 'a ": " inside a value: put the whole value in quotes'),
    ],
    ids=[
        "syntax",
        "duplicate-key",
        "anchor-alias",
        "merge-key",
        "python-name-tag",
        "python-apply-tag-on-sequence",
        "python-apply-tag-at-top",
        "python-object-tag-on-mapping",
        "set-tag",
        "custom-tag",
        "complex-key",
        "deep-nesting",
        "tab-indent",
        "impossible-date",
        "bad-timestamp-tag",
        "empty-int-tag",
        "bad-float-tag",
        "bad-bool-tag",
        "4301-digit-integer",
        "unquoted-minus-symbol",
        "tab-before-a-key",
        "unclosed-quote",
        "colon-in-a-value",
    ],
)
def test_yaml_problem_is_located(tmp_path, rulebook, text, line, column, fragment):
    path = write(tmp_path / "p.yaml", text)
    problem = only_problem(path, rulebook)
    assert (problem.file, problem.line, problem.column, problem.field) == (str(path), line, column, "yaml")
    assert fragment in problem.message


def test_a_date_where_a_number_belongs_is_one_clear_problem(tmp_path, rulebook):
    path = write(tmp_path / "p.yaml", HEAD + "scores:\n  science: 2024-01-31\n")
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.field) == (4, "scores.science")
    assert problem.message.endswith("got date")


def test_python_tags_are_never_executed(tmp_path, rulebook):
    marker = tmp_path / "pwned"
    path = write(
        tmp_path / "p.yaml",
        f"id: demo\nname: Demo\nscores:\n  science: !!python/object/apply:os.system ['touch {marker}']\n",
    )
    problems_of([path], rulebook)
    assert not marker.exists()


def test_billion_laughs_fails_fast_at_the_first_anchor(tmp_path, rulebook):
    path = write(tmp_path / "bomb.yaml", BILLION_LAUGHS)
    started = time.perf_counter()
    problem = only_problem(path, rulebook)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5
    assert (problem.line, problem.column, problem.field) == (1, 4, "yaml")
    assert "anchors (&a) are not allowed" in problem.message


def test_non_utf8_bytes(tmp_path, rulebook):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: cafe\nname: Café\n".encode("latin-1"))
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.field) == (1, "file")
    assert "not UTF-8" in problem.message


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "- id: a\n  name: A\n", "just a sentence\n", "42\n"],
    ids=["empty", "comment-only", "list", "string", "number"],
)
def test_top_level_must_be_a_mapping(tmp_path, rulebook, text):
    path = write(tmp_path / "p.yaml", text)
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.column, problem.field) == (1, 1, "file")
    assert "expected a domain mapping or a 'domains:' list" in problem.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("domains: []\n", "at least 1 item"),
        ("domains: 3\n", "expected a list (- item lines, or [a, b]), got the number 3"),
        ("domains:\n  - 5\n", "expected a mapping (key: value lines), got the number 5"),
    ],
)
def test_bad_domains_list(tmp_path, rulebook, text, message):
    path = write(tmp_path / "p.yaml", text)
    problem = only_problem(path, rulebook)
    assert problem.field.startswith("domains")
    assert message in problem.message


def test_file_over_the_size_limit(tmp_path, rulebook, monkeypatch):
    path = write(tmp_path / "p.yaml", HEAD + "scores:\n  science: 4\n")
    size = path.stat().st_size
    monkeypatch.setattr(yaml_source, "MAX_FILE_BYTES", size - 1)
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.column, problem.field) == (1, 1, "file")
    assert problem.message == f"file is {size} bytes; the limit is {size - 1}"
    monkeypatch.setattr(yaml_source, "MAX_FILE_BYTES", size)
    assert [p.id for p in load_profiles([path], rulebook)] == ["demo"]


def test_file_over_the_size_limit_via_cli(tmp_path, run_cli, monkeypatch):
    # The limit applies to the rules files too: keep it just above the largest of them.
    limit = max(path.stat().st_size for path in RULES_DIR.glob("*.yaml")) + 1
    path = write(tmp_path / "p.yaml", HEAD + "# padding\n" * (limit // 10 + 1))
    monkeypatch.setattr(yaml_source, "MAX_FILE_BYTES", limit)
    lines = assert_clean_failure(run_cli("validate", path))
    assert lines == [
        f"{path}:1:1: file: file is {path.stat().st_size} bytes; the limit is {limit}",
        "error: 1 problem in the profiles",
    ]


# --- paths -------------------------------------------------------------------------------


def test_nonexistent_path_and_folder_without_yaml(tmp_path, rulebook):
    missing = tmp_path / "nope.yaml"
    empty = tmp_path / "empty"
    write(empty / "notes.txt", "id: demo\n")
    problems = problems_of([missing, empty], rulebook)
    assert [p.render() for p in problems] == [
        f"{empty}:1:1: path: folder holds no .yaml or .yml file",
        f"{missing}:1:1: path: no such file or folder",
    ]


@pytest.mark.parametrize("command", ["validate", "classify"])
def test_nonexistent_path_via_cli(tmp_path, run_cli, command):
    lines = assert_clean_failure(run_cli(command, tmp_path / "nope.yaml"))
    assert lines == [f"{tmp_path / 'nope.yaml'}:1:1: path: no such file or folder", "error: 1 problem in the profiles"]


@pytest.mark.parametrize("command", ["validate", "classify"])
def test_folder_without_yaml_via_cli(tmp_path, run_cli, command):
    write(tmp_path / "readme.md", "# nothing here\n")
    lines = assert_clean_failure(run_cli(command, tmp_path))
    assert lines == [f"{tmp_path}:1:1: path: folder holds no .yaml or .yml file", "error: 1 problem in the profiles"]


def test_yml_files_in_a_folder_are_read(tmp_path, rulebook):
    write(tmp_path / "a.yml", "id: a\nname: A\n")
    write(tmp_path / "b.yaml", "id: b\nname: B\n")
    write(tmp_path / "c.txt", "not: a profile\n")
    assert [p.id for p in load_profiles([tmp_path], rulebook)] == ["a", "b"]


# --- a folder with many bad files, through the CLI ------------------------------------------


def bad_folder(tmp_path: Path) -> tuple[Path, list[tuple[str, int, str]]]:
    """A folder of bad (and one good) profiles, and the (file, line, field) of each problem."""
    folder = tmp_path / "profiles"
    write(folder / "a-scores.yaml", HEAD + "scores:\n  sciense: 4\n  economic: 7\n")
    write(folder / "b-syntax.yaml", HEAD + "scores:\n  science: [1, 2\n  economic: 3\n")
    write(folder / "c-no-name.yaml", "id: nameless\n")
    write(folder / "d-tag.yaml", HEAD.replace("demo", "d") + "scores: !!python/object/apply:os.system ['ls']\n")
    (folder / "e-latin1.yaml").write_bytes("id: e\nname: Café\n".encode("latin-1"))
    write(folder / "f-list.yml", "- id: f\n")
    write(folder / "g-good.yaml", "id: good\nname: Good\nscores:\n  science: 4\n")
    write(folder / "h-dup.yaml", "id: good\nname: Good again\n")
    expected = [
        ("a-scores.yaml", 4, "scores.sciense"),
        ("a-scores.yaml", 5, "scores.economic"),
        ("b-syntax.yaml", 5, "yaml"),
        ("c-no-name.yaml", 1, "name"),
        ("d-tag.yaml", 3, "yaml"),
        ("e-latin1.yaml", 1, "file"),
        ("f-list.yml", 1, "file"),
        ("h-dup.yaml", 1, "id"),
    ]
    return folder, expected


def test_every_problem_of_every_file_is_reported_by_the_library(tmp_path, rulebook):
    folder, expected = bad_folder(tmp_path)
    problems = problems_of([folder], rulebook)
    assert [(Path(p.file).name, p.line, p.field) for p in problems] == expected


@pytest.mark.parametrize("command", ["validate", "classify"])
def test_every_problem_of_every_file_is_reported_by_the_cli(tmp_path, run_cli, command):
    folder, expected = bad_folder(tmp_path)
    lines = assert_clean_failure(run_cli(command, folder))
    assert lines[-1] == f"error: {len(expected)} problems in the profiles"
    found = []
    for line in lines[:-1]:
        match = PROBLEM_LINE.match(line)
        assert match, f"not a file:line:col: field: message line: {line!r}"
        assert match["file"].startswith(str(folder))
        found.append((Path(match["file"]).name, int(match["line"]), match["field"]))
    assert found == expected
    assert f'duplicate id "good" (first in {folder / "g-good.yaml"}:1)' in lines[-2]


@pytest.mark.parametrize("command", ["validate", "classify"])
def test_unknown_score_via_cli(tmp_path, run_cli, command):
    path = write(tmp_path / "p.yaml", HEAD + "scores:\n  sciense: 4\n")
    lines = assert_clean_failure(run_cli(command, path))
    known = ", ".join(KNOWN_SCORES)
    assert lines == [
        f'{path}:4:3: scores.sciense: unknown score "sciense"; did you mean "science"? (known: {known})',
        "error: 1 problem in the profiles",
    ]


@pytest.mark.parametrize("command", ["validate", "classify"])
def test_bad_values_via_cli(tmp_path, run_cli, command):
    path = write(tmp_path / "p.yaml", HEAD + "scores:\n  science: '+++'\n  economic: .nan\n  innovation: -1\n")
    lines = assert_clean_failure(run_cli(command, path))
    assert lines[0].startswith(f'{path}:4:12: scores.science: unknown symbol "+++"')
    assert lines[1] == f"{path}:5:13: scores.economic: score must be a finite number, got nan"
    assert lines[2] == f"{path}:6:15: scores.innovation: score -1 is outside the scale 0-5"
    assert lines[3] == "error: 3 problems in the profiles"


# --- inputs are never modified ------------------------------------------------------------


def test_input_files_are_byte_for_byte_unchanged(tmp_path, run_cli, rulebook):
    folder = tmp_path / "profiles"
    good = folder / "good.yaml"
    good.parent.mkdir()
    # CRLF endings, a BOM, trailing spaces and no final newline: nothing may be "fixed".
    good.write_bytes(b"\xef\xbb\xbfid: good\r\nname: Good  \r\nscores:\r\n  science: '+'\r\n  economic: 2.50")
    write(folder / "list.yaml", "domains:\n  - id: one\n    name: One\n  - id: two\n    name: Two # note\n")
    snapshot = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in folder.iterdir()}

    assert run_cli("validate", folder).exit_code == 0
    assert run_cli("classify", folder).exit_code == 0
    assert run_cli("classify", folder, "--format", "json").exit_code == 0
    assert {p.id for p in load_profiles([folder], rulebook)} == {"good", "one", "two"}

    bad = write(folder / "bad.yaml", HEAD + "scores:\n  sciense: 4\n")
    snapshot[bad] = (bad.read_bytes(), bad.stat().st_mtime_ns)
    assert run_cli("validate", folder).exit_code == 2
    assert run_cli("classify", folder).exit_code == 2

    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in folder.iterdir()} == snapshot


# --- what valid input gives -----------------------------------------------------------------


def test_domains_list_form(tmp_path, rulebook, run_cli):
    path = write(
        tmp_path / "many.yaml",
        "domains:\n"
        "  - id: one\n"  # 2
        "    name: One\n"
        "    kind: sector\n"
        "    scores:\n"
        "      science: 4\n"  # 6
        "  - id: two\n"  # 7
        "    name: Two\n"
        "    scores:\n"
        "      science: '--'\n",
    )
    one, two = load_profiles([path], rulebook)
    assert (one.id, one.name, one.kind, one.file, one.line) == ("one", "One", "sector", str(path), 2)
    assert (two.id, two.line, two.value("science"), two.scores["science"].symbol) == ("two", 7, 1.0, "--")
    assert one.scores["science"].location == f"{path}:6"
    result = run_cli("validate", path)
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"ok: 2 domains in 1 files?\n", result.stdout)


def test_problems_inside_a_domains_list_are_located(tmp_path, rulebook):
    path = write(
        tmp_path / "many.yaml",
        "domains:\n  - id: one\n    name: One\n  - id: Two\n    name: Two\n    scores:\n      sciense: 4\n",
    )
    problems = problems_of([path], rulebook)
    assert [(p.line, p.column, p.field) for p in problems] == [
        (4, 9, "domains[1].id"),
        (7, 7, "domains[1].scores.sciense"),
    ]


def test_provenance_reaches_the_result(tmp_path, rulebook):
    path = write(
        tmp_path / "p.yaml",
        HEAD
        + "scores:\n"
        + "  economic: {value: 2, source: 'Table 1, row 7', note: 'value added -', assumption: true}\n"  # 4
        + "  science:\n"  # 5
        + "    value: '+'\n"  # 6
        + "    source: CEPS 2026, figure 7\n"
        + "  innovation: 4\n"  # 8
        + "  transition: na\n",  # 9
    )
    [profile] = load_profiles([path], rulebook)
    [result] = classify_all([profile], rulebook)
    economic, science = result.scores["economic"], result.scores["science"]
    assert (economic.value, economic.source, economic.note) == (2.0, "Table 1, row 7", "value added -")
    assert economic.assumption is True
    assert (economic.origin, economic.location) == ("profile", f"{path}:4")
    assert (science.value, science.symbol, science.source) == (4.0, "+", "CEPS 2026, figure 7")
    assert science.assumption is False
    # The score's own line or the line of its value, never elsewhere.
    assert science.location in (f"{path}:5", f"{path}:6")
    assert result.scores["innovation"].location == f"{path}:8"
    assert (result.scores["innovation"].source, result.scores["innovation"].assumption) == (None, False)
    assert result.scores["transition"].value is None
    assert result.file == str(path)


def test_feasibility_derived_from_the_weakest_factor(tmp_path, rulebook):
    path = write(
        tmp_path / "p.yaml",
        HEAD
        + "scores:\n  science: 4\n"
        + "feasibility_factors:\n"
        + "  talent: 4\n"  # 6
        + "  energy: 2.5\n"  # 7
        + "  space: {value: '+/-', assumption: true}\n"  # 8
        + "  regulation: na\n",
    )
    [profile] = load_profiles([path], rulebook)
    feasibility = profile.scores["feasibility"]
    assert feasibility.origin == "derived"
    assert feasibility.value == 2.5
    assert feasibility.location == f"{path}:7"
    assert "energy" in feasibility.note
    assert feasibility.assumption is True  # one of the factors is an assumption
    assert set(profile.factors) == {"talent", "energy", "space", "regulation"}
    [result] = classify_all([profile], rulebook)
    assert result.scores["feasibility"].origin == "derived"
    assert result.scores["feasibility"].value == 2.5


@pytest.mark.parametrize(("given", "origin", "value"), [("3.5", "profile", 3.5), ("na", "derived", 1.0)])
def test_feasibility_given_wins_over_factors_unless_missing(tmp_path, rulebook, given, origin, value):
    path = write(
        tmp_path / "p.yaml",
        HEAD + f"scores:\n  feasibility: {given}\nfeasibility_factors:\n  talent: 1\n  energy: 4\n",
    )
    [profile] = load_profiles([path], rulebook)
    assert (profile.scores["feasibility"].origin, profile.value("feasibility")) == (origin, value)


def test_no_factors_and_no_feasibility_leaves_it_missing(tmp_path, rulebook):
    path = write(tmp_path / "p.yaml", HEAD + "scores:\n  science: 4\n")
    [profile] = load_profiles([path], rulebook)
    assert profile.value("feasibility") is None
    assert "feasibility" not in profile.scores


def test_a_run_holds_at_most_max_domains(tmp_path, rulebook, monkeypatch):
    import decision.inputs.profiles as profiles_module

    monkeypatch.setattr(profiles_module, "MAX_DOMAINS", 3)
    entries = "".join(f"  - id: d{i}\n    name: D{i}\n" for i in range(5))
    path = write(tmp_path / "many.yaml", "domains:\n" + entries)
    problem = only_problem(path, rulebook)
    assert (problem.line, problem.field) == (8, "domains")
    assert problem.message == "more than 3 domains in one run; split the portfolio into several runs"


def test_a_kept_parse_is_handed_out_as_a_copy_and_never_outlives_an_edit(tmp_path):
    from decision.inputs.yaml_source import YamlLoadError, load_yaml_file

    path = write(tmp_path / "d.yaml", "id: a\nscores:\n  science: 4\n")
    first = load_yaml_file(path)
    first.data["scores"]["science"] = 1  # a caller changing its copy
    first.value_positions.clear()
    again = load_yaml_file(path)
    assert again.data == {"id": "a", "scores": {"science": 4}}
    assert again.position(("scores", "science")) == (3, 12)
    elsewhere = write(tmp_path / "other" / "d.yaml", path.read_text(encoding="utf-8"))
    assert load_yaml_file(elsewhere).problem(("id",), "id", "x").file == str(elsewhere)
    write(path, "id: a\nscores:\n  science: 2\n")
    assert load_yaml_file(path).data["scores"]["science"] == 2
    write(path, "id: a\nscores:\n  science: [\n")
    with pytest.raises(YamlLoadError):
        load_yaml_file(path)


def test_profile_models_are_kept_per_registries_never_across_different_ones(rules_copy, tmp_path):
    from decision.inputs.rulebook import load_rulebook

    profile = write(tmp_path / "p" / "d.yaml", "id: d\nname: D\nscores:\n  science: 5.5\n")
    with pytest.raises(ProfileError, match="science"):
        load_profiles([profile], load_rulebook(RULES_DIR))
    # The same registries in another folder: the kept models serve it, and refuse alike.
    with pytest.raises(ProfileError, match="science"):
        load_profiles([profile], load_rulebook(rules_copy))
    scales = rules_copy / "scales.yaml"
    scales.write_text(scales.read_text(encoding="utf-8").replace("max: 5", "max: 6"), encoding="utf-8")
    assert load_profiles([profile], load_rulebook(rules_copy))[0].scores["science"].value == 5.5


def test_kept_values_are_bounded_and_the_oldest_goes_first():
    from decision.inputs.kept import Kept

    kept = Kept(2)
    assert kept.keep("a", 1) == 1 and kept.keep("b", 2) == 2
    kept.keep("a", 10)  # a key kept again is replaced, nothing dropped
    assert (kept.get("a"), kept.get("b")) == (10, 2)
    kept.keep("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (None, 2, 3)
