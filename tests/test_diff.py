"""``decision diff``: two profile folders, two rules folders, two run records of the audit
store; the first test where the paths part, with the values and thresholds on both sides;
refusals (mismatched kinds, options that do not apply) as one line and exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from decision.audit.diffing import Side, diff_results
from decision.engine.walk import classify_all
from decision.inputs.profiles import load_profiles
from decision.inputs.rulebook import load_rulebook
from tests.conftest import DOMAINS_DIR, RULES_DIR, write
from tests.test_bad_profiles import assert_clean_failure

QUANTUM = """\
id: quantum
name: Quantum technologies
scores:
  economic: 1
  innovation: 3
  technology: 3
  science: 3.5
  opportunity: 4
  transition: 4
  feasibility: 2
"""


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def two_folders(tmp_path) -> tuple[Path, Path]:
    """old/ = the shipped domains; new/ = semiconductors' economic 2 -> 4, pharma gone, quantum new."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(DOMAINS_DIR, old)
    shutil.copytree(DOMAINS_DIR, new)
    edit(new / "semiconductors.yaml", "  economic:\n    value: 2\n", "  economic:\n    value: 4\n")
    (new / "pharma.yaml").unlink()
    write(new / "quantum.yaml", QUANTUM)
    return old, new


def diff_json(run_cli, *args) -> dict:
    result = run_cli("diff", *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# --- two profile folders -------------------------------------------------------------------


def test_profile_folders_changed_added_removed(run_cli, two_folders):
    old, new = two_folders
    data = diff_json(run_cli, old, new)
    assert data["kind"] == "profiles"
    assert data["different"] is True
    assert data["summary"] == "1 domain changes outcome, 1 added, 1 removed, 10 unchanged"
    [change] = data["changed"]
    assert (change["id"], change["verdict"]) == ("semiconductors", "outcome changes")
    assert (change["before_outcome"], change["after_outcome"]) == ("ecosystem-gap", "strong")
    assert (change["before_leaf"], change["after_leaf"]) == ("VL05", "VL01")
    parting = change["parting"]
    assert (parting["node"], parting["criterion_key"], parting["changed_scores"]) == ("VT03", "E", ["economic"])
    assert parting["before_text"] == "economic 2 < 4 (fails) -> no, on to VT07"
    assert parting["after_text"] == "economic 4 >= 4 (passes) -> yes, on to VT04"
    assert parting["before"]["readings"] == [
        {"score": "economic", "value": 2.0, "op": ">=", "threshold": 4.0, "threshold_origin": "rules", "passed": False}
    ]
    assert parting["after"]["readings"][0]["value"] == 4.0
    assert parting["after"]["readings"][0]["passed"] is True
    assert [a["code"] for a in change["actions_added"]] == ["VA01", "VA02", "VA03"]
    assert [(d["id"], d["outcome"], d["leaf"]) for d in data["added"]] == [("quantum", "moonshot", "VL06")]
    assert [(d["id"], d["outcome"], d["leaf"]) for d in data["removed"]] == [("pharma", "strong", "VL01")]
    assert "semiconductors" not in data["unchanged"] and "biotech" in data["unchanged"]
    assert data["score_changes"] == [
        {
            "id": "semiconductors",
            "scores": [{"score": "economic", "before": 2.0, "after": 4.0, "text": "economic 2 -> 4"}],
            "factors": [],
        }
    ]
    assert data["threshold_changes"] == [] and data["rules_changes"] == []


def test_profile_folders_as_text(run_cli, two_folders):
    old, new = two_folders
    result = run_cli("diff", old, new)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Result: 1 domain changes outcome, 1 added, 1 removed, 10 unchanged" in out
    assert "semiconductors: ecosystem-gap (VL05) -> strong (VL01) [outcome changes]" in out
    assert "paths part at VT03 focus.economic [E]" in out
    assert "      old: economic 2 < 4 (fails) -> no, on to VT07\n" in out
    assert "      new: economic 4 >= 4 (passes) -> yes, on to VT04\n" in out
    assert "Added:\n  quantum: moonshot (VL06)\n" in out
    assert "Removed:\n  pharma: strong (VL01)\n" in out
    assert "Score changes:\n  semiconductors: economic 2 -> 4\n" in out
    assert "Threshold changes: none" in out
    assert "Rules changes" not in out  # only for rules folders and run records


def test_a_score_change_without_a_move_is_listed_but_domain_unchanged(run_cli, tmp_path):
    old = write(tmp_path / "old" / "semiconductors.yaml", (DOMAINS_DIR / "semiconductors.yaml").read_text())
    new = write(
        tmp_path / "new" / "semiconductors.yaml", old.read_text().replace("    value: 2\n", "    value: 3\n", 1)
    )
    data = diff_json(run_cli, old, new)
    assert data["changed"] == [] and data["unchanged"] == ["semiconductors"]
    assert data["score_changes"][0]["scores"][0]["text"] == "economic 2 -> 3"
    assert data["different"] is True


def test_exit_code_flag(run_cli, two_folders):
    old, new = two_folders
    assert run_cli("diff", old, new).exit_code == 0  # differences are not an error
    assert run_cli("diff", old, new, "--exit-code").exit_code == 1
    same = run_cli("diff", old, DOMAINS_DIR, "--exit-code")
    assert same.exit_code == 0, same.stderr
    assert "Result: no difference (0 added, 0 removed, 12 unchanged)" in same.stdout


def test_threshold_applies_to_both_profile_sides(run_cli, two_folders):
    old, new = two_folders
    data = diff_json(run_cli, old, new, "--threshold", "economic=4.5")
    # economic 4 no longer passes, so semiconductors stays a gap; biotech (economic 4) is
    # a gap on both sides: only the score change remains.
    assert data["changed"] == []
    assert data["threshold_changes"] == []
    assert [d["id"] for d in data["score_changes"]] == ["semiconductors"]


# --- two rules folders ---------------------------------------------------------------------


def test_rules_folders_threshold_edit(run_cli, rules_copy):
    edit(rules_copy / "thresholds.yaml", "  economic:\n    value: 4\n", "  economic:\n    value: 4.5\n")
    data = diff_json(run_cli, RULES_DIR, rules_copy)
    assert data["kind"] == "rules"
    assert [c["id"] for c in data["changed"]] == ["biotech"]
    [change] = data["changed"]
    assert (change["before_outcome"], change["after_outcome"]) == ("strong", "ecosystem-gap")
    parting = change["parting"]
    assert parting["node"] == "VT03"
    assert parting["before_text"] == "economic 4 >= 4 (passes) -> yes, on to VT04"
    assert parting["after_text"] == "economic 4 < 4.5 (fails) -> no, on to VT07"
    assert parting["changed_scores"] == ["economic"]  # same value, other threshold
    assert [t["text"] for t in data["threshold_changes"]] == ["economic >= 4 -> >= 4.5"]
    assert data["threshold_changes"][0]["before"]["value"] == 4.0
    assert data["threshold_changes"][0]["after"]["value"] == 4.5
    assert data["rules_changes"] == []  # a threshold value is reported as a threshold change
    assert data["score_changes"] == [] and data["added"] == [] and data["removed"] == []
    text = run_cli("diff", RULES_DIR, rules_copy).stdout
    assert "biotech: strong (VL01) -> ecosystem-gap (VL05) [outcome changes]" in text
    assert "Threshold changes:\n  economic >= 4 -> >= 4.5\n" in text
    assert "Rules changes: none" in text


def test_rules_folders_under_a_threshold_override(run_cli, rules_copy):
    edit(rules_copy / "thresholds.yaml", "  economic:\n    value: 4\n", "  economic:\n    value: 4.5\n")
    data = diff_json(run_cli, RULES_DIR, rules_copy, "--threshold", "economic=4.6")
    # The override applies to both sides, so no domain moves; the files still differ.
    assert data["changed"] == []
    [change] = data["threshold_changes"]
    assert change["text"] == "economic >= 4 -> >= 4.5 (both overridden for this run: >= 4.6 [--threshold])"
    assert data["rules_changes"] == []
    other = diff_json(run_cli, RULES_DIR, rules_copy, "--threshold", "science=3")
    assert [t["text"] for t in other["threshold_changes"]] == ["economic >= 4 -> >= 4.5"]


def test_rules_folders_on_given_profiles(run_cli, rules_copy):
    edit(rules_copy / "thresholds.yaml", "  economic:\n    value: 4\n", "  economic:\n    value: 4.5\n")
    data = diff_json(run_cli, RULES_DIR, rules_copy, "--profiles", DOMAINS_DIR / "pharma.yaml")
    assert (data["old"]["domains"], data["new"]["domains"]) == (1, 1)
    assert data["changed"] == [] and data["unchanged"] == ["pharma"]
    assert data["different"] is True  # the threshold differs


def test_rules_folders_tree_edits(run_cli, rules_copy):
    tree = rules_copy / "tree.yaml"
    # hpc fails S at VT14: same answer, but it now leads to another leaf.
    edit(tree, "    if_yes: VL12\n    if_no: VL06\n", "    if_yes: VL12\n    if_no: VL09\n")
    tree.write_text(tree.read_text() + "# a comment only\n")
    edit(rules_copy / "workshop.yaml", "fragile_step: 0.5", "fragile_step: 1")
    data = diff_json(run_cli, RULES_DIR, rules_copy)
    [change] = data["changed"]
    assert (change["id"], change["before_outcome"], change["after_outcome"]) == ("hpc", "moonshot", "no-focus")
    parting = change["parting"]
    assert parting["node"] == "VT14"
    assert (parting["before"]["outcome"], parting["after"]["outcome"]) == ("no", "no")
    assert parting["before_text"].endswith("-> no, on to VL06")
    assert parting["after_text"].endswith("-> no, on to VL09")
    assert [(r["file"], r["item"], r["text"]) for r in data["rules_changes"]] == [
        ("tree.yaml", "VT14", "VT14 changed: if_no"),
        ("workshop.yaml", "fragile_step", "fragile_step 0.5 -> 1"),
    ]


def test_a_leaf_redefined_keeps_the_path(run_cli, rules_copy):
    tree = rules_copy / "tree.yaml"
    text = tree.read_text()
    start = text.index("  - code: VL06\n")
    position = text.index("category: moonshot", start)
    tree.write_text(text[:position] + "category: no-focus" + text[position + len("category: moonshot") :])
    data = diff_json(run_cli, RULES_DIR, rules_copy)
    by_id = {c["id"]: c for c in data["changed"]}
    assert by_id["hpc"]["parting"] is None
    assert by_id["hpc"]["note"] == "both paths end in VL06, whose definition differs between the two rules"
    # Still undetermined, but between other outcomes: a move.
    architects = by_id["architects-engineering"]
    assert architects["verdict"] == "outcome changes"
    assert (architects["before_reachable"], architects["after_reachable"]) == (
        ["ecosystem-gap", "moonshot"],
        ["ecosystem-gap", "no-focus"],
    )
    assert [r["text"] for r in data["rules_changes"]] == ["VL06 changed: category"]


def test_comment_only_edit(run_cli, rules_copy):
    (rules_copy / "actions.yaml").write_text((rules_copy / "actions.yaml").read_text() + "# reviewed\n")
    data = diff_json(run_cli, RULES_DIR, rules_copy)
    assert data["changed"] == []
    assert [(r["file"], r["text"]) for r in data["rules_changes"]] == [("actions.yaml", "comments or layout only")]


def test_invalid_rules_folder_is_exit_3(run_cli, rules_copy):
    edit(rules_copy / "portfolio.yaml", "max_moonshots: 3", "max_moonshots: many")
    result = run_cli("diff", RULES_DIR, rules_copy)
    lines = assert_clean_failure(result, exit_code=3)
    assert "portfolio.yaml" in lines[0] and "max_moonshots" in lines[0]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "rules",
            "domains",
            "error: cannot compare a rules folder (rules) with profiles (domains): give two profile paths, "
            "two rules folders (holding tree.yaml) or two run:N records",
        ),
        (
            "domains",
            "run:2",
            "error: cannot compare profiles (domains) with a run record (run:2): give two profile paths, "
            "two rules folders (holding tree.yaml) or two run:N records",
        ),
        ("run:1", "run:two", 'error: "run:two": a run record is written run:N, with N the run number, e.g. run:3'),
    ],
)
def test_mismatched_or_malformed_sides(run_cli, old, new, message):
    assert assert_clean_failure(run_cli("diff", old, new)) == [message]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["domains", "domains", "--profiles", "domains"], "--profiles applies only when OLD and NEW are rules folders"),
        (["domains", "domains", "--store", "x.sqlite"], "--store applies only when OLD and NEW are run:N records"),
        (["rules", "rules", "--rules", "rules"], "--rules does not apply when OLD and NEW are rules folders"),
        (["run:1", "run:2", "--rules", "rules"], "--rules does not apply to run records: each holds its own results"),
        (
            ["run:1", "run:2", "--threshold", "science=4"],
            "--threshold does not apply to run records: each holds its own results",
        ),
    ],
)
def test_options_that_do_not_apply(run_cli, args, message):
    assert assert_clean_failure(run_cli("diff", *args)) == [f"error: {message}"]


def test_missing_profile_path_is_exit_2(run_cli, tmp_path):
    lines = assert_clean_failure(run_cli("diff", tmp_path / "nowhere", DOMAINS_DIR))
    assert lines[0] == f"{tmp_path / 'nowhere'}:1:1: path: no such file or folder"


# --- the library on lists of results ----------------------------------------------------------


def test_duplicate_ids_on_one_side_are_refused(rulebook):
    from decision.errors import UsageError

    [result] = classify_all(load_profiles([DOMAINS_DIR / "pharma.yaml"], rulebook), rulebook)
    side = Side(label="x", description="test", domains=2)
    with pytest.raises(UsageError, match='the domain id "pharma" occurs twice'):
        diff_results([result, result], [result], kind="runs", old_side=side, new_side=side)


# --- two run records of the audit store -------------------------------------------------------


@pytest.fixture
def store(tmp_path, two_folders, rules_copy) -> Path:
    """run 1: the old folder under the shipped rules; run 2: the new folder under economic >= 4.5."""
    from decision.audit.store import open_store, run_content

    edit(rules_copy / "thresholds.yaml", "  economic:\n    value: 4\n", "  economic:\n    value: 4.5\n")
    path = tmp_path / "audit.sqlite"
    old, new = two_folders
    with open_store(path, create=True) as opened:
        for folder, rules in ((old, RULES_DIR), (new, rules_copy)):
            rulebook = load_rulebook(rules)
            profiles = load_profiles([folder], rulebook)
            results = classify_all(profiles, rulebook)
            content, blobs = run_content(
                command="classify",
                args=[str(folder)],
                params={},
                rulebook=rulebook,
                profiles=profiles,
                results=results,
                by="tester",
            )
            opened.append(content, blobs)
    return path


def test_run_records(run_cli, store, rules_copy):
    data = diff_json(run_cli, "run:1", "run:2", "--store", store)
    assert data["kind"] == "runs"
    assert data["old"]["description"].startswith("decision classify ")
    assert data["new"]["description"].endswith(", by tester)")
    by_id = {c["id"]: c for c in data["changed"]}
    # economic >= 4.5 in run 2: biotech (economic 4) is no longer strong, and semiconductors'
    # new economic 4 is not enough either.
    assert set(by_id) == {"biotech"}
    assert by_id["biotech"]["parting"]["after_text"] == "economic 4 < 4.5 (fails) -> no, on to VT07"
    assert [d["id"] for d in data["added"]] == ["quantum"]
    assert [d["id"] for d in data["removed"]] == ["pharma"]
    assert [d["id"] for d in data["score_changes"]] == ["semiconductors"]
    assert [t["text"] for t in data["threshold_changes"]] == ["economic >= 4 -> >= 4.5"]
    # Both recorded rules folders are still as recorded: compared entry by entry.
    assert [r["text"] for r in data["rules_changes"]] == [f"rules folder {RULES_DIR} -> {rules_copy}"]


def test_run_records_whose_rules_changed_since(run_cli, store, rules_copy):
    (rules_copy / "actions.yaml").write_text((rules_copy / "actions.yaml").read_text() + "# later\n")
    data = diff_json(run_cli, "run:1", "run:2", "--store", store)
    texts = [r["text"] for r in data["rules_changes"]]
    # The second folder no longer matches its record: only file digests can be compared.
    assert texts[0] == f"rules folder {RULES_DIR} -> {rules_copy}"
    assert [r["file"] for r in data["rules_changes"][1:]] == ["thresholds.yaml"]
    assert texts[1].startswith("content differs (sha256 ")


def test_run_records_as_text_and_errors(run_cli, store, tmp_path):
    text = run_cli("diff", "run:1", "run:2", "--store", store).stdout
    assert text.startswith("Diff of run records: run:1 (12 domains) -> run:2 (12 domains), as recorded\n")
    assert "  run:1: decision classify " in text
    assert "biotech: strong (VL01) -> ecosystem-gap (VL05) [outcome changes]" in text
    missing_run = assert_clean_failure(run_cli("diff", "run:1", "run:7", "--store", store))
    assert missing_run == [f"error: {store}: no run 7 (the store holds runs 1-2)"]
    no_store = assert_clean_failure(run_cli("diff", "run:1", "run:2", "--store", tmp_path / "none.sqlite"))
    assert len(no_store) == 1 and "no audit store here" in no_store[0]


def test_run_records_made_by_classify_record(run_cli, tmp_path):
    store = tmp_path / "audit.sqlite"
    assert run_cli("classify", "--record", "--store", store).exit_code == 0
    assert run_cli("classify", "--record", "--store", store, "--threshold", "economic=4.5").exit_code == 0
    data = diff_json(run_cli, "run:1", "run:2", "--store", store)
    assert [c["id"] for c in data["changed"]] == ["biotech"]
    assert data["changed"][0]["parting"]["after_text"] == "economic 4 < 4.5 [--threshold] (fails) -> no, on to VT07"
    assert [t["text"] for t in data["threshold_changes"]] == ["economic >= 4 -> >= 4.5 [--threshold]"]
    assert data["rules_changes"] == []
