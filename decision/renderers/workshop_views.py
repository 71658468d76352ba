"""Terminal views (rich) of the workshop commands: ``whatif`` and ``margins``.

Every cell is a ``Text`` (never markup), so readings such as ``[E]`` print as written.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from decision.analyses.margins import DomainMargins, ScoreMargin, ThresholdFlip, ThresholdMargins
from decision.analyses.whatif import WhatIfResult
from decision.model.result import ActionRef, DomainResult, Notice
from decision.model.wording import category_text, number, path_summary, plural
from decision.renderers.rich_views import CATEGORY_STYLES


def _label(label: str) -> str:
    """'no-focus/partnership' -> 'no-focus (partnership)': wraps at the space, reads as elsewhere."""
    category, _, variant = label.partition("/")
    return f"{category} ({variant})" if variant else category


def _outcome(label: str) -> Text:
    return Text(_label(label), style=CATEGORY_STYLES.get(label.partition("/")[0], ""))


def _ranges(margin: ScoreMargin) -> str:
    if len(margin.ranges) == 1:
        return f"any value gives {_label(margin.ranges[0].outcome)}"
    return ", ".join(f"{s.text} -> {_label(s.outcome)}" for s in margin.ranges)


def _listing(title: str, items: list[str]) -> Text:
    text = Text(f"{title}:", style="bold")
    if not items:
        text.append(" none")
    for item in items:
        text.append(f"\n  {item}")
    return text


def _actions(actions: list[ActionRef]) -> list[str]:
    return [f"{a.code} {a.name}" for a in actions]


def _warnings(warnings: list[Notice]) -> list[str]:
    return [f"{w.code}: {w.message}" for w in warnings]


def whatif_view(answer: WhatIfResult) -> Group:
    """Before and after side by side, where the paths part, what appears and vanishes."""
    header = Text()
    header.append(f"What if: {answer.name} ({answer.id})", style="bold")
    header.append(f"  from {answer.file}\n")
    header.append("Set: " + ", ".join(change.text for change in answer.changes))

    table = Table(show_header=True, expand=False)
    table.add_column("", no_wrap=True)
    table.add_column("before", ratio=1)
    table.add_column("after", ratio=1)

    def row(name: str, pick) -> None:
        table.add_row(Text(name), pick(answer.before), pick(answer.after))

    def category(result: DomainResult) -> Text:
        return Text(category_text(result), style=CATEGORY_STYLES.get(result.category, ""))

    row("category", category)
    row("leaf", lambda r: Text(f"{r.leaf.code} {r.leaf.name}" if r.leaf else "-"))
    row("reason", lambda r: Text(r.reason))
    row("path", lambda r: Text(path_summary(r)))

    verdict = Text("Result: ", style="bold")
    verdict.append(answer.summary, style="" if answer.verdict == "no change" else "bold")
    parts = [header, table, verdict]
    if answer.parting is not None:
        parting = answer.parting
        text = Text(f"Paths part at {parting.node} {parting.node_name} [{parting.criterion_key}]", style="bold")
        text.append(f": {parting.question}")
        text.append(f"\n  before: {parting.before_text}")
        text.append(f"\n  after:  {parting.after_text}")
        parts.append(text)
    parts.append(_listing("Actions that appear", _actions(answer.actions_added)))
    parts.append(_listing("Actions that vanish", _actions(answer.actions_removed)))
    parts.append(_listing("Warnings that appear", _warnings(answer.warnings_added)))
    parts.append(_listing("Warnings that vanish", _warnings(answer.warnings_removed)))
    return Group(*parts)


def _threshold_text(margin: ScoreMargin) -> str:
    return "" if margin.op is None else f"{margin.op} {number(margin.threshold)}"


def _move_cell(margin: ScoreMargin, direction: str) -> Text:
    move = margin.down if direction == "down" else margin.up
    if move is None:
        return Text("-")
    if not move.changes:
        return Text(move.text, style="dim")
    return Text(f"{move.amount} ({move.where}) -> {_label(move.to or '')}", style="bold")


def _missing_lines(margins: DomainMargins) -> list[str]:
    return [f"{m.score}: {_ranges(m)}" for m in margins.scores if m.value is None]


def margins_view(margins: DomainMargins) -> Group:
    """One domain: how far each score can move down and up before the outcome changes."""
    header = Text()
    header.append(f"Margins: {margins.name} ({margins.id})", style="bold")
    header.append("  outcome ")
    header.append_text(_outcome(margins.outcome))
    header.append(
        f"\nHow far each score can move, the others fixed, before the outcome changes (scale {margins.scale})"
    )
    table = Table(show_header=True, expand=False)
    table.add_column("score", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("threshold", no_wrap=True)
    table.add_column("down", ratio=1, overflow="fold")
    table.add_column("up", ratio=1, overflow="fold")
    for margin in margins.scores:
        table.add_row(
            Text(margin.score),
            Text(number(margin.value)),
            Text(_threshold_text(margin)),
            _move_cell(margin, "down"),
            _move_cell(margin, "up"),
        )
    parts = [header, table]
    missing = _missing_lines(margins)
    if missing:
        parts.append(_listing("Missing scores, if they were given", missing))
    return Group(*parts)


def margins_portfolio_view(all_margins: list[DomainMargins]) -> Group:
    """Every domain of a portfolio, one section per domain."""
    table = Table(title="Score margins", show_header=True, expand=False)
    table.add_column("domain", max_width=22, overflow="fold")
    table.add_column("score", no_wrap=True)
    table.add_column("down", ratio=1, overflow="fold")
    table.add_column("up", ratio=1, overflow="fold")
    for number_, margins in enumerate(all_margins):
        if number_:
            table.add_section()
        for index, margin in enumerate(margins.scores):
            first = Text()
            if index == 0:
                first.append(margins.id + "\n")
                first.append_text(_outcome(margins.outcome))
            if margin.value is None:
                down, up = Text(f"if given: {_ranges(margin)}"), Text("")
            else:
                down, up = _move_cell(margin, "down"), _move_cell(margin, "up")
            table.add_row(first, Text(f"{margin.score} {number(margin.value)}"), down, up)
    scale = all_margins[0].scale if all_margins else ""
    table.caption = f"the other scores fixed; scale {scale}; {plural(len(all_margins), 'domain')}"
    return Group(table)


def _flip_cell(flip: ThresholdFlip | None, scale: str) -> Text:
    if flip is None:
        return Text(f"none within {scale}", style="dim")
    text = Text(f"{flip.text}:", style="bold")
    for domain in flip.domains:
        text.append(f"\n{domain.id}: {_label(domain.before)} -> {_label(domain.after)}")
    return text


def thresholds_view(report: ThresholdMargins) -> Group:
    """Per threshold: the values over which no domain changes, and who changes first."""
    table = Table(
        title=f"Threshold margins ({plural(len(report.domains), 'domain')})",
        show_header=True,
        expand=False,
        show_lines=True,
    )
    table.add_column("threshold in force", no_wrap=True)
    table.add_column("no change for", no_wrap=True)
    table.add_column("lowering it: first change", ratio=1, overflow="fold")
    table.add_column("raising it: first change", ratio=1, overflow="fold")
    for margin in report.thresholds:
        in_force = f"{margin.score} {margin.op} {number(margin.value)}"
        if margin.origin != "rules":
            in_force += f"\n[{margin.origin}]"
        table.add_row(
            Text(in_force),
            Text(margin.text),
            _flip_cell(margin.lowering, report.scale),
            _flip_cell(margin.raising, report.scale),
        )
    table.caption = f"one threshold moved at a time; scale {report.scale}"
    return Group(table)
