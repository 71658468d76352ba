"""Markdown forms: the portfolio table and one domain's explanation."""

from __future__ import annotations

import re

from decision.model.result import DomainResult, RecordBinding
from decision.model.wording import category_text, provenance_text, result_derivation_lines, run_banner, step_text

# Raw HTML is legal Markdown, so text from profiles or rules could carry markup into
# whatever renders the file. A "<" that would open a tag, comment or autolink becomes the
# entity "&lt;", and the "(" of a link target "&#40;": CommonMark reads neither as markup,
# whatever backslashes precede them (a backslash-escape, "\<", is undone by one more
# backslash in the text), and "2 < 4" is left as it is.
_TAG_OPENER = re.compile(r"<(?=[A-Za-z/!?])")
_LINK_TARGET = re.compile(r"\]\(")


def markdown_text(text: str) -> str:
    """Text from profiles or rules, safe to place in Markdown: no raw HTML, no links."""
    return _LINK_TARGET.sub("]&#40;", _TAG_OPENER.sub("&lt;", text))


def markdown_cell(text: str) -> str:
    """Text safe in one cell of a Markdown table: no raw HTML, no "|", no line break."""
    return markdown_text(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def portfolio_markdown(results: list[DomainResult], recorded: RecordBinding | None = None) -> str:
    """A Markdown table, one row per domain; with ``recorded``, where the run is recorded."""
    lines = [
        "| id | name | category | leaf | key reason | warnings | fragile |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        leaf = f"{r.leaf.code} {r.leaf.name}" if r.leaf else "-"
        warnings = ", ".join(w.code for w in r.warnings) or "-"
        fragile = "; ".join(r.fragile) or "-"
        cells = (r.id, r.name, category_text(r), leaf, r.reason, warnings, fragile)
        lines.append("| " + " | ".join(markdown_cell(x) for x in cells) + " |")
    banner = run_banner(results)
    if banner is not None or recorded is not None:
        lines.append("")
    if banner is not None:
        lines.append(f"- **Not the rules as shipped:** {markdown_cell(banner)}")
    if recorded is not None:
        lines.extend(f"- **{key}:** {markdown_cell(value)}" for key, value in recorded.facts())
    return "\n".join(lines) + "\n"


def explanation_markdown(r: DomainResult) -> str:
    """One domain, explained: scores, path, leaf, actions, warnings."""
    out = [
        f"## {markdown_cell(r.name)} (`{r.id}`)",
        "",
        f"**Category:** {category_text(r)}  ",
        f"**Why:** {markdown_text(r.reason)}",
        *(
            f"**Reading:** {markdown_text(reading)} (an alternative reading of the source, not the default)  "
            for reading in r.readings
        ),
        "",
    ]
    out += ["### Scores", "", "| score | value | provenance |", "|---|---|---|"]
    # Scores in the rules' order (the thresholds follow it), whatever order they were derived in.
    for name in dict.fromkeys([*(n for n in r.thresholds if n in r.scores), *r.scores]):
        score = r.scores[name]
        value = "missing" if score.value is None else f"{score.value:g}"
        out.append(f"| {name} | {value} | {markdown_cell(provenance_text(score))} |")
    derived = result_derivation_lines(r)
    if derived:
        out += ["", "Scores from indicators (rules/indicators.yaml):", "", "```text", *derived, "```"]
    interpreted = [(n, t) for n, t in r.thresholds.items() if t.interpretation]
    if interpreted:
        out += ["", "Thresholds that are our reading of the source:", ""]
        out += [
            f"- {n} {t.op} {t.value:g} ({markdown_text(t.meaning)}): {markdown_text(t.interpretation or '')}"
            for n, t in interpreted
        ]
    out += ["", "### Path", ""]
    for step in r.path:
        note = " *(interpretation: " + markdown_text(step.interpretation) + ")*" if step.interpretation else ""
        out.append(
            f"1. {markdown_cell(step_text(step))} — {markdown_text(step.question)} ({markdown_text(step.cite)}){note}"
        )
    for alt in r.alternatives:
        out.append(f"   - if {', '.join(alt.assumptions)}: {alt.category} via {alt.leaf}")
    if r.leaf:
        out += ["", f"**Leaf:** {r.leaf.code} {markdown_text(r.leaf.name)} ({markdown_text(r.leaf.cite)})"]
        if r.leaf.interpretation:
            out.append(f"*Interpretation, not stated in the source:* {markdown_text(r.leaf.interpretation)}")
    if r.actions:
        out += ["", "### Policy actions", ""]
        out += [
            f"- **{a.code} {markdown_text(a.name)}**: {markdown_text(a.text)} "
            f"({markdown_text(a.cite)}; {markdown_text(a.because)})"
            for a in r.actions
        ]
    if r.warnings:
        out += ["", "### Warnings", ""]
        out += [f"- {w.code}: {markdown_text(w.message)}" for w in r.warnings]
    if r.fragile:
        out += ["", "### Fragile", "", "One score moved by at most the fragile step changes the outcome:", ""]
        out += [f"- {markdown_cell(line)}" for line in r.fragile]
    return "\n".join(out) + "\n"
