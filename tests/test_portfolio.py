"""``decision portfolio`` and rules/portfolio.yaml: counts per category and variant checked
against ``classify``, each portfolio warning (VP01-VP04) set off by a low limit or a small
portfolio, and a bad portfolio.yaml reported as ``file:line:col`` with exit 3."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from decision.analyses.portfolio import portfolio_report
from decision.engine.walk import classify_all
from decision.inputs.profiles import load_profiles
from decision.inputs.rulebook import PORTFOLIO_CHECKS, load_rulebook
from tests.conftest import DOMAINS_DIR, write
from tests.test_bad_profiles import assert_clean_failure
from tests.test_bad_rules import edit, rendered, where


def report_of(run_cli, *args) -> dict:
    result = run_cli("portfolio", *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def codes(report: dict) -> list[str]:
    return [w["code"] for w in report["warnings"]]


def domains(*ids: str) -> list[Path]:
    return [DOMAINS_DIR / f"{domain_id}.yaml" for domain_id in ids]


# --- counts ------------------------------------------------------------------------------------


def test_counts_on_the_shipped_domains_agree_with_classify(run_cli):
    classified = json.loads(run_cli("classify", "-f", "json").stdout)
    report = report_of(run_cli)
    assert report["domains"] == len(classified)
    by_category = {row["category"]: row for row in report["categories"]}
    assert list(by_category) == ["strong", "ecosystem-gap", "moonshot", "no-focus"]
    for category, row in by_category.items():
        expected = [r["id"] for r in classified if r["category"] == category]
        assert row["domains"] == expected
        assert row["count"] == len(expected)
        for variant in row["variants"]:
            wanted = [r["id"] for r in classified if r["category"] == category and r["variant"] == variant["variant"]]
            assert variant["domains"] == wanted
    undetermined = [r for r in classified if r["category"] == "undetermined"]
    assert [u["id"] for u in report["undetermined"]] == [r["id"] for r in undetermined]
    assert [u["reachable"] for u in report["undetermined"]] == [r["reachable"] for r in undetermined]
    # Every domain is counted exactly once, in a category or as undetermined.
    assert sum(row["count"] for row in by_category.values()) + len(undetermined) == len(classified)
    counts = Counter(r["category"] for r in classified)
    assert by_category["moonshot"]["count"] == counts["moonshot"] == 3


def test_shipped_counts_in_detail(run_cli):
    report = report_of(run_cli)
    by_category = {row["category"]: row for row in report["categories"]}
    assert by_category["strong"]["domains"] == ["biotech", "pharma"]
    assert by_category["strong"]["may_join"] == ["scientific-rd"]
    assert (by_category["strong"]["at_least"], by_category["strong"]["at_most"]) == (2, 3)
    assert by_category["moonshot"]["may_join"] == ["architects-engineering"]
    no_focus = by_category["no-focus"]
    assert [(v["variant"], v["count"]) for v in no_focus["variants"]] == [
        (None, 0),
        ("internationalisation", 1),
        ("partnership", 0),
    ]
    assert by_category["strong"]["variants"] == []
    # Both undetermined domains are strategic whichever way they resolve.
    strategic = report["strategic"]
    assert (strategic["at_least"], strategic["at_most"], strategic["limit"]) == (11, 11, 7)
    assert strategic["undetermined"] == ["architects-engineering", "scientific-rd"]
    moonshots = report["moonshots"]
    assert (moonshots["at_least"], moonshots["at_most"], moonshots["limit"]) == (3, 4, 3)


def test_library_and_cli_agree(run_cli, rulebook):
    results = classify_all(load_profiles([DOMAINS_DIR], rulebook), rulebook)
    assert portfolio_report(rulebook, results).model_dump(mode="json") == report_of(run_cli)


# --- the warnings --------------------------------------------------------------------------------


def test_shipped_warnings(run_cli):
    report = report_of(run_cli)
    assert codes(report) == ["VP03", "VP04", "VP04"]
    vp03, architects, scientific = report["warnings"]
    assert vp03["message"] == (
        "11 strategic domains (strong, ecosystem-gap, moonshot; 2 of them undetermined but strategic either way), "
        "more than the limit of 7 (max_strategic_domains): too many fragment the impact"
    )
    assert vp03["cite"].startswith("VARIO 2026, rec. 2")
    assert "7" in vp03["interpretation"]
    assert architects["message"] == (
        "architects-engineering is undetermined (missing economic) and may be ecosystem-gap or moonshot; "
        "as moonshot: sets off VP01 (4 moonshot domains, limit 3)"
    )
    assert architects["domains"] == ["architects-engineering"]
    assert (
        scientific["message"] == "scientific-rd is undetermined (missing economic) and may be ecosystem-gap or strong"
    )


def test_vp01_too_many_moonshots(run_cli, rules_copy):
    edit(rules_copy, "portfolio.yaml", "max_moonshots: 3", "max_moonshots: 2")
    report = report_of(run_cli, "--rules", rules_copy)
    [vp01] = [w for w in report["warnings"] if w["code"] == "VP01"]
    assert vp01["name"] == "too-many-moonshots"
    assert vp01["message"] == (
        "3 moonshot domains, more than the limit of 2 (max_moonshots): electronics, hpc, it-programming"
    )
    assert vp01["domains"] == ["electronics", "hpc", "it-programming"]
    assert vp01["cite"] == "VARIO 2026, rec. 2.3 (make a limited number of moonshot choices, selected with great care)"
    # architects-engineering as a moonshot no longer sets VP01 off: it is already on.
    [architects] = [w for w in report["warnings"] if w["domains"] == ["architects-engineering"]]
    assert architects["message"].endswith("may be ecosystem-gap or moonshot")


def test_vp01_at_the_limit_is_quiet(run_cli):
    report = report_of(run_cli, *domains("electronics", "hpc", "it-programming"))
    assert "VP01" not in codes(report)


def test_vp02_empty_categories(run_cli):
    report = report_of(run_cli, *domains("pharma", "metals"))
    vp02 = [w for w in report["warnings"] if w["code"] == "VP02"]
    assert [w["message"] for w in vp02] == [
        "no ecosystem-gap domain: the portfolio does not combine every category of diversify_across "
        "(strong, ecosystem-gap, moonshot)",
        "no moonshot domain: the portfolio does not combine every category of diversify_across "
        "(strong, ecosystem-gap, moonshot)",
    ]
    assert codes(report) == ["VP02", "VP02"]  # no-focus is not in diversify_across


def test_vp02_follows_diversify_across(run_cli, rules_copy):
    edit(
        rules_copy,
        "portfolio.yaml",
        "diversify_across: [strong, ecosystem-gap, moonshot]",
        "diversify_across: [no-focus]",
    )
    assert codes(report_of(run_cli, *domains("pharma", "metals"), "--rules", rules_copy)) == []
    report = report_of(run_cli, *domains("pharma"), "--rules", rules_copy)
    assert [w["message"].split(":")[0] for w in report["warnings"]] == ["no no-focus domain"]


def test_vp03_fragmentation(run_cli, rules_copy):
    three = domains("pharma", "semiconductors", "hpc")
    assert codes(report_of(run_cli, *three)) == []
    edit(rules_copy, "portfolio.yaml", "max_strategic_domains: 7", "max_strategic_domains: 2")
    report = report_of(run_cli, *three, "--rules", rules_copy)
    [vp03] = report["warnings"]
    assert vp03["code"] == "VP03"
    assert vp03["message"] == (
        "3 strategic domains (strong, ecosystem-gap, moonshot), more than the limit of 2 "
        "(max_strategic_domains): too many fragment the impact"
    )
    assert vp03["domains"] == ["pharma", "semiconductors", "hpc"]


def test_vp04_an_undetermined_domain_that_would_clear_a_warning(run_cli):
    report = report_of(run_cli, *domains("semiconductors", "hpc", "scientific-rd"))
    assert codes(report) == ["VP02", "VP04"]
    assert report["warnings"][0]["message"].startswith("no strong domain")
    assert report["warnings"][1]["message"] == (
        "scientific-rd is undetermined (missing economic) and may be ecosystem-gap or strong; "
        "as strong: clears VP02 (no strong domain)"
    )
    strong = report["categories"][0]
    assert (strong["count"], strong["at_least"], strong["at_most"], strong["may_join"]) == (0, 0, 1, ["scientific-rd"])


def test_threshold_moves_the_counts(run_cli):
    report = report_of(run_cli, "--threshold", "economic=4.5")
    by_category = {row["category"]: row for row in report["categories"]}
    assert by_category["strong"]["domains"] == ["pharma"]  # biotech's economic 4 fails 4.5


def test_every_check_has_its_warning(rulebook):
    assert [w.name for w in rulebook.portfolio.warnings] == list(PORTFOLIO_CHECKS)
    assert [w.code for w in rulebook.portfolio.warnings] == ["VP01", "VP02", "VP03", "VP04"]
    assert all(w.interpretation for w in rulebook.portfolio.warnings)


def test_text_output(run_cli):
    result = run_cli("portfolio", *domains("pharma", "metals"))
    assert result.exit_code == 0, result.stderr
    assert "Portfolio (2 domains)" in result.stdout
    assert "Strategic domains (strong, ecosystem-gap, moonshot): 1, limit 7 (max_strategic_domains)" in result.stdout
    assert "  VP02 empty-category: no ecosystem-gap domain" in result.stdout


def test_bad_profiles_are_exit_2(run_cli, tmp_path):
    bad = write(tmp_path / "p.yaml", "id: x\nname: X\nscores:\n  sciense: 4\n")
    lines = assert_clean_failure(run_cli("portfolio", bad))
    assert lines[0].startswith(f"{bad}:4:3: scores.sciense: unknown score")


# --- rules/portfolio.yaml --------------------------------------------------------------------------


def test_unknown_field_is_located(rules_copy, run_cli):
    path = edit(rules_copy, "portfolio.yaml", "max_moonshots: 3\n", "max_moonshots: 3\nmax_moonshot: 2\n")
    line, column = where(path, "max_moonshot: 2", "max_moonshot")
    expected = f'{path}:{line}:{column}: max_moonshot: unknown field "max_moonshot"'
    assert rendered(rules_copy) == [expected]
    lines = assert_clean_failure(run_cli("portfolio", "--rules", rules_copy), exit_code=3)
    assert lines == [expected, "error: 1 problem in the rules folder"]


@pytest.mark.parametrize(
    ("old", "new", "line_text", "token", "message"),
    [
        (
            "max_moonshots: 3",
            "max_moonshots: 3.5",
            "max_moonshots: 3.5",
            "3.5",
            "max_moonshots: expected a whole number, got the number 3.5",
        ),
        (
            "max_moonshots: 3",
            "max_moonshots: -1",
            "max_moonshots: -1",
            "-1",
            "max_moonshots: must be at least 0, got the number -1",
        ),
        (
            "max_strategic_domains: 7",
            "max_strategic_domains: yes",
            "max_strategic_domains: yes",
            "yes",
            "max_strategic_domains: expected a whole number, got the truth value true",
        ),
        (
            "strategic_categories: [strong, ecosystem-gap, moonshot]",
            "strategic_categories: [strong, ecosystem-gap, moonshots]",
            "strategic_categories: [strong",
            "moonshots",
            'strategic_categories: unknown category "moonshots" (known: strong, ecosystem-gap, moonshot, no-focus)',
        ),
        (
            "diversify_across: [strong, ecosystem-gap, moonshot]",
            "diversify_across: [strong, strong]",
            "diversify_across: [strong, strong]",
            "strong]",
            'diversify_across: duplicate category "strong"',
        ),
    ],
)
def test_bad_portfolio_settings(rules_copy, old, new, line_text, token, message):
    path = edit(rules_copy, "portfolio.yaml", old, new)
    line, column = where(path, line_text, token)
    assert rendered(rules_copy) == [f"{path}:{line}:{column}: {message}"]


def test_unknown_check_name(rules_copy):
    path = edit(rules_copy, "portfolio.yaml", "    name: empty-category", "    name: empty-categry")
    line, column = where(path, "name: empty-categry", "empty-categry")
    warnings_line, _ = where(path, "warnings:", "warnings")
    known = ", ".join(PORTFOLIO_CHECKS)
    # The typo is unknown, and the real check is then left without a warning.
    assert rendered(rules_copy) == [
        f'{path}:{warnings_line}:1: warnings: no warning for the check "empty-category"',
        f'{path}:{line}:{column}: VP02: unknown check "empty-categry" (known: {known})',
    ]


def test_duplicate_and_malformed_codes(rules_copy):
    path = edit(rules_copy, "portfolio.yaml", "  - code: VP03", "  - code: VP01")
    lines = path.read_text().splitlines()
    line = [n for n, text in enumerate(lines, 1) if text == "  - code: VP01"][1]
    assert rendered(rules_copy) == [f'{path}:{line}:{lines[line - 1].index("VP01") + 1}: VP01: duplicate code "VP01"']
    edit(rules_copy, "portfolio.yaml", "  - code: VP04", "  - code: VP4")
    line, column = where(path, "code: VP4", "VP4")
    # A field error stops the loader before the cross-checks: only the pattern is reported.
    [problem] = rendered(rules_copy)
    assert problem.startswith(f"{path}:{line}:{column}: warnings.3.code: String should match pattern")


def test_missing_portfolio_file(rules_copy, run_cli):
    (rules_copy / "portfolio.yaml").unlink()
    expected = f"{rules_copy / 'portfolio.yaml'}:1:1: file: missing rules file"
    assert rendered(rules_copy) == [expected]
    assert assert_clean_failure(run_cli("classify", "--rules", rules_copy), exit_code=3)[0] == expected


def test_moonshot_category_must_exist(rules_copy):
    # Renaming the category in tree.yaml leaves max_moonshots counting nothing: an error.
    tree = rules_copy / "tree.yaml"
    tree.write_text(tree.read_text().replace("moonshot:\n    label: Moonshot", "long-shot:\n    label: Moonshot"))
    tree.write_text(tree.read_text().replace("    category: moonshot\n", "    category: long-shot\n"))
    tree.write_text(tree.read_text().replace("[strong, ecosystem-gap, moonshot]", "[strong, ecosystem-gap, long-shot]"))
    edit(
        rules_copy,
        "portfolio.yaml",
        "ecosystem-gap, moonshot]\n\n# Categories that should",
        "ecosystem-gap, long-shot]\n\n# Categories that should",
    )
    edit(
        rules_copy,
        "portfolio.yaml",
        "diversify_across: [strong, ecosystem-gap, moonshot]",
        "diversify_across: [strong]",
    )
    path = rules_copy / "portfolio.yaml"
    line, column = where(path, "max_moonshots: 3", "3")
    assert rendered(rules_copy) == [
        f'{path}:{line}:{column}: max_moonshots: counts the category "moonshot", which tree.yaml does not define'
    ]


def test_portfolio_file_is_part_of_the_rules_identity(rules_copy):
    before = load_rulebook(rules_copy).identity()
    edit(rules_copy, "portfolio.yaml", "max_moonshots: 3", "max_moonshots: 4")
    assert load_rulebook(rules_copy).identity() != before


def test_machine_json_is_the_same_text_as_dumping_the_dicts(rulebook, tmp_path):
    """to_json serialises one result at a time with pydantic; the text must be exactly what
    json.dumps of the dumped dicts gives (ranges, derivations, undetermined, non-ASCII)."""
    import json

    from decision.analyses.margins import with_fragility
    from decision.engine.walk import classify_all
    from decision.inputs.profiles import load_profiles
    from decision.renderers.machine import to_json
    from tests.conftest import DOMAINS_DIR, REPO, write

    extra = write(
        tmp_path / "odd.yaml",
        'id: odd\nname: Énergie & «quotes» "x"\\n\nscores:\n  economic: {value: 3, low: 2, high: 4.5}\n'
        "  science: 0.0001\n",
    )
    profiles = load_profiles([DOMAINS_DIR / "technologies", REPO / "examples" / "ranges.yaml", extra], rulebook)
    results = with_fragility(rulebook, profiles, classify_all(profiles, rulebook))
    expected = json.dumps([r.model_dump(mode="json") for r in results], indent=2, ensure_ascii=False) + "\n"
    assert to_json(results) == expected
    assert to_json([]) == json.dumps([]) + "\n"
