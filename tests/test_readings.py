"""Readings (rules/readings/): alternative readings of the source as overlays of the rules.

Each shipped reading must load, be total, move exactly the domains its flagged branch
holds, travel into results and audit records, and be refused with a located message
when broken. Broken readings are cases in READING_CASES, collected by one runner.
"""

from __future__ import annotations

import json
import shutil

import pytest

from decision.engine.walk import classify_all
from decision.errors import RulesError, UsageError
from decision.inputs.profiles import load_profiles
from decision.inputs.readings import available_readings
from decision.inputs.rulebook import load_rulebook
from tests.conftest import DOMAINS_DIR, RULES_DIR

SHIPPED = {
    "science-without-translation": "VR01",
    "growth-without-transition-is-gap": "VR02",
    "feasibility-demotes": "VR03",
    "internationalise-needs-full-strength": "VR04",
}


def _profile(tmp_path, scores: dict) -> list:
    path = tmp_path / "p.yaml"
    body = ", ".join(f"{k}: {v}" for k, v in scores.items())
    path.write_text(f"id: p\nname: P\nscores: {{{body}}}\n", encoding="utf-8")
    return [path]


def test_the_shipped_readings_are_the_four_flagged_interpretations():
    assert available_readings(RULES_DIR) == sorted(SHIPPED)
    for name, code in SHIPPED.items():
        [info] = load_rulebook(RULES_DIR, [name]).readings
        assert (info.code, info.name, info.file) == (code, name, f"readings/{name}.yaml")
        # Each reading stands for a flagged interpretation of the default rules.
        base = load_rulebook(RULES_DIR)
        for flagged in info.alternative_to:
            element = base.leaves.get(flagged) or base.criteria.get(flagged)
            assert element is not None, flagged
            assert flagged == base.feasibility.criterion or element.interpretation, flagged


def test_the_flagged_branch_cites_both_passages(rulebook):
    leaf = rulebook.leaves["VL12"]
    assert leaf.category == "moonshot" and leaf.interpretation
    assert "rec. 1.3" in leaf.cite and "rec. 2.2" in leaf.cite
    assert "science-without-translation" in leaf.interpretation


# (reading, scores, default outcome, outcome under the reading)
MOVES = {
    "science-only": (
        "science-without-translation",
        {"economic": 2, "innovation": 2, "technology": 2, "science": 5, "opportunity": 4, "transition": 4},
        ("moonshot", None, "VL12"),
        ("ecosystem-gap", None, "VL13"),
    ),
    "growth-no-transition": (
        "growth-without-transition-is-gap",
        {"economic": 4, "innovation": 2, "technology": 2, "science": 2, "opportunity": 4, "transition": 1},
        ("no-focus", None, "VL08"),
        ("ecosystem-gap", None, "VL14"),
    ),
    "moonshot-not-feasible": (
        "feasibility-demotes",
        {
            "economic": 1,
            "innovation": 4,
            "technology": 1,
            "science": 1,
            "opportunity": 4,
            "transition": 4,
            "feasibility": 1,
        },
        ("moonshot", None, "VL06"),
        ("no-focus", "not-feasible-now", "VL15"),
    ),
    "economic-without-knowledge": (
        "internationalise-needs-full-strength",
        {"economic": 5, "innovation": 1, "technology": 1, "science": 5, "opportunity": 1, "transition": 4},
        ("no-focus", "internationalisation", "VL10"),
        ("no-focus", "partnership", "VL11"),
    ),
}


@pytest.mark.parametrize("case", list(MOVES), ids=list(MOVES))
def test_a_reading_moves_its_branch_and_only_there(tmp_path, case):
    name, scores, before, after = MOVES[case]
    default = load_rulebook(RULES_DIR)
    reading = load_rulebook(RULES_DIR, [name])
    paths = _profile(tmp_path, scores)
    [a] = classify_all(load_profiles(paths, default), default)
    [b] = classify_all(load_profiles(paths, reading), reading)
    assert (a.category, a.variant, a.leaf.code) == before
    assert (b.category, b.variant, b.leaf.code) == after
    assert a.readings == [] and b.readings == [f"{SHIPPED[name]} {name}"]
    # A domain away from the branch lands where it did.
    shipped = load_profiles([DOMAINS_DIR / "pharma.yaml"], default)
    assert classify_all(shipped, reading)[0].leaf.code == classify_all(shipped, default)[0].leaf.code == "VL01"


def test_default_results_serialise_without_a_readings_field(run_cli):
    data = json.loads(run_cli("classify", "-f", "json").stdout)
    assert all("readings" not in item for item in data)


def test_reading_option_on_classify_and_explain(run_cli):
    plain = json.loads(run_cli("classify", "domains/technologies", "-f", "json").stdout)
    read = json.loads(
        run_cli("classify", "domains/technologies", "-f", "json", "--reading", "science-without-translation").stdout
    )
    before = {r["id"]: r["category"] for r in plain}
    after = {r["id"]: r["category"] for r in read}
    assert {k for k in before if before[k] != after[k]} == {"kst-microelectronics"}
    assert after["kst-microelectronics"] == "ecosystem-gap"
    assert all(r["readings"] == ["VR01 science-without-translation"] for r in read)
    explained = run_cli(
        "explain", "kst-microelectronics", "domains/technologies", "--reading", "science-without-translation"
    )
    assert "Reading: VR01 science-without-translation (an alternative reading" in explained.stdout
    assert "VL13 gap.science-without-translation" in explained.stdout


def test_readings_command_lists_the_domains_that_depend_on_an_interpretation(run_cli):
    result = run_cli("readings", "domains", "domains/technologies", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["code"] for r in data["readings"]] == ["VR01", "VR02", "VR03", "VR04"]
    by_id = {d["id"]: d for d in data["domains"]}
    assert by_id["kst-microelectronics"]["moved_by"] == ["feasibility-demotes", "science-without-translation"] or set(
        by_id["kst-microelectronics"]["moved_by"]
    ) == {"feasibility-demotes", "science-without-translation"}
    assert by_id["metals"]["moved_by"] == ["internationalise-needs-full-strength"]
    assert by_id["pharma"]["moved_by"] == []
    assert set(data["dependent"]) == {d["id"] for d in data["domains"] if d["moved_by"]}
    text = run_cli("readings", "domains", "--reading", "internationalise-needs-full-strength")
    assert "Depends on an interpretation, not on the source:" in text.stdout
    assert "metals: no-focus/internationalisation (VL10) by default" in text.stdout


def test_rules_check_proves_every_reading(run_cli):
    result = run_cli("rules", "check")
    assert result.exit_code == 0, result.stderr
    for name, code in SHIPPED.items():
        assert f"reading {code} {name}: total and unambiguous as well" in result.stdout


def test_an_unknown_reading_is_a_usage_error(run_cli):
    with pytest.raises(UsageError, match="known: feasibility-demotes, growth"):
        load_rulebook(RULES_DIR, ["no-such-reading"])
    result = run_cli("classify", "--reading", "no-such-reading")
    assert result.exit_code == 2
    assert "--reading no-such-reading: no such reading" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_recorded_run_replays_under_its_reading(run_cli, tmp_path):
    shutil.copytree(RULES_DIR, tmp_path / "rules")
    shutil.copytree(DOMAINS_DIR / "technologies", tmp_path / "tech")
    args = ("classify", "tech", "--rules", "rules", "--reading", "science-without-translation")
    recorded = run_cli(*args, "--record", "--store", "audit.sqlite", cwd=tmp_path)
    assert recorded.exit_code == 0, recorded.stderr
    show = json.loads(run_cli("audit", "show", "1", "--store", "audit.sqlite", "-f", "json", cwd=tmp_path).stdout)
    assert "readings/science-without-translation.yaml" in json.dumps(show)
    # The files move away: the stored reading still replays to the same results.
    shutil.rmtree(tmp_path / "rules")
    verify = run_cli("audit", "verify", "--store", "audit.sqlite", cwd=tmp_path)
    assert verify.exit_code == 0, verify.stdout + verify.stderr
    assert "verify passed" in verify.stdout


# Broken readings: (file text, expected message, the text the message must point at).
READING_CASES = {
    "unknown-criterion": (
        "code: VR09\nname: broken\nlabel: a broken one\nalternative_to: [VL08]\ninstead_of: the default one\n"
        "cite: nowhere\nnodes:\n  - code: VT09\n    criterion: VC99\n",
        'VT09: unknown criterion "VC99"',
        "criterion: VC99",
    ),
    "unknown-target": (
        "code: VR09\nname: broken\nlabel: a broken one\nalternative_to: [VL08]\ninstead_of: the default one\n"
        "cite: nowhere\nnodes:\n  - code: VT09\n    if_no: VL77\n",
        'VT09: unknown node or leaf "VL77"',
        "if_no: VL77",
    ),
    "unknown-field": (
        "code: VR09\nname: broken\nlabel: a broken one\nalternative_to: [VL08]\ninstead_of: the default one\n"
        "cite: nowhere\nleaves:\n  - code: VL08\n    colour: red\n",
        'VL08: unknown field "colour"',
        "colour: red",
    ),
    "name-differs-from-file": (
        "code: VR09\nname: other\nlabel: a broken one\nalternative_to: [VL08]\ninstead_of: the default one\ncite: x\n",
        'name: must match the file name "broken"',
        "name: other",
    ),
    "orphaned-leaf": (
        "code: VR09\nname: broken\nlabel: a broken one\nalternative_to: [VL08]\ninstead_of: the default one\n"
        "cite: nowhere\nnodes:\n  - code: VT09\n    if_no: VL09\n  - code: VT10\n    if_no: VL09\n"
        "  - code: VT11\n    if_no: VL09\n",
        "VL08: no path from the root reaches it",
        None,
    ),
    "unknown-alternative": (
        "code: VR09\nname: broken\nlabel: a broken one\nalternative_to: [VL99]\ninstead_of: the default one\ncite: x\n",
        'VR09: unknown code "VL99"',
        "VL99",
    ),
}


@pytest.mark.parametrize("case", list(READING_CASES), ids=list(READING_CASES))
def test_a_broken_reading_is_located(rules_copy, run_cli, case):
    text, message, marker = READING_CASES[case]
    path = rules_copy / "readings" / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rulebook(rules_copy, ["broken"])
    rendered = [p.render() for p in caught.value.problems]
    assert any(message in line for line in rendered), rendered
    if marker is not None:
        [line_number] = [n for n, line in enumerate(text.split("\n"), 1) if marker in line]
        assert any(line.startswith(f"{path}:{line_number}:") and message in line for line in rendered), rendered
    result = run_cli("classify", "--rules", rules_copy, "--reading", "broken")
    assert result.exit_code == 3 and message in result.stderr and "Traceback" not in result.stderr


def test_two_readings_may_not_claim_the_same_new_code(rules_copy):
    source = (rules_copy / "readings" / "science-without-translation.yaml").read_text(encoding="utf-8")
    copy = source.replace("code: VR01", "code: VR09").replace(
        "name: science-without-translation\nlabel", "name: twin\nlabel"
    )
    (rules_copy / "readings" / "twin.yaml").write_text(copy, encoding="utf-8")
    with pytest.raises(RulesError, match='also added by the reading "science-without-translation"'):
        load_rulebook(rules_copy, ["science-without-translation", "twin"])


def test_readings_that_do_not_combine_say_so():
    with pytest.raises(RulesError, match='"VL12" is retired by the reading "science-without-translation"'):
        load_rulebook(RULES_DIR, ["science-without-translation", "feasibility-demotes"])
    combined = load_rulebook(RULES_DIR, ["growth-without-transition-is-gap", "internationalise-needs-full-strength"])
    assert [r.code for r in combined.readings] == ["VR02", "VR04"]


def test_a_misspelt_reading_gets_a_suggestion(run_cli):
    result = run_cli("classify", "--reading", "science-without-translaton")
    assert result.exit_code == 2
    assert 'did you mean "science-without-translation"?' in result.stderr


def test_a_banner_says_when_the_rules_are_not_as_shipped(run_cli):
    markdown = run_cli("classify", "-f", "markdown", "--reading", "feasibility-demotes").stdout
    assert "- **Not the rules as shipped:** read under VR03 feasibility-demotes (not the default reading)" in markdown
    table = run_cli("classify", "--reading", "feasibility-demotes", "--threshold", "science=4.5").stdout
    assert "thresholds changed for this run: science >= 4.5 (--threshold)" in table
    assert "Not the rules as shipped" not in run_cli("classify", "-f", "markdown").stdout
