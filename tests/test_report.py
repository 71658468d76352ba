"""`decision report` (HTML and Markdown) and `decision classify -f xlsx`.

The HTML report is also opened in real headless Chromium: the DOM it builds must hold a
hostile profile's markup as text, with no script or image element, and a screenshot of
it must show a page. Those tests skip only when no Chromium can be found (`.ci/run`
installs Debian's `chromium`).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import DOMAINS_DIR, REPO, RULES_DIR, find_chromium, write

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_NOTE = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://example.invalid","click")'
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def hostile_profile(folder: Path) -> Path:
    """A valid profile whose name and notes are markup, and one note a spreadsheet formula."""
    return write(
        folder / "hostile.yaml",
        f"""id: hostile
name: "{HOSTILE_NAME}"
description: "{HOSTILE_NOTE}"
scores:
  economic:
    value: 4
    source: "{HOSTILE_NOTE} & [x](javascript:alert(1))"
    note: "</td></tr></table><h1>injected</h1>"
  innovation: {{value: 4, note: '{FORMULA}'}}
  technology: {{value: 4, note: '\\<script>bypass(1)\\</script> \\[y](javascript:alert(2))'}}
  science: {{value: 5, note: "{HOSTILE_NOTE}"}}
  opportunity: 4
  transition: 4
  feasibility: 4
""",
    )


def shipped_ids() -> list[str]:
    import yaml

    return [yaml.safe_load(p.read_text(encoding="utf-8"))["id"] for p in sorted(DOMAINS_DIR.glob("*.yaml"))]


@pytest.fixture
def html_report(run_cli, tmp_path) -> Path:
    """The report of the shipped domains plus the hostile profile."""
    out = tmp_path / "report.html"
    result = run_cli("report", DOMAINS_DIR, hostile_profile(tmp_path / "in"), "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"wrote {out}\n"
    return out


class DomCollector(HTMLParser):
    """Start tags (with attributes) and the text of a document, as a browser would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> DomCollector:
    collector = DomCollector()
    collector.feed(html)
    return collector


# --- HTML, read as text --------------------------------------------------------------------------


def test_html_report_is_self_contained_and_complete(run_cli, tmp_path):
    out = tmp_path / "report.html"
    result = run_cli("report", "--out", out)
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    dom = parse(html)
    names = [tag for tag, _ in dom.tags]
    assert "script" not in names and "img" not in names and "iframe" not in names and "link" not in names
    for _, attrs in dom.tags:
        assert not any(key.startswith("on") for key in attrs)
        for key in ("href", "src"):
            assert attrs.get(key) is None or attrs[key].startswith("#"), attrs
    style = html[html.index("<style>") : html.index("</style>")]
    assert "url(" not in style and "@import" not in style  # no font, image or sheet to fetch
    csp = [a["content"] for tag, a in dom.tags if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]  # no script may run, nothing may load
    # Summary by category, with counts and members, in the rules' order.
    data = json.loads(run_cli("classify", "-f", "json").stdout)
    for category in ("strong", "ecosystem-gap", "moonshot", "no-focus", "undetermined"):
        members = [d for d in data if d["category"] == category]
        assert (
            f'title="{category}: {len(members)}"' in html or not members
        )  # the bar (narrow parts show the count only)
        for item in members:
            assert f'#d-{item["id"]}">' in html
    # One section per domain, with scores and provenance, path, actions, warnings, fragile.
    for item in data:
        assert f'id="d-{item["id"]}"' in html
    assert html.count('<section class="domain ') == len(data)
    chemicals = html[html.index('id="d-chemicals"') : html.index('id="d-electronics"')]
    assert "at domains/chemicals.yaml:9" in chemicals  # provenance of economic
    assert "science 3.5 &lt; 4 (fails)" in chemicals  # a reading, escaped
    assert "VARIO 2026, rec. 1.3 (gap case 1); rec. 2.2" in chemicals  # the leaf's citation
    assert '<span class="flag">interpretation</span> The source pairs innovation' in chemicals
    assert "VA17" in chemicals and "missing link: science" in chemicals  # an action and why
    assert "VW01" in chemicals  # a warning
    assert "science +0.5 <span" in chemicals and "strong</li>" in chemicals  # fragile notes
    # The tree, with where each domain went.
    assert '<pre class="tree">' in html
    assert "VL02 gap.missing-science =&gt; ECOSYSTEM-GAP (missing: science)</span>" in html
    assert "&lt;- chemicals, food" in html
    assert "&lt;- ? architects-engineering, scientific-rd" in html


def test_hostile_profile_text_is_escaped_everywhere(html_report):
    html = html_report.read_text(encoding="utf-8")
    assert HOSTILE_NAME not in html and HOSTILE_NOTE not in html
    assert "<h1>injected</h1>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    dom = parse(html)
    assert [tag for tag, _ in dom.tags].count("h1") == 1
    assert "script" not in [tag for tag, _ in dom.tags]
    text = "".join(dom.text)
    assert HOSTILE_NAME in text and HOSTILE_NOTE in text


def test_report_refuses_to_overwrite_and_infers_the_format(run_cli, tmp_path):
    target = tmp_path / "report.html"
    target.write_text("keep me")
    refused = run_cli("report", "--out", target)
    assert refused.exit_code == 2
    assert refused.stderr == f"error: {target}: already exists; pass --force to overwrite it\n"
    assert target.read_text() == "keep me"
    assert run_cli("report", "--out", target, "--force").exit_code == 0
    assert target.read_text().startswith("<!DOCTYPE html>")
    markdown = tmp_path / "report.md"
    assert run_cli("report", "--out", markdown).exit_code == 0
    assert markdown.read_text().startswith("# VARIO classification report\n")
    explicit = tmp_path / "report.txt"
    assert run_cli("report", "--out", explicit, "--format", "markdown").exit_code == 0
    assert explicit.read_text() == markdown.read_text()
    unknown = run_cli("report", "--out", tmp_path / "report.pdf")
    assert unknown.exit_code == 2
    assert 'cannot tell the format from the suffix ".pdf"' in unknown.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.md", "report.txt"]


def test_report_honours_threshold_overrides(run_cli, tmp_path):
    out = tmp_path / "report.html"
    assert run_cli("report", "--out", out, "--threshold", "science=4.5").exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "science &gt;= 4.5" in html and "--threshold" in html


def test_tree_marks_every_domain_exactly_once(rulebook):
    from decision.engine.walk import classify_all
    from decision.inputs.profiles import load_profiles
    from decision.renderers.report import annotated_tree

    results = classify_all(load_profiles([DOMAINS_DIR], rulebook), rulebook)
    lines = annotated_tree(results, rulebook)
    marked = sorted(i for line in lines for i in [*line.reached, *line.stopped])
    assert marked == sorted(r.id for r in results)
    # Each mark sits on the line of the leaf reached, or of the question left open.
    for line in lines:
        for domain_id in line.reached:
            leaf = next(r.leaf for r in results if r.id == domain_id)
            assert f": {leaf.code} " in line.text
        for domain_id in line.stopped:
            last = next(r.path[-1] for r in results if r.id == domain_id)
            assert f"{last.node} " in line.text and last.outcome == "unknown"


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_report_has_the_same_content(run_cli, tmp_path):
    out = tmp_path / "report.md"
    result = run_cli("report", DOMAINS_DIR, hostile_profile(tmp_path / "in"), "--out", out)
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    for heading in ("## Portfolio by category", "## Portfolio", "## Thresholds in force", "## Domains"):
        assert f"\n{heading}\n" in text
    assert "| **ecosystem-gap**: Gap in the ecosystem | 4 |" in text
    for domain_id in [*shipped_ids(), "hostile"]:
        assert f"(`{domain_id}`)\n" in text  # the domain's heading
    # The explanation of one domain, as `explain -f markdown` writes it, one heading level down.
    explained = run_cli("explain", "chemicals", "-f", "markdown").stdout
    body = explained.replace("\n### ", "\n#### ").replace("## Chemical", "### Chemical", 1)
    assert body in text
    assert "**Feasibility check:** VC06 [F]: feasibility 2 < 3 (fails) -> no." in text
    assert "\n## The decision tree\n" in text
    assert "VL02 gap.missing-science => ECOSYSTEM-GAP (missing: science)  <- chemicals, food" in text
    # Markup from a profile is inert in Markdown: no raw tag, no link.
    assert not re.search(r"<(script|img|/td|h1)", text)
    assert "&lt;script>alert(1)&lt;/script>" in text
    assert "&lt;img src=x onerror=alert(1)>" in text
    assert "[x](javascript" not in text
    # A backslash before the markup does not undo the neutraliser (it once did).
    assert "\\&lt;script>bypass(1)\\&lt;/script>" in text and "(javascript:alert(2)" not in text


# --- xlsx ---------------------------------------------------------------------------------------


def test_xlsx_matches_the_csv_and_carries_provenance_and_actions(run_cli, tmp_path, rulebook):
    import pandas as pd

    hostile = hostile_profile(tmp_path / "in")
    # The shipped profiles write no score as "na" any more (missing Table 1 figures are
    # "na" indicators), so this one keeps an explicit "na" score in the workbook.
    open_score = write(
        tmp_path / "in" / "open.yaml",
        """id: open-score
name: Open score
scores:
  economic: {value: na, source: "Table 1 (na)", note: "no figure"}
  innovation: 4
  technology: 4
  science: 4
  opportunity: 4
  transition: 4
  feasibility: 4
""",
    )
    out = tmp_path / "portfolio.xlsx"
    result = run_cli("classify", DOMAINS_DIR, hostile, open_score, "-f", "xlsx", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes()[:2] == b"PK"
    sheets = pd.read_excel(out, sheet_name=None, dtype=str, keep_default_na=False)
    assert list(sheets) == ["portfolio", "scores", "actions"]
    csv_text = run_cli("classify", DOMAINS_DIR, hostile, open_score, "-f", "csv").stdout
    expected = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    portfolio = sheets["portfolio"]
    assert list(portfolio.columns) == list(expected.columns)
    scores = list(rulebook.scores)
    text_columns = [c for c in expected.columns if c not in scores]
    assert portfolio[text_columns].to_dict("records") == expected[text_columns].to_dict("records")
    numbers = pd.read_excel(out, sheet_name="portfolio")
    for column in scores:
        assert numbers[column].dtype.kind in "fi"  # numbers, not text
        assert [f"{v:g}" if v == v else "" for v in numbers[column]] == list(expected[column])

    data = {d["id"]: d for d in json.loads(run_cli("classify", DOMAINS_DIR, hostile, open_score, "-f", "json").stdout)}
    sheet = sheets["scores"]
    assert len(sheet) == len(data) * len(scores) + sum(len(d["factors"]) for d in data.values())
    semis = sheet[(sheet["id"] == "semiconductors") & (sheet["score"] == "economic")].iloc[0]
    assert semis["value"] == "2" and semis["assumption"] == "True"
    assert semis["location"] == "domains/semiconductors.yaml:9"
    assert semis["source"].startswith("VARIO 2026 (seed 002), Table 1")
    assert (semis["threshold_op"], semis["threshold"], semis["threshold_origin"]) == (">=", "4", "rules")
    absent = sheet[(sheet["id"] == "open-score") & (sheet["score"] == "economic")].iloc[0]
    assert absent["value"] == "" and absent["symbol"] == "na" and absent["origin"] == "profile"
    # A score derived from "na" figures only is missing too, and says which figures were na.
    underived = sheet[(sheet["id"] == "architects-engineering") & (sheet["score"] == "technology")].iloc[0]
    assert underived["value"] == "" and underived["origin"] == "indicators"
    assert underived["note"].startswith("VD01") and "t1_patents" in underived["note"]
    actions = sheets["actions"]
    assert len(actions) == sum(len(d["actions"]) for d in data.values())
    first = data["chemicals"]["actions"][0]
    row = actions[(actions["id"] == "chemicals") & (actions["action"] == first["code"])].iloc[0]
    assert (row["text"], row["because"], row["cite"]) == (first["text"], first["because"], first["cite"])


def test_xlsx_stores_a_formula_looking_note_as_text(run_cli, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "portfolio.xlsx"
    assert run_cli("classify", hostile_profile(tmp_path / "in"), "-f", "xlsx", "--out", out).exit_code == 0
    sheet = load_workbook(out)["scores"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == FORMULA]
    assert cells and all(cell.data_type == "s" for cell in cells)
    assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_xlsx_needs_out_and_never_overwrites_without_force(run_cli, tmp_path):
    refused = run_cli("classify", "-f", "xlsx")
    assert refused.exit_code == 2
    assert refused.stdout == ""
    assert refused.stderr == "error: --format xlsx writes a binary workbook, not to stdout: give --out FILE.xlsx\n"
    target = tmp_path / "p.xlsx"
    target.write_text("keep me")
    assert run_cli("classify", "-f", "xlsx", "--out", target).exit_code == 2
    assert target.read_text() == "keep me"
    assert run_cli("classify", "-f", "xlsx", "--out", target, "--force").exit_code == 0
    assert target.read_bytes()[:2] == b"PK"
    assert [p.name for p in tmp_path.iterdir()] == ["p.xlsx"]


# --- real headless Chromium ---------------------------------------------------------------------


def chromium(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium not found (neither `chromium` on PATH nor /usr/bin/chromium); .ci/run installs it")
    profile = tmp_path / "chromium-profile"
    command = [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


def png_facts(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values of the decoded image data."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    position, idat = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            idat += data[position + 8 : position + 8 + length]
        position += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_chromium_renders_hostile_text_as_text(html_report, browser):
    page = browser.new_page()
    page.goto(html_report.as_uri())
    dom_text = page.content()
    page.close()
    dom = parse(dom_text)
    tags = [tag for tag, _ in dom.tags]
    assert "script" not in tags and "img" not in tags
    assert tags.count("h1") == 1
    assert tags.count("section") >= len(shipped_ids()) + 1
    text = "".join(dom.text)
    assert HOSTILE_NAME in text and HOSTILE_NOTE in text
    # Serialised by the browser, the hostile strings are escaped text nodes.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom_text
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom_text


def test_chromium_screenshot_shows_a_page(html_report, tmp_path, browser):
    shot = tmp_path / "report.png"
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    page.goto(html_report.as_uri())
    page.screenshot(path=str(shot))
    page.close()
    width, height, distinct = png_facts(shot)
    assert (width, height) == (1280, 2000)
    # A blank page is about 12 kB with a handful of byte values; the report is far richer.
    assert shot.stat().st_size > 100_000
    assert distinct > 100


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\\t"])
def test_csv_cells_never_run_as_formulas_nor_split_rows(run_cli, tmp_path, start):
    import csv

    hostile = write(
        tmp_path / "in" / "formula.yaml",
        f'id: formula\nname: "{start}HYPERLINK(\\"http://example.invalid\\")\\rsecond line\\nthird"\n'
        "scores: {economic: 4, innovation: 4, technology: 4, science: 4, opportunity: 4, transition: 4}\n",
    )
    result = run_cli("classify", hostile, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert "\r" not in result.stdout
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) == 2 == len(result.stdout.splitlines())
    name = rows[1][rows[0].index("name")]
    # OWASP's advice: a leading apostrophe, which spreadsheets show as text.
    assert name.startswith("'" + start.replace("\\t", "\t")) and name.endswith("second line third")
    assert rows[1][rows[0].index("economic")] == "4"  # numbers are left as numbers


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_an_output_is_never_written_over_an_input(run_cli, tmp_path, force):
    profile = write(
        tmp_path / "p.yaml",
        "id: p\nname: P\nscores: {economic: 4, innovation: 4, technology: 4, science: 4, opportunity: 4}\n",
    )
    before = profile.read_bytes()
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    for args in (
        # (-f json: without it, the .yaml name is refused first, as a format classify does not write)
        ["classify", profile, "-f", "json", "--out", profile, *force],
        ["classify", profile, "--rules", rules, "-f", "json", "--out", rules / "tree.yaml", *force],
        ["report", profile, "--out", tmp_path / "p.yaml", "-f", "markdown", *force],
    ):
        result = run_cli(*args)
        assert result.exit_code == 2, args
        assert "is one of this run's inputs" in result.stderr and len(result.stderr.splitlines()) == 1
    assert profile.read_bytes() == before
    assert (rules / "tree.yaml").read_bytes() == (RULES_DIR / "tree.yaml").read_bytes()


def test_the_report_says_when_it_was_written_and_from_which_files(run_cli, tmp_path):
    import hashlib

    out = tmp_path / "report.md"
    assert run_cli("report", "--out", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "- **generated:** 2025-12-02 00:00 UTC" in text  # SOURCE_DATE_EPOCH, pinned by the tests
    digest = hashlib.sha256((REPO / "domains" / "biotech.yaml").read_bytes()).hexdigest()
    assert f"| profile | domains/biotech.yaml | `{digest}` |" in text
    rules = hashlib.sha256((REPO / "rules" / "tree.yaml").read_bytes()).hexdigest()
    assert f"| rules | tree.yaml | `{rules}` |" in text


@pytest.mark.slow  # Chromium prints the report to PDF (about 2 s); CI runs it (pytest -m slow)
def test_the_report_fits_an_a4_page(run_cli, tmp_path):
    """Printed, nothing may stick out of the page: measured in real Chromium with the print
    styles at the width of A4 between its margins (718 CSS pixels)."""
    pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium not found; .ci/run installs it")
    out = tmp_path / "report.html"
    assert run_cli("report", "domains", "domains/technologies", "--out", out).exit_code == 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 718, "height": 1000})
        page.goto(out.as_uri())
        page.emulate_media(media="print")
        width = page.evaluate("document.documentElement.scrollWidth")
        browser.close()
    assert width <= 718
