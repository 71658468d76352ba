"""Bad rules folders and bad --threshold options: every problem is located as
``file:line:col: CODE: message``, all are listed together, and the CLI exits 3 (rules) or
2 (options) without a traceback.

Each test edits a copy of the shipped rules under tmp_path (the ``rules_copy`` fixture).
Expected lines and columns are found in the edited text itself, so they stay exact when
the shipped rules grow.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decision.errors import Problem, RulesError
from decision.inputs.rulebook import load_rulebook
from tests.conftest import RULES_DIR, write

KNOWN_SCORES = "economic, innovation, technology, science, opportunity, transition, feasibility"


def edit(rules: Path, name: str, old: str, new: str) -> Path:
    """Replace the single occurrence of ``old`` in ``rules/name`` with ``new``."""
    path = rules / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def where(path: Path, line_text: str, token: str) -> tuple[int, int]:
    """1-based (line, column) of ``token`` on the single line of ``path`` that contains ``line_text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [number for number, line in enumerate(lines, 1) if line_text in line]
    assert len(hits) == 1, f"{line_text!r} is on lines {hits} of {path.name}"
    line = hits[0]
    return line, lines[line - 1].index(token) + 1


def rules_problems(rules: Path) -> list[Problem]:
    with pytest.raises(RulesError) as caught:
        load_rulebook(rules)
    assert caught.value.problems, "RulesError without problems"
    return caught.value.problems


def rendered(rules: Path) -> list[str]:
    return [problem.render() for problem in rules_problems(rules)]


def cli_rules_failure(run_cli, rules: Path) -> list[str]:
    """``decision classify --rules DIR`` must exit 3 cleanly; returns its stderr lines."""
    result = run_cli("classify", "--rules", rules)
    assert result.exit_code == 3, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    count = len(lines) - 1
    assert lines[-1] == f"error: {count} {'problem' if count == 1 else 'problems'} in the rules folder"
    return lines


def test_shipped_rules_load(rules_copy):
    rulebook = load_rulebook(rules_copy)
    assert rulebook.root == "VT01"
    assert "VT03" in rulebook.nodes


# --- one broken reference per test --------------------------------------------------------------

# (file, old text, new text, line marker, token, expected "CODE: message")
CASES = {
    "unknown-score-in-criterion": (
        "criteria.yaml",
        "any_of: [science]",
        "any_of: [sciense]",
        "any_of: [sciense]",
        "sciense",
        'VC03: unknown score "sciense"',
    ),
    "unknown-operator": (
        "thresholds.yaml",
        'science:\n    value: 4\n    op: ">="',
        'science:\n    value: 4\n    op: "=>"',
        'op: "=>"',
        '"=>"',
        'science: unknown operator "=>" (known: >=, >)',
    ),
    "threshold-outside-the-scale": (
        "thresholds.yaml",
        "science:\n    value: 4\n",
        "science:\n    value: 7\n",
        "value: 7",
        "7",
        "science: threshold outside the scale",
    ),
    "unknown-criterion-in-node": (
        "tree.yaml",
        "name: focus.economic\n    criterion: VC01",
        "name: focus.economic\n    criterion: VC99",
        "criterion: VC99",
        "VC99",
        'VT03: unknown criterion "VC99"',
    ),
    "branch-to-unknown-node": (
        "tree.yaml",
        "if_no: VT07",
        "if_no: VT77",
        "if_no: VT77",
        "VT77",
        'VT03: unknown node or leaf "VT77"',
    ),
    "branch-to-unknown-leaf": (
        "tree.yaml",
        "if_yes: VL01",
        "if_yes: VL99",
        "if_yes: VL99",
        "VL99",
        'VT05: unknown node or leaf "VL99"',
    ),
    "unknown-root": (
        "tree.yaml",
        "root: VT01",
        "root: VT99",
        "root: VT99",
        "VT99",
        'root: unknown node "VT99"',
    ),
    "unknown-action-in-leaf": (
        "tree.yaml",
        "knowledge strengths\n    actions: [VA20, VA21, VA22, VA23]",
        "knowledge strengths\n    actions: [VA20, VA29, VA22, VA23]",
        "actions: [VA20, VA29, VA22, VA23]",
        "VA29",
        'VL06: unknown action "VA29"',
    ),
    "unknown-action-in-missing-link": (
        "tree.yaml",
        "actions: [VA17]",
        "actions: [VA71]",
        "actions: [VA71]",
        "VA71",
        'science: unknown action "VA71"',
    ),
    "unknown-action-in-factor": (
        "scores.yaml",
        "actions: [VA40]",
        "actions: [VA04]",
        "actions: [VA04]",
        "VA04",
        'talent: unknown action "VA04"',
    ),
    "unknown-category": (
        "tree.yaml",
        "name: moonshot\n    category: moonshot\n",
        "name: moonshot\n    category: moonshoot\n",
        "category: moonshoot",
        "moonshoot",
        'VL06: unknown category "moonshoot"',
    ),
    "unknown-variant": (
        "tree.yaml",
        "variant: partnership\n",
        "variant: partner\n",
        "variant: partner",
        "partner",
        'VL11: unknown variant "partner"',
    ),
    "unknown-missing-link": (
        "tree.yaml",
        "missing_links: [science]",
        "missing_links: [sciense]",
        "missing_links: [sciense]",
        "sciense",
        'VL02: unknown missing link "sciense"',
    ),
    "unknown-feasibility-criterion": (
        "tree.yaml",
        "criterion: VC06",
        "criterion: VC60",
        "criterion: VC60",
        "VC60",
        'feasibility: unknown criterion "VC60"',
    ),
    "unknown-field-in-criterion": (
        "criteria.yaml",
        "key: S\n",
        "key: S\n    colour: red\n",
        "colour: red",
        "colour",
        'criteria.2.colour: unknown field "colour"',
    ),
    "unknown-field-at-top-of-actions": (
        "actions.yaml",
        "actions:\n",
        "version: 2\nactions:\n",
        "version: 2",
        "version",
        'version: unknown field "version"',
    ),
    "unknown-action-cross-cutting": (
        "tree.yaml",
        "actions: [VA50, VA51, VA52, VA53, VA54]",
        "actions: [VA50, VA51, VA59, VA53, VA54]",
        "actions: [VA50, VA51, VA59, VA53, VA54]",
        "VA59",
        'cross_cutting: unknown action "VA59"',
    ),
    "unknown-category-cross-cutting": (
        "tree.yaml",
        "categories: [strong, ecosystem-gap, moonshot]",
        "categories: [strong, ecosystem-gap, moonshots]",
        "categories: [strong, ecosystem-gap, moonshots]",
        "moonshots",
        'cross_cutting: unknown category "moonshots" (known: strong, ecosystem-gap, moonshot, no-focus)',
    ),
    "bad-node-code": (
        "tree.yaml",
        "code: VT13",
        "code: T13",
        "code: T13",
        "T13",
        "nodes.13.code: String should match pattern '^VT\\d{2}$'",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_broken_rules_are_located(rules_copy, run_cli, case):
    name, old, new, marker, token, expected = CASES[case]
    path = edit(rules_copy, name, old, new)
    line, column = where(path, marker, token)
    expected_line = f"{path}:{line}:{column}: {expected}"

    problems = rendered(rules_copy)
    assert expected_line in problems, problems
    cli_lines = cli_rules_failure(run_cli, rules_copy)
    assert expected_line in cli_lines
    assert cli_lines[:-1] == problems  # the CLI lists exactly what the library found


def test_unknown_score_as_threshold_name(rules_copy, run_cli):
    path = edit(rules_copy, "thresholds.yaml", "  science:\n", "  sciense:\n")
    line, column = where(path, "sciense:", "sciense")
    criteria = rules_copy / "criteria.yaml"
    c_line, c_column = where(criteria, "any_of: [science]", "science")
    expected = [
        f'{criteria}:{c_line}:{c_column}: VC03: score "science" has no threshold',
        f'{path}:{line}:{column}: sciense: unknown score "sciense"',
    ]
    assert rendered(rules_copy) == expected
    assert cli_rules_failure(run_cli, rules_copy)[:-1] == expected


def test_duplicate_node_code(rules_copy, run_cli):
    path = edit(rules_copy, "tree.yaml", "code: VT13", "code: VT12")
    lines = path.read_text(encoding="utf-8").splitlines()
    second = [n for n, text in enumerate(lines, 1) if "code: VT12" in text][1]
    column = lines[second - 1].index("VT12") + 1
    duplicate = f'{path}:{second}:{column}: VT12: duplicate code "VT12"'
    problems = rendered(rules_copy)
    assert duplicate in problems
    # VT12 branched to VT13, which no longer exists: that is reported too.
    yes_line, yes_column = where(path, "if_yes: VT13", "VT13")
    assert f'{path}:{yes_line}:{yes_column}: VT12: unknown node or leaf "VT13"' in problems
    assert len(problems) == 2
    assert duplicate in cli_rules_failure(run_cli, rules_copy)


def test_cycle_back_to_the_root(rules_copy, run_cli):
    path = edit(rules_copy, "tree.yaml", "if_yes: VL10", "if_yes: VT01")
    # Reported at the branch that closes the cycle, where the fix belongs.
    edge_line, edge_column = where(path, "if_yes: VT01", "VT01")
    leaf_line, leaf_column = where(path, "code: VL10", "code")
    expected = [
        f"{path}:{edge_line}:{edge_column}: VT13: cycle in the tree: VT01 -> VT12 -> VT13 -> VT01",
        f"{path}:{leaf_line}:{leaf_column}: VL10: no path from the root reaches it",
    ]
    assert rendered(rules_copy) == expected
    assert cli_rules_failure(run_cli, rules_copy)[:-1] == expected


def test_self_loop(rules_copy):
    path = edit(rules_copy, "tree.yaml", "if_no: VL09", "if_no: VT12")
    # Reported at VT12's own if_no (VT01's if_no names VT12 as well).
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(n for n, text in enumerate(lines) if "code: VT12" in text)
    line = next(n for n in range(start, len(lines)) if "if_no: VT12" in lines[n]) + 1
    column = lines[line - 1].index("VT12") + 1
    problems = rendered(rules_copy)
    assert f"{path}:{line}:{column}: VT12: cycle in the tree: VT12 -> VT12" in problems
    assert any("VL09: no path from the root reaches it" in p for p in problems)


def test_unreachable_nodes_and_leaves(rules_copy, run_cli):
    path = edit(rules_copy, "tree.yaml", "if_no: VT12", "if_no: VL09")
    expected = []
    for code in ("VT12", "VT13", "VL10", "VL11"):
        line, column = where(path, f"code: {code}", "code")
        expected.append(f"{path}:{line}:{column}: {code}: no path from the root reaches it")
    assert rendered(rules_copy) == expected
    assert cli_rules_failure(run_cli, rules_copy)[:-1] == expected


def test_unreachable_extra_node(rules_copy):
    path = rules_copy / "tree.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "\nleaves:\n",
        "  - code: VT19\n    name: orphan\n    criterion: VC01\n    if_yes: VL01\n    if_no: VL09\n"
        '    cite: "nowhere"\n\nleaves:\n',
    )
    path.write_text(text, encoding="utf-8")
    line, column = where(path, "code: VT19", "code")
    assert rendered(rules_copy) == [f"{path}:{line}:{column}: VT19: no path from the root reaches it"]


@pytest.mark.parametrize("name", ["actions.yaml", "tree.yaml", "scales.yaml"])
def test_missing_rules_file(rules_copy, run_cli, name):
    (rules_copy / name).unlink()
    expected = [f"{rules_copy / name}:1:1: file: missing rules file"]
    assert rendered(rules_copy) == expected
    assert cli_rules_failure(run_cli, rules_copy)[:-1] == expected


def test_rules_folder_that_does_not_exist(tmp_path, run_cli):
    missing = tmp_path / "no-rules"
    expected = [f"{missing}:1:1: rules: not a folder of rules files"]
    assert rendered(missing) == expected
    assert cli_rules_failure(run_cli, missing)[:-1] == expected


def test_yaml_problems_in_a_rules_file(rules_copy, run_cli):
    path = edit(rules_copy, "criteria.yaml", "any_of: [economic]", "any_of: &e [economic]")
    scales = write(rules_copy / "scales.yaml", (rules_copy / "scales.yaml").read_text() + "scale: again\n")
    line, column = where(path, "&e", "&e")
    dup_line = len(scales.read_text().splitlines())
    expected = [
        f"{path}:{line}:{column}: yaml: anchors (&e) are not allowed in decision files",
        f'{scales}:{dup_line}:1: yaml: duplicate key "scale"',
    ]
    assert rendered(rules_copy) == expected
    assert cli_rules_failure(run_cli, rules_copy)[:-1] == expected


def test_python_tag_in_a_rules_file(rules_copy):
    path = edit(rules_copy, "thresholds.yaml", "thresholds:\n", "thresholds: !!python/object/apply:os.system\n")
    [problem] = rules_problems(rules_copy)
    assert (problem.file, problem.line, problem.field) == (str(path), 3, "yaml")
    assert "python/object/apply:os.system" in problem.message


def test_several_errors_at_once_are_all_reported(rules_copy, run_cli):
    criteria = edit(rules_copy, "criteria.yaml", "any_of: [science]", "any_of: [sciense]")
    thresholds = edit(
        rules_copy, "thresholds.yaml", 'science:\n    value: 4\n    op: ">="', 'science:\n    value: 9\n    op: "=>"'
    )
    tree = edit(
        rules_copy,
        "tree.yaml",
        "name: focus.economic\n    criterion: VC01",
        "name: focus.economic\n    criterion: VC99",
    )
    edit(
        rules_copy, "tree.yaml", "name: moonshot\n    category: moonshot\n", "name: moonshot\n    category: moonshoot\n"
    )
    edit(
        rules_copy,
        "tree.yaml",
        "knowledge strengths\n    actions: [VA20, VA21, VA22, VA23]",
        "knowledge strengths\n    actions: [VA20, VA29, VA22, VA23]",
    )

    def at(path, marker, token):
        line, column = where(path, marker, token)
        return f"{path}:{line}:{column}"

    expected = [
        f'{at(criteria, "any_of: [sciense]", "sciense")}: VC03: unknown score "sciense"',
        f"{at(thresholds, 'value: 9', '9')}: science: threshold outside the scale",
        at(thresholds, 'op: "=>"', '"=>"') + ': science: unknown operator "=>" (known: >=, >)',
        f'{at(tree, "criterion: VC99", "VC99")}: VT03: unknown criterion "VC99"',
        f'{at(tree, "category: moonshoot", "moonshoot")}: VL06: unknown category "moonshoot"',
        f'{at(tree, "VA29", "VA29")}: VL06: unknown action "VA29"',
    ]
    assert rendered(rules_copy) == sorted(expected, key=_sort_key)
    assert cli_rules_failure(run_cli, rules_copy)[:-1] == sorted(expected, key=_sort_key)


def _sort_key(line: str) -> tuple:
    file, number, column, _ = line.split(":", 3)
    return (file, int(number), int(column))


def test_schema_errors_in_several_files_are_all_reported(rules_copy, run_cli):
    criteria = edit(rules_copy, "criteria.yaml", "key: S\n", "key: S\n    colour: red\n")
    actions = edit(rules_copy, "actions.yaml", "code: VA01", "code: A01")
    scores = edit(rules_copy, "scores.yaml", "label: Talent", "lable: Talent")
    problems = rules_problems(rules_copy)
    assert [(Path(p.file).name, p.line, p.field) for p in problems] == [
        ("actions.yaml", where(actions, "code: A01", "A01")[0], "actions.0.code"),
        ("criteria.yaml", where(criteria, "colour: red", "c")[0], "criteria.2.colour"),
        ("scores.yaml", where(scores, "- name: talent", "n")[0], "feasibility_factors.0.label"),
        ("scores.yaml", where(scores, "lable: Talent", "l")[0], "feasibility_factors.0.lable"),
    ]
    assert len(cli_rules_failure(run_cli, rules_copy)) == len(problems) + 1


def test_rules_files_are_not_modified(rules_copy, run_cli):
    edit(rules_copy, "tree.yaml", "if_no: VT07", "if_no: VT77")
    before = {path.relative_to(rules_copy): path.read_bytes() for path in rules_copy.rglob("*") if path.is_file()}
    rules_problems(rules_copy)
    cli_rules_failure(run_cli, rules_copy)
    assert {
        path.relative_to(rules_copy): path.read_bytes() for path in rules_copy.rglob("*") if path.is_file()
    } == before


# --- --threshold ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("sciense=4", f'unknown score "sciense"; did you mean "science"? (known: {KNOWN_SCORES})'),
        ("xyz=4", f'unknown score "xyz" (known: {KNOWN_SCORES})'),
        ("science=abc", '--threshold "science=abc": "abc" is not a number'),
        ("science=9", "a threshold must lie within 0-5"),
        ("science=-0.5", "a threshold must lie within 0-5"),
        ("science=nan", "a threshold must lie within 0-5"),
        ("science", '--threshold "science": expected NAME=VALUE, e.g. science=4.5'),
        ("=4", '--threshold "=4": expected NAME=VALUE'),
    ],
)
@pytest.mark.parametrize("command", ["classify", "tree", "rules check"])
def test_bad_threshold_option(run_cli, option, message, command):
    result = run_cli(*command.split(), "--threshold", option)
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: --threshold ")
    assert message in line


SCIENCE_4_25 = """\
id: borderline
name: Borderline science
scores:
  economic: 2
  innovation: 4
  technology: 3
  science: 4.25
  opportunity: 4
  transition: 4
  feasibility: 3
"""


def test_threshold_option_changes_a_classification(tmp_path, run_cli):
    profile = write(tmp_path / "borderline.yaml", SCIENCE_4_25)

    default = run_cli("classify", profile, "--format", "json")
    assert default.exit_code == 0, default.stderr
    [before] = json.loads(default.stdout)
    assert (before["category"], before["leaf"]["code"]) == ("ecosystem-gap", "VL05")
    science = before["thresholds"]["science"]
    assert (science["value"], science["op"], science["origin"]) == (4.0, ">=", "rules")

    raised = run_cli("classify", profile, "--format", "json", "--threshold", "science=4.5")
    assert raised.exit_code == 0, raised.stderr
    [after] = json.loads(raised.stdout)
    assert (after["category"], after["leaf"]["code"]) == ("moonshot", "VL06")
    science = after["thresholds"]["science"]
    assert (science["value"], science["op"], science["origin"]) == (4.5, ">=", "--threshold")
    others = {name: t["origin"] for name, t in after["thresholds"].items() if name != "science"}
    assert others == {name: "rules" for name in KNOWN_SCORES.split(", ") if name != "science"}
    science_readings = [r for step in after["path"] for r in step["readings"] if r["score"] == "science"]
    assert science_readings
    assert all(
        (r["threshold"], r["threshold_origin"], r["passed"]) == (4.5, "--threshold", False) for r in science_readings
    )


def test_threshold_option_at_the_score_passes(tmp_path, run_cli):
    """>= is inclusive: a threshold equal to the score still passes."""
    profile = write(tmp_path / "borderline.yaml", SCIENCE_4_25)
    result = run_cli("classify", profile, "--format", "json", "--threshold", "science=4.25")
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert row["leaf"]["code"] == "VL05"
    assert row["thresholds"]["science"]["origin"] == "--threshold"


def test_shared_nodes_are_checked_in_linear_time(rules_copy):
    # 40 nodes in a chain whose both branches point to the next one: 2^40 paths. A walk
    # of every path never ends; the check visits each node once and finds the problem.
    path = rules_copy / "tree.yaml"
    text = path.read_text(encoding="utf-8")
    chain = "".join(
        f"  - code: VT{50 + i}\n    name: chain.n{i}\n    criterion: VC01\n"
        f"    if_yes: {f'VT{51 + i}' if i < 39 else 'VL09'}\n    if_no: {f'VT{51 + i}' if i < 39 else 'VL09'}\n"
        f'    cite: "test"\n'
        for i in range(40)
    )
    text = text.replace("root: VT01", "root: VT50").replace("\nleaves:\n", "\n" + chain + "\nleaves:\n")
    path.write_text(text, encoding="utf-8")
    problems = rendered(rules_copy)
    # The shipped tree is now cut off from the root: each of its codes is reported once.
    assert "VT01: no path from the root reaches it" in " ".join(problems)
    assert all("cycle" not in p for p in problems)


def _add_scores(rules: Path, names: list[str]) -> None:
    """Give the rules folder more scores, each with a threshold, so a criterion can be wider."""
    text = (rules / "scores.yaml").read_text(encoding="utf-8")
    extra = "".join(
        f"  - name: {n}\n    label: Extra {n}\n    dimension: test\n    measured_by: test\n    cite: test\n"
        for n in names
    )
    (rules / "scores.yaml").write_text(text.replace("scores:\n", "scores:\n" + extra, 1), encoding="utf-8")
    text = (rules / "thresholds.yaml").read_text(encoding="utf-8")
    extra = "".join(f"  {n}:\n    value: 3\n    op: '>='\n    meaning: test\n    cite: test\n" for n in names)
    (rules / "thresholds.yaml").write_text(text.replace("thresholds:\n", "thresholds:\n" + extra, 1), encoding="utf-8")


WIDE = ["innovation", "technology", "economic", "science", "opportunity", "transition", "feasibility"]


@pytest.mark.parametrize("width", [12, 13])
def test_a_criterion_reads_at_most_twelve_scores(rules_copy, run_cli, width):
    extra = [f"extra{chr(ord('a') + i)}" for i in range(width - len(WIDE))]
    _add_scores(rules_copy, extra)
    path = edit(rules_copy, "criteria.yaml", "any_of: [innovation, technology]", f"any_of: [{', '.join(WIDE + extra)}]")
    if width == 12:
        # The widest test durable-rules compiles: it loads and classifies.
        result = run_cli("classify", "--rules", rules_copy)
        rulebook = load_rulebook(rules_copy)
        assert len(rulebook.criterion_by_key("IT").scores) == 12
        assert result.exit_code == 0, result.stderr
        return
    with pytest.raises(RulesError) as caught:
        load_rulebook(rules_copy)
    line, column = where(path, "any_of: [innovation, technology, economic", "[")
    assert [p.render() for p in caught.value.problems] == [
        f"{path}:{line}:{column}: VC02: lists 13 scores; a criterion may read at most 12 (durable-rules cannot "
        "compile a wider test): split it into several nodes"
    ]


def test_a_criterion_listing_a_score_twice_is_located(rules_copy):
    path = edit(
        rules_copy, "criteria.yaml", "any_of: [innovation, technology]", "any_of: [innovation, technology, innovation]"
    )
    with pytest.raises(RulesError) as caught:
        load_rulebook(rules_copy)
    line, _ = where(path, "any_of: [innovation, technology, innovation]", "[")
    column = path.read_text(encoding="utf-8").splitlines()[line - 1].rindex("innovation") + 1
    assert [p.render() for p in caught.value.problems] == [
        f'{path}:{line}:{column}: VC02: lists "innovation" twice (first as entry 1); a score is read once per test'
    ]


def test_a_kept_rulebook_serves_only_identical_bytes_and_names_its_own_folder(rules_copy):
    shipped = load_rulebook(RULES_DIR)
    copied = load_rulebook(rules_copy)
    assert copied.directory == rules_copy and shipped.directory == RULES_DIR
    assert copied.file_digests == shipped.file_digests
    thresholds = rules_copy / "thresholds.yaml"
    thresholds.write_text(thresholds.read_text(encoding="utf-8").replace("value: 4", "value: 4.5", 1), encoding="utf-8")
    edited = load_rulebook(rules_copy)
    assert edited.file_digests["thresholds.yaml"] != shipped.file_digests["thresholds.yaml"]
    assert [t.value for t in edited.thresholds.values()] != [t.value for t in shipped.thresholds.values()]
    thresholds.write_text("thresholds: [", encoding="utf-8")
    with pytest.raises(RulesError):
        load_rulebook(rules_copy)
