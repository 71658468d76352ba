"""The portfolio report: what ``decision report`` writes, independent of its format.

This module gathers the parts every form of the report shares (the summary by category,
the tree annotated with where each domain went, the header facts) and writes the Markdown
form by reusing ``decision/renderers/markdown.py``. The HTML form is
``decision/renderers/html.py``; both carry the same content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from decision import tool_version
from decision.inputs.rulebook import Rulebook
from decision.model.result import DomainResult, RecordBinding
from decision.model.wording import number, plural, reading_text
from decision.renderers.tree_drawing import tree_text

TITLE = "VARIO classification report"
UNDETERMINED = "undetermined"


@dataclass
class CategoryGroup:
    """One category of the summary: its label and the domains in it, in the order read."""

    key: str
    label: str
    cite: str
    results: list[DomainResult]


@dataclass
class TreeLine:
    """One line of ``decision tree``'s drawing, with what the report adds to it."""

    text: str
    category: str | None  # the leaf's category, None for a question node or a legend line
    legend: bool = False  # the blank line and the notes below the drawing
    reached: list[str] = field(default_factory=list)  # ids of domains whose path ends here
    stopped: list[str] = field(default_factory=list)  # ids of domains stopped here by a missing score


def category_groups(results: list[DomainResult], rulebook: Rulebook) -> list[CategoryGroup]:
    """Every category of the rules (in their order) plus undetermined, each with its domains."""
    groups = [
        CategoryGroup(key, labelled.label, labelled.cite, [r for r in results if r.category == key])
        for key, labelled in rulebook.categories.items()
    ]
    groups.append(
        CategoryGroup(
            UNDETERMINED,
            "Undetermined: a missing score decides",
            "decision's own outcome (warnings VW03, VW04)",
            [r for r in results if r.category == UNDETERMINED],
        )
    )
    return groups


def _tree_paths(rulebook: Rulebook) -> list[tuple[tuple[tuple[str, str], ...], str] | None]:
    """For each line of ``tree_text``, the (node, answer) steps leading to it and its code.

    Walks the tree in exactly the order ``tree_text`` does (root, then yes before no, depth
    first); the blank line and the legend lines after the tree get None.
    """
    entries: list[tuple[tuple[tuple[str, str], ...], str] | None] = [((), rulebook.root)]

    def walk(code: str, steps: tuple[tuple[str, str], ...]) -> None:
        node = rulebook.nodes[code]
        for outcome, target in (("yes", node.if_yes), ("no", node.if_no)):
            entries.append(((*steps, (code, outcome)), target))
            if target in rulebook.nodes:
                walk(target, (*steps, (code, outcome)))

    walk(rulebook.root, ())
    return entries


def annotated_tree(results: list[DomainResult], rulebook: Rulebook) -> list[TreeLine]:
    """``decision tree``'s text drawing, line by line, marked with where each domain went.

    A domain is marked on the leaf its path ends in (the exact branch, since a leaf can
    appear several times), or, when a missing score stopped it, on the question it
    could not answer.
    """
    lines = tree_text(rulebook).rstrip("\n").split("\n")
    paths = _tree_paths(rulebook)
    paths += [None] * (len(lines) - len(paths))
    annotated: list[TreeLine] = []
    for text, entry in zip(lines, paths, strict=True):
        if entry is None:
            annotated.append(TreeLine(text, None, legend=True))
            continue
        steps, code = entry
        if code not in text:  # tree_text walks in another order: fail loudly, never mislabel
            raise ValueError(f"tree drawing out of step at {code}: {text!r}")
        leaf = rulebook.leaves.get(code)
        line = TreeLine(text, leaf.category if leaf else None)
        for r in results:
            taken = tuple((s.node, s.outcome) for s in r.path)
            if leaf is not None and r.leaf is not None and r.leaf.code == code and taken == steps:
                line.reached.append(r.id)
            elif leaf is None and taken == (*steps, (code, "unknown")):
                line.stopped.append(r.id)
        annotated.append(line)
    return annotated


def tree_annotation(line: TreeLine) -> str:
    """The text the report appends to a tree line: '<- pharma, biotech', '<- ? scientific-rd'."""
    parts = []
    if line.reached:
        parts.append(", ".join(line.reached))
    if line.stopped:
        parts.append("? " + ", ".join(line.stopped) + " (a missing score stops the path here)")
    return "  <- " + "; ".join(parts) if parts else ""


def rules_description(rulebook: Rulebook) -> str:
    """Which rules folder the run used: 'shipped' or its path."""
    from decision.inputs.rulebook import shipped_data_dir

    try:
        shipped = rulebook.directory.resolve() == shipped_data_dir("rules").resolve()
    except Exception:  # no shipped folder at all: then it is not the shipped one
        shipped = False
    return "the shipped rules/" if shipped else display_path(rulebook.directory)


def display_path(path: Path) -> str:
    """A path relative to the working folder when it lies inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def generated_at() -> str:
    """When the report is written, to the minute, in UTC. ``SOURCE_DATE_EPOCH`` (the
    reproducible-builds convention) fixes it, so two runs on the same inputs can give the
    same bytes."""
    import os
    from datetime import UTC, datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def input_digests(results: list[DomainResult], rulebook: Rulebook) -> list[tuple[str, str, str]]:
    """(kind, file, SHA-256) of every input the report was written from: each profile
    file, then each rules file as loaded. A reader can check a file against its report."""
    import hashlib

    rows = []
    for file in sorted({r.file for r in results if r.file}):
        try:
            digest = hashlib.sha256(Path(file).read_bytes()).hexdigest()
        except OSError:
            digest = "(no longer readable)"
        rows.append(("profile", display_path(Path(file)), digest))
    rows += [("rules", name, digest) for name, digest in sorted(rulebook.file_digests.items())]
    return rows


def header_facts(
    results: list[DomainResult], rulebook: Rulebook, recorded: RecordBinding | None = None
) -> list[tuple[str, str]]:
    """The facts at the top of the report: what was classified, with which rules, and
    (with --record) where the run is recorded."""
    version = tool_version()
    tool = "decision" if version == "unknown" else f"decision {version}"
    overridden = [f"{name} {t.op} {t.value:g}" for name, t in rulebook.thresholds.items() if t.origin != "rules"]
    files = sorted({r.file for r in results})
    return [
        ("domains", f"{plural(len(results), 'domain')} from {plural(len(files), 'file')}"),
        ("rules", f"{rules_description(rulebook)} (identity {rulebook.identity()})"),
        ("thresholds overridden", ", ".join(overridden) if overridden else "none (all from the rules)"),
        ("fragile step", f"{rulebook.workshop.fragile_step:g}"),
        ("written by", tool),
        ("generated", generated_at()),
        *(recorded.facts() if recorded is not None else []),
    ]


def feasibility_text(r: DomainResult) -> str:
    """The feasibility check in one line (it never changes the category)."""
    step = r.feasibility
    if step is None:
        return ""
    readings = " and ".join(reading_text(x) for x in step.readings)
    return f"{step.criterion} [{step.criterion_key}]: {readings} -> {step.outcome}. It never changes the category."


# --- Markdown ---------------------------------------------------------------------------------


def markdown_safe(text: str) -> str:
    """Neutralise raw HTML and links in Markdown text that came from profiles or rules
    (see ``decision.renderers.markdown.markdown_text``)."""
    from decision.renderers.markdown import markdown_text

    return markdown_text(text)


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def report_markdown(results: list[DomainResult], rulebook: Rulebook, recorded: RecordBinding | None = None) -> str:
    """The whole report as Markdown: summary, portfolio table, every domain, the tree."""
    from decision.renderers.markdown import explanation_markdown, portfolio_markdown

    out = [f"# {TITLE}", ""]
    out += [f"- **{key}:** {markdown_safe(value)}" for key, value in header_facts(results, rulebook, recorded)]
    out += ["", "## Portfolio by category", "", "| category | domains | which |", "|---|---|---|"]
    for group in category_groups(results, rulebook):
        which = ", ".join(f"{r.name} (`{r.id}`)" for r in group.results) or "-"
        label = f"**{group.key}**: {group.label}"
        out.append(f"| {_cell(label)} | {len(group.results)} | {_cell(which)} |")
    out += ["", "## Portfolio", "", portfolio_markdown(results).rstrip("\n"), ""]
    out += ["## Thresholds in force", "", "| score | test | meaning | origin |", "|---|---|---|---|"]
    for name, t in rulebook.thresholds.items():
        flag = " *(interpretation)*" if t.interpretation else ""
        out.append(f"| {name} | {t.op} {t.value:g} | {_cell(t.meaning)}{flag} | {t.origin} |")
    out += ["", "## Domains", ""]
    for r in results:
        # One level down: each domain is a subsection of "Domains".
        section = explanation_markdown(r).rstrip("\n").split("\n")
        section = [("#" + line) if line.startswith("#") else line for line in section]
        out += [*section, ""]
        extra = []
        if r.file:
            extra.append(f"**File:** {r.file}")
        if r.factors:
            extra.append(
                "**Feasibility factors:** "
                + "; ".join(
                    f"{n} {number(f.value)}{' (assumption)' if f.assumption else ''}" for n, f in r.factors.items()
                )
            )
        if r.feasibility is not None:
            extra.append(f"**Feasibility check:** {feasibility_text(r)}")
        if r.blocking:
            extra.append(f"**Blocked by missing:** {', '.join(r.blocking)}; still reachable: {', '.join(r.reachable)}")
        if extra:
            out += ["#### File, feasibility and missing scores", "", *[f"- {line}" for line in extra], ""]
    out += ["## Inputs", "", "| kind | file | SHA-256 |", "|---|---|---|"]
    out += [f"| {kind} | {_cell(file)} | `{digest}` |" for kind, file, digest in input_digests(results, rulebook)]
    out.append("")
    body = markdown_safe("\n".join(out))
    tree = "\n".join(line.text + tree_annotation(line) for line in annotated_tree(results, rulebook))
    fence = _fence(tree)
    closing = [
        "",
        "## The decision tree",
        "",
        "Where each domain went is marked with `<-` after the leaf it reached, or with `<- ?` after the"
        " question a missing score left open.",
        "",
        fence,
        tree,
        fence,
        "",
    ]
    return body + "\n".join(closing)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
