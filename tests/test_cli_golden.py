"""CLI output against golden files (width 100, no colour). Regenerate after an intended
change with: UPDATE_GOLDEN=1 pytest tests/test_cli_golden.py, then review the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from decision.engine.choice import ENVIRONMENT, resolve_engine
from decision.renderers.docs_generation import tree_document
from tests.conftest import CLI_ENV, REPO, requires_durable

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "classify-text": ["classify"],
    "classify-markdown": ["classify", "--format", "markdown"],
    "classify-csv": ["classify", "--format", "csv"],
    "explain-semiconductors": ["explain", "semiconductors"],
    "explain-scientific-rd": ["explain", "scientific-rd"],
    "explain-chemicals-markdown": ["explain", "chemicals", "--format", "markdown"],
    "tree-text": ["tree"],
    "tree-mermaid": ["tree", "--format", "mermaid"],
    "rules-check": ["rules", "check"],
    "classify-threshold-science-4.5": ["classify", "--threshold", "science=4.5"],
    "whatif-semiconductors-economic-4": ["whatif", "semiconductors", "--set", "economic=4"],
    "margins-semiconductors": ["margins", "semiconductors"],
    "margins-thresholds": ["margins", "--thresholds"],
    "workshop-example-sheets": ["workshop", "--sheets", "examples/workshop-sheets"],
    "counterfactual-semiconductors-strong": ["counterfactual", "semiconductors", "--to", "strong"],
    "portfolio": ["portfolio"],
    "readings": ["readings"],
    "robustness-ranges": ["robustness", "examples/ranges.yaml"],
    "robustness-example-sheets": ["robustness", "--sheets", "examples/workshop-sheets"],
    "robustness-readings-threshold-range": [
        "robustness",
        "examples/ranges.yaml",
        "--readings",
        "--threshold",
        "economic=3.75..4.25",
    ],
}


# None today: `rules check` counts the grid per pattern of node outcomes (under a second).
SLOW_CASES: set[str] = set()


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_CASES else n for n in sorted(CASES)]
)
def test_cli_output_matches_golden(run_cli, name):
    result = run_cli(*CASES[name])
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    # The golden files are written under durable-rules; under zen-engine the output is the
    # same except where a line names the engine that confirmed a result.
    engine = resolve_engine(CLI_ENV.get(ENVIRONMENT)).name
    expected = golden.read_text(encoding="utf-8").replace("the durable-rules engine", f"the {engine} engine")
    assert result.stdout == expected


def test_classify_json_is_the_machine_contract(run_cli):
    result = run_cli("classify", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) >= 12
    for item in data:
        assert {"id", "category", "variant", "path", "actions", "warnings"} <= set(item)
        assert item["category"] in {"strong", "ecosystem-gap", "moonshot", "no-focus", "undetermined"}
        assert item["variant"] in {None, "internationalisation", "partnership"}
        for step in item["path"]:
            assert {"node", "criterion", "readings", "outcome"} <= set(step)
            for reading in step["readings"]:
                assert {"score", "value", "threshold", "op", "passed"} <= set(reading)
        if item["category"] == "undetermined":
            assert item["blocking"] and item["reachable"]
    by_id = {item["id"]: item for item in data}
    semis = by_id["semiconductors"]
    assert [s["outcome"] for s in semis["path"]] == ["yes", "yes", "no", "yes", "yes"]
    assert semis["path"][2]["readings"][0] == {
        "score": "economic",
        "value": 2.0,
        "op": ">=",
        "threshold": 4.0,
        "threshold_origin": "rules",
        "passed": False,
    }


def test_threshold_override_is_recorded_with_its_origin(run_cli):
    data = json.loads(run_cli("classify", "-f", "json", "--threshold", "science=4.5").stdout)
    thresholds = data[0]["thresholds"]
    assert {k: thresholds["science"][k] for k in ("value", "op", "origin")} == {
        "value": 4.5,
        "op": ">=",
        "origin": "--threshold",
    }
    assert thresholds["economic"]["origin"] == "rules"


def test_out_writes_atomically_and_refuses_to_overwrite(run_cli, tmp_path):
    target = tmp_path / "portfolio.json"
    first = run_cli("classify", "-f", "json", "--out", target)
    assert first.exit_code == 0 and json.loads(target.read_text())
    target.write_text("keep me")
    second = run_cli("classify", "-f", "json", "--out", target)
    assert second.exit_code == 2
    assert "already exists; pass --force" in second.stderr
    assert target.read_text() == "keep me"
    third = run_cli("classify", "--out", target, "--force")
    assert third.exit_code == 0
    assert json.loads(target.read_text())
    assert [p.name for p in tmp_path.iterdir()] == ["portfolio.json"]


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("portfolio.csv", lambda data: data.startswith(b"id,name,category")),
        ("portfolio.md", lambda data: data.startswith(b"| id | name | category |")),
        ("portfolio.xlsx", lambda data: data[:2] == b"PK"),
        ("portfolio.json", lambda data: isinstance(json.loads(data), list)),
        ("portfolio.out", lambda data: "VARIO classification" in data.decode()),
    ],
)
def test_out_infers_the_format_from_the_file_name(run_cli, tmp_path, name, check):
    target = tmp_path / name
    result = run_cli("classify", "--out", target)
    assert result.exit_code == 0, result.stderr
    assert check(target.read_bytes())


def test_out_whose_name_contradicts_the_format_is_refused_before_anything_is_written(run_cli, tmp_path):
    target = tmp_path / "portfolio.json"
    result = run_cli("classify", "-f", "csv", "--out", target, "--record", "--store", tmp_path / "a.sqlite")
    assert result.exit_code == 2
    assert "the name says json but --format is csv" in result.stderr
    assert list(tmp_path.iterdir()) == []


COUNTS = "docs/examples/technology-counts.csv"
# Every command with both --out and --format reads the format from the file name.
OUT_CASES = {
    "readings-json": (["readings", "domains/chemicals.yaml"], "r.json", lambda d: "domains" in json.loads(d)),
    "readings-csv": (["readings", "domains/chemicals.yaml"], "r.csv", lambda d: d.startswith(b"id,")),
    "readings-md": (["readings", "domains/chemicals.yaml"], "r.md", lambda d: d.startswith(b"|") or b"| id |" in d),
    "readings-txt": (["readings", "domains/chemicals.yaml"], "r.txt", lambda d: b"Depends on an interpretation" in d),
    "compare-json": (["indicators", "compare", COUNTS, "--region", "Flanders"], "c.json", lambda d: json.loads(d)),
    "compare-csv": (["indicators", "compare", COUNTS, "--region", "Flanders"], "c.csv", lambda d: b"," in d),
    "compute-yml": (["indicators", "compute", COUNTS, "--region", "Flanders"], "i.yml", lambda d: b"indicators:" in d),
}


@pytest.mark.parametrize("case", sorted(OUT_CASES))
def test_out_infers_the_format_on_every_command(run_cli, tmp_path, case):
    args, name, check = OUT_CASES[case]
    target = tmp_path / name
    result = run_cli(*args, "--out", target)
    assert result.exit_code == 0, result.stderr
    assert check(target.read_bytes())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["readings", "-f", "csv", "--out", "{tmp}/r.json"], "the name says json but --format is csv"),
        (
            ["readings", "--out", "{tmp}/r.xlsx"],
            "does not write xlsx; name the file .txt, .json, .csv, .md, or give --format",
        ),
        (["classify", "--out", "{tmp}/p.yaml"], "this command does not write yaml"),
        (["indicators", "compare", COUNTS, "--region", "Flanders", "--out", "{tmp}/c.md"], "does not write markdown"),
        (
            ["indicators", "compute", COUNTS, "--region", "X", "-f", "csv", "--out", "{tmp}/i.json"],
            "the name says json",
        ),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else "",
)
def test_an_out_name_the_command_cannot_honour_is_refused_before_any_work(run_cli, tmp_path, args, message):
    result = run_cli(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_explain_unknown_id_lists_known_ids(run_cli):
    result = run_cli("explain", "nanotech")
    assert result.exit_code == 2
    assert result.stderr.startswith('error: no domain with id "nanotech" (known: ')
    assert "semiconductors" in result.stderr


def test_schema_is_valid_json_schema_for_profiles(run_cli, rulebook):
    schema = json.loads(run_cli("schema").stdout)
    single = schema["$defs"]["DomainProfileFile"]
    assert single["additionalProperties"] is False
    scores = schema["$defs"]["Scores"]["properties"]
    assert set(scores) == set(rulebook.scores)


def test_validate_reports_ok_on_shipped_domains(run_cli):
    result = run_cli("validate", "domains")
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: ")


def test_docs_tree_page_is_up_to_date(rulebook):
    committed = (REPO / "docs" / "tree.md").read_text(encoding="utf-8")
    assert committed == tree_document(rulebook), (
        "docs/tree.md is stale: run python -m decision.renderers.docs_generation"
    )


def test_structurally_unreachable_leaf_is_a_rules_error(run_cli, rules_copy):
    tree = rules_copy / "tree.yaml"
    tree.write_text(tree.read_text().replace("    if_yes: VL03\n", "    if_yes: VL04\n"))
    result = run_cli("rules", "check", "--rules", rules_copy)
    assert result.exit_code == 3
    assert "VL03: no path from the root reaches it" in result.stderr


def test_rules_check_finds_a_logically_dead_leaf(run_cli, rules_copy):
    # VT06 is only reached when IT failed; asking IT again there makes VL03 dead,
    # although the tree's structure still reaches it.
    tree = rules_copy / "tree.yaml"
    text = tree.read_text()
    marker = "  - code: VT06\n    name: focus.economic.no-innovation.science\n    criterion: VC03\n"
    assert marker in text
    tree.write_text(text.replace(marker, marker.replace("VC03", "VC02")))
    result = run_cli("rules", "check", "--rules", rules_copy)
    assert result.exit_code == 1
    assert "unreachable: VL03 gap.missing-innovation" in result.stderr
    assert "rules check FAILED" in result.stderr


def _broken_durable(real):
    def broken(criterion, rules):
        conditions = real(criterion, rules)
        if criterion.key == "G":
            # "unknown" now also matches present scores: an overlap with yes/no.
            conditions["unknown"] = {"$ex": {"node": 1}}
        if criterion.key == "P":
            # "no" never matches: a gap for present scores below the threshold.
            conditions["no"] = {"$lt": {"transition": -1}}
        return conditions

    return broken


def _broken_zen(real):
    def broken(criterion, rules):
        conditions = real(criterion, rules)
        if criterion.key == "G":
            conditions["unknown"] = "true"
        if criterion.key == "P":
            conditions["no"] = "transition != null and transition < -1"
        return conditions

    return broken


@pytest.mark.parametrize("engine", [pytest.param("durable-rules", marks=requires_durable), "zen"])
def test_rules_check_detects_overlapping_and_missing_rules(rulebook, monkeypatch, engine):
    from decision.engine import zen
    from decision.engine.rules_check import check_rules

    if engine == "durable-rules":
        from decision.engine import durable as module

        breaker = _broken_durable
    else:
        module, breaker = zen, _broken_zen
    monkeypatch.setattr(module, "_conditions", breaker(module._conditions))
    # A rule set name no real rulebook can have, so the broken rules never leak out.
    monkeypatch.setattr(type(rulebook), "identity", lambda self: f"broken-on-purpose-{engine}")
    report = check_rules(rulebook.with_engine(engine))
    assert not report.ok
    assert any(line.startswith("VT01: rules VT01.unknown, VT01.yes all match") for line in report.overlaps)
    assert any(line.startswith("VT02: no rule matches transition=") for line in report.gaps)


@pytest.mark.parametrize(
    "args",
    [["-h"], ["classify", "-h"], ["rules", "check", "-h"], ["audit", "verify", "-h"], ["plot", "quadrant", "-h"]],
)
def test_dash_h_is_help_everywhere(run_cli, args):
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Usage: decision") and "--help" in result.stdout


def test_category_counts_follow_the_framework_not_the_input_order(run_cli, tmp_path):
    import shutil

    folder = tmp_path / "reversed"
    folder.mkdir()
    # The same domains under names that sort the other way round.
    for index, path in enumerate(sorted((REPO / "domains").glob("*.yaml"), reverse=True)):
        shutil.copy(path, folder / f"{index:02d}.yaml")
    forward = run_cli("classify").stdout.strip().splitlines()[-1]
    backward = run_cli("classify", folder).stdout.strip().splitlines()[-1]
    assert forward == backward
    assert forward.split("(")[0].strip().startswith("strong: 2, ecosystem-gap: 4, moonshot: 3, no-focus: 1")


def test_a_misspelt_id_gets_a_suggestion(run_cli):
    result = run_cli("explain", "semiconductor")
    assert result.exit_code == 2
    assert result.stderr.startswith('error: no domain with id "semiconductor"; did you mean "semiconductors"? (known: ')
    assert "Traceback" not in result.stderr


def test_an_unexpected_error_is_one_line_and_exit_4(run_cli, monkeypatch):
    import decision.engine.walk as walk

    def broken(*args, **kwargs):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(walk, "classify_all", broken)
    result = run_cli("classify")
    assert result.exit_code == 4
    assert result.stderr.startswith("internal error: ZeroDivisionError: simulated bug (a bug in decision")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_file_system_refusal_is_one_line_and_exit_2(run_cli, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    loop = folder / "loop.yaml"
    loop.symlink_to(loop)
    result = run_cli("classify", loop)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "loop.yaml:1:1: path: a symbolic link that leads nowhere" in result.stderr


def test_out_never_replaces_a_device_or_pipe(run_cli, tmp_path):
    import os

    pipe = tmp_path / "pipe.html"
    os.mkfifo(pipe)
    for args in (("classify", "-f", "markdown"), ("report",)):
        result = run_cli(*args, "--out", pipe, "--force")
        assert result.exit_code == 2, result.stderr
        assert "is not a regular file" in result.stderr
        assert pipe.is_fifo()
    result = run_cli("classify", "-f", "json", "--out", "/dev/null", "--force")
    assert result.exit_code == 2 and Path("/dev/null").is_char_device()


@pytest.mark.parametrize(
    "args",
    [
        ["classify"],
        ["readings", "domains/chemicals.yaml"],
        ["indicators", "compare", COUNTS, "--region", "Flanders"],
    ],
    ids=lambda a: a[0] if a[0] != "indicators" else "indicators compare",
)
def test_a_text_view_written_to_a_file_carries_no_terminal_colours(run_cli, monkeypatch, tmp_path, args):
    # As from a colour terminal: the same run on stdout is coloured, the --out file is not.
    monkeypatch.delitem(CLI_ENV, "NO_COLOR")
    monkeypatch.setitem(CLI_ENV, "FORCE_COLOR", "1")
    monkeypatch.setitem(CLI_ENV, "TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in run_cli(*args).stdout
    target = tmp_path / "view.txt"
    assert run_cli(*args, "--out", target).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert text.strip() and "\x1b" not in text
