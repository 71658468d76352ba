"""Terminal views (rich): the portfolio table and the explanation of one domain."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from decision.inputs.rulebook import Rulebook
from decision.model.result import DomainResult
from decision.model.wording import (
    CATEGORY_ORDER,
    category_text,
    number,
    plural,
    provenance_text,
    reading_text,
    result_derivation_lines,
    run_banner,
)

CATEGORY_STYLES = {
    "strong": "bold green",
    "ecosystem-gap": "bold yellow",
    "moonshot": "bold blue",
    "no-focus": "bold white",
    "undetermined": "bold red",
}


def portfolio_table(results: list[DomainResult]) -> Table:
    """One row per domain: category, variant, leaf and the key reason."""
    banner = run_banner(results)
    title = Text("VARIO classification")
    if banner:
        title.append(f"\n{banner}", style="bold yellow")
    table = Table(title=title, show_lines=False, expand=False)
    # Narrow terminals squeeze the reason first; let long ids fold instead.
    table.add_column("id", max_width=18, overflow="fold")
    table.add_column("category", no_wrap=True)
    table.add_column("leaf", no_wrap=True)
    table.add_column("key reason (warnings)", min_width=24)
    for r in results:
        reason = Text(r.reason)
        if r.warnings:
            reason.append("\n" + " ".join(w.code for w in r.warnings), style="yellow")
        if r.fragile:
            reason.append("\nfragile: " + "; ".join(r.fragile), style="magenta")
        table.add_row(
            r.id,
            Text(r.category + (f"\n{r.variant}" if r.variant else ""), style=CATEGORY_STYLES.get(r.category, "")),
            r.leaf.code if r.leaf else "-",
            reason,
        )
    counts: dict[str, int] = {}
    for r in results:
        counts[r.category] = counts.get(r.category, 0) + 1
    # The categories in the framework's order, whatever order the domains came in.
    order = [*CATEGORY_ORDER, *sorted(set(counts) - set(CATEGORY_ORDER))]
    tally = ", ".join(f"{name}: {counts[name]}" for name in order if name in counts)
    table.caption = f"{tally} ({plural(len(results), 'domain')})"
    return table


def explanation(result: DomainResult, rulebook: Rulebook | None) -> Group:
    """Scores with provenance, the path as a tree with its figures, leaf, actions, warnings.

    ``rulebook`` only orders the scores and names the fragile step; None (a stored result,
    ``decision audit show``) takes the order of the result's thresholds.
    """
    parts = []
    header = Text()
    header.append(f"{result.name} ({result.id})", style="bold")
    header.append(f"  from {result.file}\n")
    header.append("Category: ")
    header.append(category_text(result), style=CATEGORY_STYLES.get(result.category, ""))
    header.append(f"\nWhy: {result.reason}")
    for reading in result.readings:
        header.append(f"\nReading: {reading} (an alternative reading of the source, not the default)", style="yellow")
    parts.append(header)

    scores = Table(title="Scores", title_justify="left")
    scores.add_column("score", no_wrap=True)
    scores.add_column("value", no_wrap=True, justify="right")
    scores.add_column("threshold", no_wrap=True)
    # Fold, never cut: an auditor needs the whole file:line.
    scores.add_column("provenance", overflow="fold")
    names = rulebook.scores if rulebook is not None else dict.fromkeys([*result.thresholds, *result.scores])
    for name in names:
        score = result.scores.get(name)
        threshold = result.thresholds.get(name)
        threshold_text = "" if threshold is None else f"{threshold.op} {threshold.value:g}"
        if threshold is not None and threshold.origin != "rules":
            threshold_text += f" [{threshold.origin}]"
        if score is None:
            scores.add_row(name, "missing", threshold_text, "not in the profile")
        else:
            scores.add_row(name, number(score.value), threshold_text, provenance_text(score))
    for name, factor in result.factors.items():
        scores.add_row(f"  factor {name}", number(factor.value), "", provenance_text(factor))
    parts.append(scores)
    derived = result_derivation_lines(result)
    if derived:
        parts.append(Text("Scores from indicators (rules/indicators.yaml)", style="bold"))
        parts.append(Text("\n".join(derived)))
    readings = Text()
    for name, threshold in result.thresholds.items():
        if threshold.interpretation:
            readings.append(f"{name} {threshold.op} {threshold.value:g} ({threshold.meaning}): ")
            readings.append(f"interpretation, not stated in the source: {threshold.interpretation}\n", style="italic")
    if readings:
        parts.append(Text("Thresholds", style="bold"))
        parts.append(readings)

    tree = Tree(Text("Path through the tree", style="bold"))
    branch = tree
    for step in result.path:
        label = Text()
        label.append(f"{step.node} {step.node_name}", style="bold")
        label.append(f"  {step.question}\n")
        joiner = " or " if step.combine == "any" else " and "
        label.append(f"read: {joiner.join(reading_text(r) for r in step.readings)}\n")
        label.append("answer: ")
        label.append(step.outcome, style={"yes": "green", "no": "red"}.get(step.outcome, "yellow"))
        label.append(f"  (rule {step.rule}; {step.cite})")
        if step.interpretation:
            label.append(f"\ninterpretation, not stated in the source: {step.interpretation}", style="italic")
        branch = branch.add(label)
    if result.leaf:
        leaf = result.leaf
        label = Text()
        label.append(f"{leaf.code} {leaf.name} => {category_text(result)}", style="bold")
        label.append(f"\n{leaf.reason} ({leaf.cite})")
        if leaf.missing_links:
            label.append(f"\nmissing link: {', '.join(leaf.missing_links)}")
        if leaf.interpretation:
            label.append(f"\ninterpretation, not stated in the source: {leaf.interpretation}", style="italic")
        branch.add(label)
    for alternative in result.alternatives:
        label = Text(
            f"if {', '.join(alternative.assumptions)}: "
            f"{alternative.category}{'/' + alternative.variant if alternative.variant else ''} "
            f"via {' > '.join([*(s.node for s in alternative.path), alternative.leaf])}"
        )
        branch.add(label)
    parts.append(tree)

    if result.feasibility is not None:
        step = result.feasibility
        parts.append(
            Text(
                f"Feasibility check ({step.criterion} {step.criterion_key}): "
                f"{' and '.join(reading_text(r) for r in step.readings)} -> {step.outcome}. "
                "It never changes the category."
            )
        )
    if result.blocking:
        parts.append(
            Text(
                f"Blocked by missing score(s): {', '.join(result.blocking)}; "
                f"still reachable: {', '.join(result.reachable)}",
                style="red",
            )
        )
        if rulebook is not None:
            needed = "; ".join(f"{name}: {rulebook.indicators.evidence_for(name)}" for name in result.blocking)
            parts.append(Text(f"Evidence that would settle it: {needed}"))
    if result.actions:
        actions = Table(title="Policy actions", title_justify="left")
        actions.add_column("code", no_wrap=True)
        actions.add_column("action")
        actions.add_column("why here")
        for action in result.actions:
            text = action.text + (" (interpretation)" if action.interpretation else "")
            actions.add_row(f"{action.code}\n{action.name}", f"{text}\n[{action.cite}]", action.because)
        parts.append(actions)
    for warning in result.warnings:
        parts.append(Text(f"warning {warning.code}: {warning.message}", style="yellow"))
    if result.fragile:
        step = f"by at most {rulebook.workshop.fragile_step:g}" if rulebook is not None else "a little"
        moves = "; ".join(result.fragile)
        parts.append(Text(f"fragile: moving one score {step} changes the outcome: {moves}", style="magenta"))
    return Group(*parts)


def print_problems(console: Console, lines: list[str]) -> None:
    """Print located problems, one per line, without markup interpretation."""
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
