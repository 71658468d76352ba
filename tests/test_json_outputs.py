"""`--format json` on the commands a script calls to check inputs: the same verdict and
exit code as the text, as objects."""

from __future__ import annotations

import json

from decision.engine.rules_check import check_rules
from tests.conftest import write


def test_validate_json_ok(run_cli):
    result = run_cli("validate", "domains", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"ok": True, "domains": 12, "files": 12, "problems": []}


def test_validate_json_lists_every_problem_and_exits_2(run_cli, tmp_path):
    path = write(tmp_path / "p.yaml", 'id: x\nname: X\nscores:\n  economic: "4"\n  sciense: 3\n')
    result = run_cli("validate", path, "-f", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [(p["line"], p["column"], p["field"]) for p in data["problems"]] == [
        (4, 13, "scores.economic"),
        (5, 3, "scores.sciense"),
    ]
    assert data["problems"][1]["message"].startswith('unknown score "sciense"; did you mean "science"?')


def test_validate_json_on_a_broken_rules_folder_exits_3(run_cli, rules_copy):
    (rules_copy / "thresholds.yaml").write_text("thresholds: [\n", encoding="utf-8")
    result = run_cli("validate", "domains", "--rules", rules_copy, "-f", "json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["problems"][0]["file"].endswith("thresholds.yaml")


def test_rules_check_json_is_the_proof(run_cli, rulebook):
    result = run_cli("rules", "check", "--skip-readings", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    report = check_rules(rulebook)
    assert data["ok"] is True and data["readings"] == [] and data["engines"] is None
    assert data["rules"]["leaf_counts"] == report.leaf_counts
    assert data["rules"]["profiles"] == report.profiles == 279936


def test_tree_json_has_every_node_and_leaf_with_the_thresholds_in_force(run_cli, rulebook):
    result = run_cli("tree", "--format", "json", "--threshold", "science=4.5")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["root"] == rulebook.root
    assert [n["code"] for n in data["nodes"]] == list(rulebook.nodes)
    assert [leaf["code"] for leaf in data["leaves"]] == list(rulebook.leaves)
    science = [r for n in data["nodes"] for r in n["reads"] if r["score"] == "science"]
    assert science and all(r["threshold"] == 4.5 for r in science)
    by_code = {n["code"]: n for n in data["nodes"]}
    for code, node in rulebook.nodes.items():
        assert (by_code[code]["if_yes"], by_code[code]["if_no"]) == (node.if_yes, node.if_no)
