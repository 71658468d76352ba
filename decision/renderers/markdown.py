"""Markdown forms: the portfolio table and one domain's explanation."""

from __future__ import annotations

from decision.model.result import DomainResult, RecordBinding
from decision.model.wording import category_text, provenance_text, result_derivation_lines, step_text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    if recorded is not None:
        lines.append("")
        lines.extend(f"- **{key}:** {_cell(value)}" for key, value in recorded.facts())
    return "\n".join(lines) + "\n"


def explanation_markdown(r: DomainResult) -> str:
    """One domain, explained: scores, path, leaf, actions, warnings."""
    out = [
        f"## {_cell(r.name)} (`{r.id}`)",
        "",
        f"**Category:** {category_text(r)}  ",
        f"**Why:** {r.reason}",
        "",
    ]
    out += ["### Scores", "", "| score | value | provenance |", "|---|---|---|"]
    # Scores in the rules' order (the thresholds follow it), whatever order they were derived in.
    for name in dict.fromkeys([*(n for n in r.thresholds if n in r.scores), *r.scores]):
        score = r.scores[name]
        value = "missing" if score.value is None else f"{score.value:g}"
        out.append(f"| {name} | {value} | {_cell(provenance_text(score))} |")
    derived = result_derivation_lines(r)
    if derived:
        out += ["", "Scores from indicators (rules/indicators.yaml):", "", "```text", *derived, "```"]
    interpreted = [(n, t) for n, t in r.thresholds.items() if t.interpretation]
    if interpreted:
        out += ["", "Thresholds that are our reading of the source:", ""]
        out += [f"- {n} {t.op} {t.value:g} ({t.meaning}): {t.interpretation}" for n, t in interpreted]
    out += ["", "### Path", ""]
    for step in r.path:
        note = " *(interpretation: " + step.interpretation + ")*" if step.interpretation else ""
        out.append(f"1. {_cell(step_text(step))} — {step.question} ({step.cite}){note}")
    for alt in r.alternatives:
        out.append(f"   - if {', '.join(alt.assumptions)}: {alt.category} via {alt.leaf}")
    if r.leaf:
        out += ["", f"**Leaf:** {r.leaf.code} {r.leaf.name} ({r.leaf.cite})"]
        if r.leaf.interpretation:
            out.append(f"*Interpretation, not stated in the source:* {r.leaf.interpretation}")
    if r.actions:
        out += ["", "### Policy actions", ""]
        out += [f"- **{a.code} {a.name}**: {a.text} ({a.cite}; {a.because})" for a in r.actions]
    if r.warnings:
        out += ["", "### Warnings", ""]
        out += [f"- {w.code}: {w.message}" for w in r.warnings]
    if r.fragile:
        out += ["", "### Fragile", "", "One score moved by at most the fragile step changes the outcome:", ""]
        out += [f"- {_cell(line)}" for line in r.fragile]
    return "\n".join(out) + "\n"
