"""Drawings of the tree, generated from ``rules/`` (text for terminals, Mermaid for docs)."""

from __future__ import annotations

from decision.inputs.rulebook import Criterion, Rulebook


def criterion_condition(criterion: Criterion, rulebook: Rulebook) -> str:
    """'innovation >= 4 or technology >= 4' for a criterion under the thresholds in force."""
    joiner = " or " if criterion.combine == "any" else " and "
    return joiner.join(
        f"{score} {rulebook.thresholds[score].op} {rulebook.thresholds[score].value:g}" for score in criterion.scores
    )


def _node_label(code: str, rulebook: Rulebook) -> str:
    if code in rulebook.leaves:
        leaf = rulebook.leaves[code]
        outcome = leaf.category.upper() + (f" / {leaf.variant}" if leaf.variant else "")
        links = f" (missing: {', '.join(leaf.missing_links)})" if leaf.missing_links else ""
        mark = " *interpretation*" if leaf.interpretation else ""
        return f"{code} {leaf.name} => {outcome}{links}{mark}"
    node = rulebook.nodes[code]
    criterion = rulebook.criteria[node.criterion]
    mark = " *interpretation*" if node.interpretation or criterion.interpretation else ""
    return f"{code} {node.name} [{criterion.key}: {criterion_condition(criterion, rulebook)}]{mark}"


def tree_text(rulebook: Rulebook) -> str:
    """An indented drawing of the whole tree, one line per node or leaf."""
    lines = [_node_label(rulebook.root, rulebook)]

    def walk(code: str, prefix: str) -> None:
        node = rulebook.nodes[code]
        branches = [("yes", node.if_yes), ("no", node.if_no)]
        for index, (outcome, target) in enumerate(branches):
            last = index == len(branches) - 1
            lines.append(f"{prefix}{'└─' if last else '├─'} {outcome}: {_node_label(target, rulebook)}")
            if target in rulebook.nodes:
                walk(target, prefix + ("   " if last else "│  "))

    walk(rulebook.root, "")
    feasibility = rulebook.criteria[rulebook.feasibility.criterion]
    lines.append("")
    lines.append(
        f"after every leaf: {feasibility.code} {feasibility.name} [{feasibility.key}: "
        f"{criterion_condition(feasibility, rulebook)}], mode {rulebook.feasibility.mode}: "
        "never changes the category; a failure adds a warning and the actions of each weak factor"
    )
    lines.append("*interpretation*: our reading where the source is silent (see rules/ for the argument)")
    return "\n".join(lines) + "\n"


def _mermaid_label(*rows: str) -> str:
    escaped = (row.replace('"', "'").replace(">=", "≥").replace("<", "&lt;").replace(">", "&gt;") for row in rows)
    return "<br/>".join(escaped)


def tree_mermaid(rulebook: Rulebook) -> str:
    """A Mermaid flowchart of the tree: diamonds for questions, boxes for leaves."""
    lines = ["flowchart TD"]
    for code, node in rulebook.nodes.items():
        criterion = rulebook.criteria[node.criterion]
        mark = " *" if node.interpretation or criterion.interpretation else ""
        condition = f"{criterion.key}: {criterion_condition(criterion, rulebook)}{mark}"
        lines.append(f'    {code}{{"{_mermaid_label(f"{code} {node.name}", condition)}"}}')
    for code, leaf in rulebook.leaves.items():
        outcome = leaf.category.upper() + (f" / {leaf.variant}" if leaf.variant else "")
        rows = [f"{code} {leaf.name}", outcome + (" *" if leaf.interpretation else "")]
        if leaf.missing_links:
            rows.append(f"missing: {', '.join(leaf.missing_links)}")
        lines.append(f'    {code}["{_mermaid_label(*rows)}"]')
    for code, node in rulebook.nodes.items():
        lines.append(f"    {code} -- yes --> {node.if_yes}")
        lines.append(f"    {code} -- no --> {node.if_no}")
    for category in rulebook.categories:
        members = [code for code, leaf in rulebook.leaves.items() if leaf.category == category]
        if members:
            lines.append(f"    class {','.join(members)} {category.replace('-', '_')}")
    lines += [
        "    classDef strong fill:#d4edda,stroke:#2e7d32",
        "    classDef ecosystem_gap fill:#fff3cd,stroke:#b8860b",
        "    classDef moonshot fill:#dbe9ff,stroke:#1f5fbf",
        "    classDef no_focus fill:#eeeeee,stroke:#777777",
    ]
    return "\n".join(lines) + "\n"


def tree_jdm(rulebook: Rulebook) -> str:
    """The JDM decision graph zen-engine evaluates (see ``decision.engine.zen``), as JSON
    text: open it in the GoRules editor, or evaluate it on a profile's scores to get the
    category, variant and leaf that ``decision classify`` gives."""
    import json

    from decision.engine.zen import compile_jdm

    return json.dumps(compile_jdm(rulebook), indent=2, ensure_ascii=False) + "\n"


def tree_json(rulebook) -> str:
    """The tree as data for scripts: the root, every node with the criterion it asks (its
    scores and the thresholds in force), every leaf with its category and actions."""
    import json

    nodes = []
    for code, node in rulebook.nodes.items():
        criterion = rulebook.criteria[node.criterion]
        nodes.append(
            {
                **node.model_dump(mode="json"),
                "code": code,
                "question": criterion.question,
                "key": criterion.key,
                "combine": criterion.combine,
                "reads": [
                    {"score": s, "op": rulebook.thresholds[s].op, "threshold": rulebook.thresholds[s].value}
                    for s in criterion.scores
                ],
            }
        )
    leaves = [{**leaf.model_dump(mode="json"), "code": code} for code, leaf in rulebook.leaves.items()]
    data = {"root": rulebook.root, "nodes": nodes, "leaves": leaves}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
