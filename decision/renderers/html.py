"""The portfolio report as one self-contained HTML page (``decision report``).

Inline CSS only: no script, no external resource (fonts, images, Mermaid), so the file
reads the same offline, in a mail attachment or an audit archive. A Content-Security-Policy
that forbids scripts and every load is set as a second line of defence.

Every piece of text interpolated into the page goes through :func:`html.escape` (``_e``),
whatever its source: profiles are user input, and so is a ``--rules`` folder. Markup is
only ever built from the constant templates of this module.
"""

from __future__ import annotations

import re
from html import escape

from decision.inputs.rulebook import Rulebook
from decision.model.result import DomainResult, Reading, RecordBinding, Step
from decision.model.wording import (
    category_text,
    number,
    path_summary,
    provenance_text,
    reading_text,
    result_derivation_lines,
)
from decision.renderers.report import (
    TITLE,
    annotated_tree,
    category_groups,
    feasibility_text,
    header_facts,
    input_digests,
    tree_annotation,
)

# CSS class per category; categories of a custom rules folder fall back to "other".
CATEGORY_CLASSES = {
    "strong": "strong",
    "ecosystem-gap": "gap",
    "moonshot": "moonshot",
    "no-focus": "nofocus",
    "undetermined": "undetermined",
}

STYLE = """
:root { --ink: #1d2330; --muted: #5b6472; --line: #d9dde3; --soft: #f5f6f8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 22px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 19px; margin: 0 0 8px; display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px; }
h4 { font-size: 15px; margin: 18px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
p { margin: 6px 0; }
a { color: #1f5fbf; }
code, pre, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 10px; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line);
  overflow-wrap: break-word; }
th { background: var(--soft); font-weight: 600; border-bottom: 2px solid var(--line); white-space: nowrap; }
table.fixed { table-layout: fixed; }
table.fixed .badge, table.fixed code { white-space: normal; overflow-wrap: anywhere; max-width: 100%; }
code { white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
td.nowrap, th.nowrap { white-space: nowrap; overflow-wrap: normal; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600;
  white-space: nowrap; border: 1px solid; }
.cat-strong { background: #d4edda; color: #1e5e2b; border-color: #2e7d32; }
.cat-gap { background: #fff3cd; color: #6b4e00; border-color: #b8860b; }
.cat-moonshot { background: #dbe9ff; color: #174a96; border-color: #1f5fbf; }
.cat-nofocus { background: #eeeeee; color: #3d3d3d; border-color: #777777; }
.cat-undetermined { background: #f8d7da; color: #85182a; border-color: #b02a37; }
.cat-other { background: #f0e6ff; color: #4b2a7a; border-color: #6f42c1; }
.bar { display: flex; height: 24px; border-radius: 4px; overflow: hidden; margin: 10px 0 4px;
  border: 1px solid var(--line); }
.bar span { display: block; height: 100%; padding: 0 6px; border: 0; border-radius: 0; overflow: hidden;
  font-size: 12px; line-height: 22px; text-overflow: clip; }
.domain { border-left: 6px solid var(--line); padding: 10px 0 6px 16px; margin: 28px 0; }
.domain.cat-strong, .domain.cat-gap, .domain.cat-moonshot, .domain.cat-nofocus, .domain.cat-undetermined,
.domain.cat-other { background: none; color: inherit; }
.domain.cat-strong { border-left-color: #2e7d32; }
.domain.cat-gap { border-left-color: #b8860b; }
.domain.cat-moonshot { border-left-color: #1f5fbf; }
.domain.cat-nofocus { border-left-color: #777777; }
.domain.cat-undetermined { border-left-color: #b02a37; }
.domain.cat-other { border-left-color: #6f42c1; }
.why { font-size: 16px; }
.muted { color: var(--muted); }
.yes, .pass { color: #1e6b2a; font-weight: 600; }
.no, .fail { color: #a0202e; font-weight: 600; }
.unknown, .missing { color: #8a5a00; font-weight: 600; }
.flag { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 3px; background: #efe3ff;
  color: #4b2a7a; border: 1px solid #b99be6; white-space: nowrap; }
.note { font-size: 13px; color: var(--muted); margin-top: 3px; }
.leaf { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; margin: 8px 0; }
.warning { background: #fff8e1; border-left: 4px solid #b8860b; padding: 4px 10px; margin: 4px 0; list-style: none; }
.fragile { background: #fbeefe; border-left: 4px solid #9c27b0; padding: 4px 10px; margin: 4px 0; list-style: none; }
ul.plain { padding: 0; margin: 4px 0; }
nav ol { columns: 2; margin: 6px 0; }
nav li { overflow-wrap: anywhere; }
/* Derivation lines are long (every figure with its source): they wrap, on screen and on paper. */
pre.derivation { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12.5px; background: var(--soft);
  border: 1px solid var(--line); border-radius: 4px; padding: 8px 12px; }
pre.tree { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 12px;
  overflow-x: auto; line-height: 1.35; font-size: 12.5px; }
pre.tree .leafline { font-weight: 600; background: none; }
pre.tree .leafline.cat-strong { background: #d4edda; }
pre.tree .leafline.cat-gap { background: #fff3cd; }
pre.tree .leafline.cat-moonshot { background: #dbe9ff; }
pre.tree .leafline.cat-nofocus { background: #eeeeee; }
pre.tree .leafline.cat-other { background: #f0e6ff; }
.nowrap { white-space: nowrap; }
pre.tree .hit { font-weight: 700; color: var(--ink); }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  main { max-width: none; padding: 0; }
  .domain { break-inside: avoid-page; }
  pre.tree { white-space: pre-wrap; }
  table { break-inside: auto; } tr { break-inside: avoid; }
  /* A4 is narrower than a screen: codes and rule names may wrap rather than push a table off the page. */
  th, td code, td .mono, td .badge, td.nowrap { white-space: normal; }
  td { overflow-wrap: anywhere; }
  .bar span { min-width: 0; }
  a { color: inherit; text-decoration: none; }
}
"""

FLAG = ' <span class="flag">interpretation</span>'

# No script may run and nothing may load: the page needs neither.
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _e(text: object) -> str:
    """Escape any value for HTML text or a double-quoted attribute."""
    return escape(str(text), quote=True)


def _category_class(category: str | None) -> str:
    return "cat-" + CATEGORY_CLASSES.get(category or "", "other")


def _badge(result: DomainResult, *, variant: bool = True) -> str:
    text = category_text(result) if variant else result.category
    return f'<span class="badge {_category_class(result.category)}">{_e(text)}</span>'


def _anchor(result: DomainResult) -> str:
    return "d-" + _e(result.id)


def _domain_link(result: DomainResult) -> str:
    return f'<a href="#{_anchor(result)}">{_e(result.name)}</a> <code>{_e(result.id)}</code>'


def _reading(reading: Reading) -> str:
    verdict = {True: "pass", False: "fail", None: "missing"}[reading.passed]
    return f'<span class="{verdict}">{_e(reading_text(reading))}</span>'


def _readings(step: Step) -> str:
    joiner = " or " if step.combine == "any" else " and "
    return _e(joiner).join(_reading(r) for r in step.readings)


def _interpretation(text: str | None) -> str:
    if not text:
        return ""
    return f'<div class="note"><span class="flag">interpretation</span> {_e(text)}</div>'


def _header(results: list[DomainResult], rulebook: Rulebook, recorded: RecordBinding | None = None) -> str:
    facts = "".join(
        f"<dt>{_e(key)}</dt><dd>{_e(value)}</dd>" for key, value in header_facts(results, rulebook, recorded)
    )
    return (
        f"<header><h1>{_e(TITLE)}</h1>"
        '<p class="muted">Categories of the decision tree of VARIO (advice of February 2026), with every path '
        "explained: the figures read, the thresholds in force, the source passage behind each step, and a "
        '<span class="flag">interpretation</span> flag where the project read a silence of the source.</p>'
        f'<dl class="facts">{facts}</dl></header>'
    )


def _contents(results: list[DomainResult]) -> str:
    domains = "".join(f"<li>{_badge(r)} {_domain_link(r)}</li>" for r in results)
    return (
        '<nav><h2 id="contents">Contents</h2><p><a href="#summary">Portfolio by category</a> · '
        '<a href="#portfolio">Portfolio</a> · <a href="#thresholds">Thresholds in force</a> · '
        '<a href="#domains">Domains</a> · <a href="#tree">The decision tree</a></p>'
        f"<ol>{domains}</ol></nav>"
    )


def _member(result: DomainResult) -> str:
    variant = f" ({_e(result.variant)})" if result.variant else ""
    return _domain_link(result) + variant


def _summary(results: list[DomainResult], rulebook: Rulebook) -> str:
    groups = category_groups(results, rulebook)
    total = max(len(results), 1)

    def label(key: str, count: int) -> str:
        # A narrow segment cannot hold its name: the count alone, or nothing (the table below has both).
        share = count / total
        return f"{key} {count}" if share >= 0.2 else str(count) if share >= 0.04 else ""

    bar = "".join(
        f'<span class="badge {_category_class(g.key)}" style="width:{100 * len(g.results) / total:.4f}%" '
        f'title="{_e(g.key)}: {len(g.results)}">{_e(label(g.key, len(g.results)))}</span>'
        for g in groups
        if g.results
    )
    rows = "".join(
        "<tr>"
        f'<td class="nowrap"><span class="badge {_category_class(g.key)}">{_e(g.key)}</span></td>'
        f'<td>{_e(g.label)}<div class="note">{_e(g.cite)}</div></td>'
        f'<td class="num">{len(g.results)}</td>'
        f"<td>{', '.join(_member(r) for r in g.results) or '-'}</td></tr>"
        for g in groups
    )
    return (
        '<section><h2 id="summary">Portfolio by category</h2>'
        f'<div class="bar" aria-hidden="true">{bar}</div>'
        '<table><thead><tr><th class="nowrap">category</th><th>meaning</th><th>domains</th><th>which</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></section>"
    )


def _portfolio(results: list[DomainResult]) -> str:
    rows = []
    for r in results:
        leaf = f"{r.leaf.code} {r.leaf.name}" if r.leaf else "-"
        warnings = ", ".join(w.code for w in r.warnings) or "-"
        fragile = "; ".join(r.fragile) or "-"
        variant = f'<div class="note">{_e(r.variant)}</div>' if r.variant else ""
        rows.append(
            f"<tr><td>{_domain_link(r)}</td><td>{_badge(r, variant=False)}{variant}</td>"
            f"<td>{_e(leaf)}</td><td>{_e(r.reason)}"
            f'<div class="note mono">{_e(path_summary(r))}</div></td>'
            f'<td class="nowrap">{_e(warnings)}</td><td>{_arrows(_e(fragile))}</td></tr>'
        )
    return (
        '<section><h2 id="portfolio">Portfolio</h2>'
        '<table class="fixed"><colgroup><col style="width:18%"><col style="width:15%"><col style="width:13%">'
        '<col style="width:30%"><col style="width:8%"><col style="width:16%"></colgroup>'
        "<thead><tr><th>domain</th><th>category</th><th>leaf</th><th>key reason and path</th>"
        f"<th>warnings</th><th>fragile</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _thresholds(rulebook: Rulebook) -> str:
    rows = "".join(
        f'<tr><td class="nowrap">{_e(name)}</td><td class="nowrap">{_e(t.op)} {_e(number(t.value))}</td>'
        f'<td>{_e(t.meaning)}{_interpretation(t.interpretation)}</td><td class="nowrap">{_e(t.origin)}</td></tr>'
        for name, t in rulebook.thresholds.items()
    )
    return (
        '<section><h2 id="thresholds">Thresholds in force</h2>'
        "<table><thead><tr><th>score</th><th>test</th><th>meaning</th><th>origin</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _scores(r: DomainResult, rulebook: Rulebook) -> str:
    rows = []
    for name in [*rulebook.scores, *(n for n in r.scores if n not in rulebook.scores)]:
        score = r.scores.get(name)
        threshold = r.thresholds.get(name)
        test = "" if threshold is None else f"{threshold.op} {number(threshold.value)}"
        if threshold is not None and threshold.origin != "rules":
            test += f" [{threshold.origin}]"
        if score is None:
            value, provenance = '<span class="missing">missing</span>', '<span class="muted">not in the profile</span>'
        else:
            value = _e(number(score.value)) if score.value is not None else '<span class="missing">missing</span>'
            provenance = _e(provenance_text(score))
        rows.append(
            f'<tr><td class="nowrap">{_e(name)}</td><td class="num">{value}</td>'
            f'<td class="nowrap">{_e(test)}</td><td>{provenance}</td></tr>'
        )
    for name, factor in r.factors.items():
        rows.append(
            f'<tr><td class="nowrap">factor {_e(name)}</td><td class="num">{_e(number(factor.value))}</td>'
            f"<td></td><td>{_e(provenance_text(factor))}</td></tr>"
        )
    derived = result_derivation_lines(r)
    derived_html = (
        '<h4>Scores from indicators</h4><pre class="derivation">' + _e("\n".join(derived)) + "</pre>" if derived else ""
    )
    return (
        "<h4>Scores</h4><table><thead><tr><th>score</th><th>value</th><th>test</th><th>provenance</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>{derived_html}"
    )


def _path(r: DomainResult) -> str:
    rows = []
    for index, step in enumerate(r.path, 1):
        nxt = f' <span class="muted">→ {_e(step.next)}</span>' if step.next else ""
        rows.append(
            f'<tr><td class="num">{index}</td>'
            f'<td class="nowrap"><strong>{_e(step.node)}</strong> [{_e(step.criterion_key)}]'
            f'<div class="note">{_e(step.node_name)}</div></td>'
            f"<td>{_e(step.question)}{_interpretation(step.interpretation)}</td>"
            f"<td>{_readings(step)}</td>"
            f'<td class="nowrap"><span class="{_e(step.outcome)}">{_e(step.outcome)}</span>{nxt}</td>'
            f'<td>{_e(step.cite)}<div class="note mono">rule {_e(step.rule)}</div></td></tr>'
        )
    table = (
        "<h4>Path</h4><table><thead><tr><th>#</th><th>test</th><th>question</th><th>read</th>"
        f"<th>answer</th><th>source</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    parts = [table]
    if r.leaf:
        leaf = r.leaf
        links = f"<div>missing link: {_e(', '.join(leaf.missing_links))}</div>" if leaf.missing_links else ""
        parts.append(
            f'<div class="leaf"><strong>Leaf {_e(leaf.code)} {_e(leaf.name)}</strong> ⇒ {_badge(r)}'
            f'<div>{_e(leaf.reason)}</div>{links}<div class="note">{_e(leaf.cite)}</div>'
            f"{_interpretation(leaf.interpretation)}</div>"
        )
    if r.alternatives:
        items = "".join(
            f"<li>if {_e(', '.join(a.assumptions))}: <strong>{_e(a.category)}"
            f"{_e('/' + a.variant) if a.variant else ''}</strong> via "
            f'<span class="mono">{_e(" > ".join([*(s.node for s in a.path), a.leaf]))}</span></li>'
            for a in r.alternatives
        )
        parts.append(f"<p>Where the path would go, for each answer of the open test:</p><ul>{items}</ul>")
    if r.blocking:
        parts.append(
            f'<p class="no">Blocked by missing score(s): {_e(", ".join(r.blocking))}; '
            f"still reachable: {_e(', '.join(r.reachable))}</p>"
        )
    if r.feasibility is not None:
        parts.append(f"<p><strong>Feasibility check</strong> {_e(feasibility_text(r))}</p>")
    return "".join(parts)


def _actions(r: DomainResult) -> str:
    if not r.actions:
        return ""
    rows = "".join(
        f'<tr><td class="nowrap"><strong>{_e(a.code)}</strong><div class="note">{_e(a.name)}</div></td>'
        f"<td>{_e(a.text)}{FLAG if a.interpretation else ''}</td>"
        f"<td>{_e(a.because)}</td><td>{_e(a.cite)}</td></tr>"
        for a in r.actions
    )
    return (
        '<h4>Policy actions</h4><table><colgroup><col style="width:19%"><col style="width:51%">'
        '<col style="width:15%"><col style="width:15%"></colgroup>'
        "<thead><tr><th>action</th><th>what</th><th>why here</th><th>source</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _notes(r: DomainResult, rulebook: Rulebook) -> str:
    parts = []
    if r.warnings:
        items = "".join(f'<li class="warning"><strong>{_e(w.code)}</strong> {_e(w.message)}</li>' for w in r.warnings)
        parts.append(f'<h4>Warnings</h4><ul class="plain">{items}</ul>')
    if r.fragile:
        step = number(rulebook.workshop.fragile_step)
        items = "".join(f'<li class="fragile">{_arrows(_e(line))}</li>' for line in r.fragile)
        parts.append(
            f"<h4>Fragile</h4><p>One score moved by at most {_e(step)} changes the outcome:</p>"
            f'<ul class="plain">{items}</ul>'
        )
    return "".join(parts)


def _domain(r: DomainResult, rulebook: Rulebook) -> str:
    facts = [("file", r.file), ("leaf", f"{r.leaf.code} {r.leaf.name}" if r.leaf else "none (a missing score decides)")]
    if r.missing_links:
        facts.append(("missing links", ", ".join(r.missing_links)))
    facts_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return (
        f'<section class="domain {_category_class(r.category)}" id="{_anchor(r)}">'
        f"<h3>{_e(r.name)} <code>{_e(r.id)}</code> {_badge(r)}</h3>"
        f'<p class="why"><strong>Why:</strong> {_e(r.reason)}</p>'
        f'<dl class="facts">{facts_html}</dl>'
        f"{_scores(r, rulebook)}{_path(r)}{_actions(r)}{_notes(r, rulebook)}"
        '<p class="note"><a href="#contents">back to contents</a></p></section>'
    )


def _arrows(escaped: str) -> str:
    """Keep each '->' of already escaped text on one line (its hyphen is a break opportunity)."""
    return escaped.replace("-&gt;", '<span class="nowrap">-&gt;</span>')


# A line of the text tree: the drawing (bars, corners, the answer) and then the label.
_TREE_LINE = re.compile(r"^([│├└─ ]*(?:yes|no): )(.*)$")


def _tree(results: list[DomainResult], rulebook: Rulebook) -> str:
    lines, legend = [], []
    for line in annotated_tree(results, rulebook):
        if line.legend:
            if line.text:
                legend.append(f'<p class="note">{_e(line.text)}</p>')
            continue
        match = _TREE_LINE.match(line.text)
        drawing, label = match.groups() if match else ("", line.text)
        text = _e(drawing) + (
            f'<span class="leafline {_category_class(line.category)}">{_e(label)}</span>'
            if line.category is not None
            else _e(label)
        )
        annotation = tree_annotation(line)
        if annotation:
            text += f'<span class="hit">{_e(annotation)}</span>'
        lines.append(text)
    return (
        '<section><h2 id="tree">The decision tree</h2>'
        "<p>Drawn from the rules in force (the same drawing as <code>decision tree</code>). Each domain is marked "
        "with <code>&lt;-</code> after the leaf it reached, or with <code>&lt;- ?</code> after the question a "
        "missing score left open.</p>"
        f'<pre class="tree">{chr(10).join(lines)}</pre>{"".join(legend)}</section>'
    )


def _inputs(results: list[DomainResult], rulebook: Rulebook) -> str:
    rows = "".join(
        f'<tr><td class="nowrap">{_e(kind)}</td><td>{_e(file)}</td><td><code>{_e(digest)}</code></td></tr>'
        for kind, file, digest in input_digests(results, rulebook)
    )
    return (
        '<section><h2 id="inputs">Inputs</h2><p class="muted">Every file this report was written from, with its '
        "SHA-256: a file that still has this digest is the one read.</p>"
        f'<table class="fixed"><thead><tr><th class="nowrap">kind</th><th>file</th><th>SHA-256</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def report_html(results: list[DomainResult], rulebook: Rulebook, recorded: RecordBinding | None = None) -> str:
    """The whole report as one HTML page: summary, portfolio, thresholds, every domain, the tree."""
    domains = "".join(_domain(r, rulebook) for r in results)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(TITLE)}</title><style>{STYLE}</style></head>\n<body><main>"
        f"{_header(results, rulebook, recorded)}{_contents(results)}{_summary(results, rulebook)}{_portfolio(results)}"
        f'{_thresholds(rulebook)}<h2 id="domains">Domains</h2>{domains}{_tree(results, rulebook)}'
        f"{_inputs(results, rulebook)}"
        "<footer>Written by <code>decision report</code>. Self-contained: no scripts and no external "
        "resources.</footer>"
        "</main></body></html>\n"
    )
