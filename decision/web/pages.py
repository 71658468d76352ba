"""The room's HTML: whole pages and the fragments the page swaps in, written from the
result model and the analyses' objects. Every text that comes from a profile, a rule,
a sheet or a participant goes through :func:`esc`; nothing else builds HTML.
"""

from __future__ import annotations

import html
from typing import Any

from decision.analyses.counterfactual import Counterfactual, change_text
from decision.analyses.disagreements import DomainWorkshop
from decision.analyses.margins import DomainMargins
from decision.inputs.rulebook import Rulebook
from decision.inputs.sheets import ScoreAggregate, Sheet, Sheets
from decision.model.result import DomainResult, Step
from decision.model.wording import CATEGORY_ORDER, category_text, number, plural, reading_text
from decision.renderers.markdown import markdown_cell, markdown_text
from decision.web.room import Evaluation, Room

CATEGORY_NAMES = {
    "strong": "Strong",
    "ecosystem-gap": "Ecosystem gap",
    "moonshot": "Moonshot",
    "no-focus": "No focus",
    "undetermined": "Undetermined",
}
ANSWER = {"yes": "yes", "no": "no", "unknown": "not known (a score is missing)"}


def esc(text: Any) -> str:
    """Text safe inside HTML elements and quoted attributes."""
    return html.escape(str(text), quote=True)


def _page(title: str, body: str, *, script: str, kind: str) -> str:
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><link rel=stylesheet href=/static/room.css></head>"
        f"<body class={kind}-page>{body}<script src=/static/{script}></script></body></html>\n"
    )


def category_badge(category: str, text: str | None = None) -> str:
    return f'<span class="badge cat-{esc(category)}">{esc(text or CATEGORY_NAMES.get(category, category))}</span>'


# ----------------------------------------------------------------------------- facilitator


def banner(room: Room) -> str:
    """What differs from the rules folder for the whole room (thresholds, readings), or ''."""
    parts = [
        f"threshold {esc(n)} is {number(now)} (rules: {number(was)})"
        for n, (was, now) in room.thresholds_changed.items()
    ]
    if room.base.readings:
        parts.append("read under " + esc(", ".join(r.shown for r in room.base.readings)))
    return _banner(parts)


def _banner(parts: list[str]) -> str:
    if not parts:
        return ""
    return (
        f"<div class=banner role=status><strong>Differs from the profiles and rules:</strong> {'; '.join(parts)}</div>"
    )


def thresholds_panel(room: Room) -> str:
    """The thresholds in force, one compact slider each: always on screen."""
    rulebook = room.rulebook
    scale = rulebook.scale
    rows = []
    for name, threshold in rulebook.thresholds.items():
        rules_value = room.base.thresholds[name].value
        moved = " moved" if threshold.value != rules_value else ""
        rows.append(
            f'<label class="threshold{moved}" title="{esc(threshold.meaning)} (rules: {number(rules_value)})">'
            f"<span class=tname>{esc(name)} {esc(threshold.op)} "
            f'<output data-for="t-{esc(name)}">{number(threshold.value)}</output></span>'
            + (f" <small>(rules {number(rules_value)})</small>" if moved else "")
            + f'<input type=range id="t-{esc(name)}" name="{esc(name)}" data-threshold="{esc(name)}" '
            f'min="{scale.min:g}" max="{scale.max:g}" step="0.1" value="{threshold.value:g}" '
            f'aria-label="threshold {esc(name)}"></label>'
        )
    return (
        '<section id=thresholds aria-label="thresholds in force"><h2>Thresholds in force</h2>'
        + "".join(rows)
        + "</section>"
    )


def portfolio_panel(room: Room, selected: str | None = None) -> str:
    results = room.portfolio()
    by_category: dict[str, list[DomainResult]] = {c: [] for c in CATEGORY_ORDER}
    for result in results:
        by_category.setdefault(result.category, []).append(result)
    columns = []
    for category, members in by_category.items():
        if not members:
            continue
        chips = "".join(
            f'<button class="chip{" selected" if r.id == selected else ""}{" fragile" if r.fragile else ""}" '
            f'data-domain="{esc(r.id)}" title="{esc(r.reason)}">{esc(r.name)}'
            f"{' <small>(' + esc(r.variant) + ')</small>' if r.variant else ''}</button>"
            for r in members
        )
        columns.append(
            f'<div class="category cat-{esc(category)}"><h3>{esc(CATEGORY_NAMES.get(category, category))} '
            f"<span class=count>{len(members)}</span></h3>{chips}</div>"
        )
    return (
        '<section id=portfolio aria-label="portfolio by category"><h2>Portfolio</h2>'
        f"<p class=hint>{plural(len(results), 'domain')}; click one to explain it. "
        "A dotted edge: fragile (one small move changes it).</p>" + "".join(columns) + "</section>"
    )


def _path_items(path: list[Step]) -> str:
    items = []
    for step in path:
        joiner = " or " if step.combine == "any" else " and "
        read = joiner.join(reading_text(r) for r in step.readings)
        items.append(
            f"<li><span class=code>{esc(step.node)}</span> {esc(step.question)} "
            f"<strong>{esc(ANSWER.get(step.outcome, step.outcome))}</strong><br><small>{esc(read)}</small></li>"
        )
    return "".join(items)


def nearest_fragment(nearest: list[Counterfactual]) -> str:
    """The smallest change to each other category (``#nearest``, loaded after the outcome)."""
    return f"<ul id=nearest class=nearest>{_nearest_items(nearest)}</ul>"


def _nearest_items(nearest: list[Counterfactual]) -> str:
    if not nearest:
        return "<li>No change of scores on the scale reaches another category.</li>"
    items = []
    for answer in nearest:
        best = answer.best
        changes = "; ".join(change_text(c) for c in best.changes)
        items.append(f"<li>{category_badge(answer.target.split('/')[0], answer.target)} {esc(changes)}</li>")
    return "".join(items)


def _margin_items(margins: DomainMargins) -> str:
    return "".join(f"<li><span class=sname>{esc(m.score)}</span> {esc(m.text)}</li>" for m in margins.scores)


def outcome_fragment(room: Room, evaluation: Evaluation) -> str:
    """The parts of the domain panel that change as its sliders move: the verdict
    (``#outcome``, above the sliders) and the path and margins (``#details``, with a place for
    the nearest changes, which the page fetches next)."""
    result = evaluation.result
    leaf = f" <span class=code>{esc(result.leaf.code)} {esc(result.leaf.name)}</span>" if result.leaf else ""
    missing = ""
    if result.category == "undetermined":
        missing = f"<p>Missing scores decide it: {esc(', '.join(result.blocking))}.</p>"
    return (
        f'<div id=outcome data-category="{esc(result.category)}">'
        + _banner(
            [f"what-if scores for this domain: {esc(', '.join(evaluation.changed))} (not saved)"]
            if evaluation.changed
            else []
        )
        + f"<p class=verdict>{category_badge(result.category, category_text(result))}{leaf}</p>"
        f"<p class=reason>{esc(result.reason)}</p>{missing}</div>"
        "<div id=details>"
        f"<h3>Path</h3><ol class=path>{_path_items(result.path)}</ol>"
        "<h3>Smallest change to another category</h3>"
        "<ul id=nearest class=nearest><li class=hint>working it out...</li></ul>"
        f"<h3>Margins</h3><ul class=margins>{_margin_items(evaluation.margins)}</ul>"
        "</div>"
    )


def domain_panel(room: Room, evaluation: Evaluation) -> str:
    """One domain: a slider per score, and the outcome."""
    rulebook = room.base
    scale = rulebook.scale
    profile = room.profiles[evaluation.profile.id]
    rows = []
    for name, score in rulebook.scores.items():
        value = evaluation.profile.value(name)
        original = profile.value(name)
        shown = (scale.min + scale.max) / 2 if value is None else value
        rows.append(
            f'<div class=score><label for="s-{esc(name)}"><span class=sname>{esc(name)}</span> '
            f'<output data-for="s-{esc(name)}">{number(value)}</output></label>'
            f"<small>profile: {number(original)}</small>"
            f'<input type=range id="s-{esc(name)}" data-score="{esc(name)}" min="{scale.min:g}" '
            f'max="{scale.max:g}" step="0.1" value="{shown:g}" data-profile="{number(original)}"'
            f'{" data-missing" if value is None else ""} aria-label="{esc(score.label)}">'
            f'<label class=missing><input type=checkbox data-missing-for="{esc(name)}"'
            f"{' checked' if value is None else ''}> missing</label></div>"
        )
    verdict, details = outcome_fragment(room, evaluation).split("<div id=details>", 1)
    return (
        f'<section id=domain data-domain="{esc(profile.id)}" aria-label="selected domain">'
        f"<h2>{esc(profile.name)} <small class=code>{esc(profile.id)}</small> "
        "<button id=reset-scores type=button>Reset to profile</button></h2>"
        f"{verdict}<div class=scores>{''.join(rows)}</div><div id=details>{details}</section>"
    )


def _spread(aggregate) -> str:
    if not aggregate.count:
        return "—"
    if aggregate.spread == 0:
        return f"{number(aggregate.median)} (all {aggregate.count})"
    low, high, median = number(aggregate.minimum), number(aggregate.maximum), number(aggregate.median)
    return f"{low}-{high}, median {median} (n={aggregate.count})"


def room_fragment(room: Room, round_number: int) -> str:
    """The room's sheets of one round: who submitted, the spread, the median outcome,
    and which disagreements change the category."""
    sheets, domains = room.workshop(round_number)
    who = ", ".join(sheets.participants) or "nobody yet"
    parts = [
        f'<div id=room-body data-participants="{len(sheets.participants)}">'
        f"<p><strong>Round {round_number}</strong>: {plural(len(sheets.participants), 'sheet')} "
        f"— <span class=who>{esc(who)}</span></p>"
    ]
    shares = room.room_shares(round_number)
    for domain in domains:
        parts.append(_room_domain(domain, shares.get(domain.profile.id, {})))
    parts.append("</div>")
    return "".join(parts)


def _shares_text(shares: dict[str, float]) -> str:
    ordered = sorted(shares.items(), key=lambda item: -item[1])
    return ", ".join(f"{CATEGORY_NAMES.get(c, c).lower()} {round(100 * p)}%" for c, p in ordered if p > 0)


def _disputed(domain: DomainWorkshop) -> list[tuple[str, str, str]]:
    """(score, the room's spread, whose values change the category) for every score scored."""
    disputes = {d.score: d for d in domain.disagreements}
    rows = []
    for name, aggregate in domain.aggregates.items():
        if not aggregate.count:
            continue
        dispute = disputes.get(name)
        moves = ""
        if dispute is not None and dispute.matters:
            moves = ", ".join(f"{w.participant} {number(w.value)} → {w.outcome}" for w in dispute.changes)
        rows.append((name, _spread(aggregate), moves))
    return rows


def _room_domain(domain: DomainWorkshop, shares: dict[str, float]) -> str:
    result = domain.result
    rows = [
        f"<tr><th>{esc(name)}</th><td>{esc(spread)}</td><td>"
        + (f"<span class=matters>changes the category: {esc(moves)}</span>" if moves else "")
        + "</td></tr>"
        for name, spread, moves in _disputed(domain)
    ]
    return (
        f'<article class=room-domain data-domain="{esc(result.id)}"><h3>{esc(result.name)} '
        f"{category_badge(result.category, category_text(result))} <small>at the medians</small></h3>"
        + (
            f"<p class=shares>If each score takes one participant's value: {esc(_shares_text(shares))}</p>"
            if shares
            else ""
        )
        + f"<table><tbody>{''.join(rows)}</tbody></table></article>"
    )


def facilitator_page(room: Room, evaluation: Evaluation) -> str:
    rounds = room.rounds()
    current = rounds[-1]
    past = "".join(
        f"<li>round {r.number}: closed {esc(r.closed_at)}{f' · audit run {r.run_id}' if r.run_id else ''} · "
        f'<a href="/export/sheets/{r.number}.zip">sheets</a> · <a href="/export/handout/{r.number}.md">handout</a></li>'
        for r in rounds[:-1]
    )
    body = (
        "<header><h1>Workshop room</h1>"
        f"<span class=round>round <strong id=round-number>{current.number}</strong> open</span>"
        "<button id=reset-all type=button>Reset everything to the profiles and rules</button>"
        "<span class=close><label><input type=checkbox id=record-round> record</label>"
        "<button id=close-round type=button>Close round, open the next</button></span>"
        f'<a href="/export/sheets/{current.number}.zip">Export sheets</a>'
        f'<a href="/export/handout/{current.number}.md">Handout</a></header>'
        f"<div id=thresholds-slot>{thresholds_panel(room)}</div>"
        f"<div id=top-banner>{banner(room)}</div>"
        "<main class=facilitator>"
        f"<div class=left>{portfolio_panel(room, evaluation.profile.id)}</div>"
        f"<div class=middle id=domain-slot>{domain_panel(room, evaluation)}</div>"
        f'<div class=right><section id=room aria-label="the room"><h2>The room</h2>'
        f"{room_fragment(room, current.number)}</section>"
        f"<section id=rounds><h2>Closed rounds</h2><ul>{past or '<li>none yet</li>'}</ul></section></div>"
        "</main>"
    )
    return _page("Workshop room: facilitator", body, script="room.js", kind="facilitator")


# ----------------------------------------------------------------------------- participant


def _options(rulebook: Rulebook, chosen: str | None) -> str:
    scale = rulebook.scale
    values = [""]
    values += [s for s in rulebook.symbols]
    step = 0.5
    v = scale.min
    while v <= scale.max + 1e-9:
        values.append(f"{v:g}")
        v += step
    out = []
    for value in values:
        if value == "":
            label = "— not scored"
        elif value in rulebook.symbols:
            mapped = rulebook.symbols[value]
            label = f"{value} (missing)" if mapped is None else f"{value} ({mapped:g})"
        else:
            label = value
        selected = " selected" if chosen is not None and chosen == value else ""
        out.append(f'<option value="{esc(value)}"{selected}>{esc(label)}</option>')
    return "".join(out)


def _given(sheet: Sheet | None, domain_id: str, score: str) -> str | None:
    if sheet is None:
        return None
    entry = sheet.scores.get(domain_id, {}).get(score)
    if entry is None:
        return None
    return entry.symbol if entry.symbol is not None else f"{entry.value:g}"


def participant_page(
    room: Room, name: str | None, previous: Sheets | None, mine_before: Sheet | None, mine_now: Sheet | None
) -> str:
    """The participant's form: name, then per domain a choice per score; with the previous
    round's spread and the participant's own previous answer beside each score."""
    rulebook = room.base
    round_number = room.current_round
    previous_note = ""
    if previous is not None:
        previous_note = (
            f"<p class=hint>Beside each score: round {round_number - 1}'s spread in the room"
            f"{' and your answer then' if mine_before is not None else ''}.</p>"
        )
    domains = []
    for profile in room.profiles.values():
        rows = []
        for score_name, score in rulebook.scores.items():
            hint = ""
            if previous is not None:
                aggregate = ScoreAggregate(score_name, tuple(previous.values(profile.id, score_name)))
                hint = f"room: {_spread(aggregate)}"
                before = _given(mine_before, profile.id, score_name)
                if before is not None:
                    hint += f" · you: {before}"
            field = f"{profile.id}.{score_name}"
            rows.append(
                f"<label class=pscore><span class=sname>{esc(score.label)}</span>"
                f'<select name="{esc(field)}" data-domain="{esc(profile.id)}" data-score="{esc(score_name)}">'
                f"{_options(rulebook, _given(mine_now, profile.id, score_name))}</select>"
                f"{f'<small>{esc(hint)}</small>' if hint else ''}</label>"
            )
        domains.append(
            f"<fieldset class=pdomain><legend>{esc(profile.name)}</legend>"
            + (f"<p class=desc>{esc(profile.description)}</p>" if profile.description else "")
            + "".join(rows)
            + "</fieldset>"
        )
    symbols = ", ".join(f"{s} = {'missing' if v is None else f'{v:g}'}" for s, v in rulebook.symbols.items())
    body = (
        f"<header><h1>Workshop room</h1><span class=round>round {round_number}</span></header>"
        "<main class=participant><form id=sheet>"
        "<label class=name>Your name <input name=participant id=participant required maxlength=60 "
        f'value="{esc(name or "")}" autocomplete=name></label>'
        f"<p class=hint>Score what you can on {rulebook.scale.min:g}-{rulebook.scale.max:g} "
        f"or with the symbols ({esc(symbols)}); "
        "leave the rest as “not scored”. You can submit again: the last submission counts.</p>"
        f"{previous_note}{''.join(domains)}"
        "<p><button type=submit>Submit my sheet</button> <span id=status role=status></span></p>"
        "</form></main>"
    )
    return _page("Workshop room", body, script="sheet.js", kind="participant")


def handout_markdown(room: Room, round_number: int) -> str:
    """The outcome of one round in Markdown: per domain the medians' category and the
    disagreements that change it."""
    sheets, domains = room.workshop(round_number)
    lines = [
        f"# Workshop room: round {round_number}",
        "",
        f"{plural(len(sheets.participants), 'participant')}: "
        + markdown_text(", ".join(sheets.participants) or "none")
        + ".",
        "",
    ]
    changed = room.thresholds_changed
    if changed:
        listed = ", ".join(f"{n} {number(now)} (rules {number(was)})" for n, (was, now) in changed.items())
        lines += [f"Thresholds changed in the room: {markdown_text(listed)}.", ""]
    for domain in domains:
        result = domain.result
        lines += [
            f"## {markdown_text(result.name)}",
            "",
            f"At the medians: **{category_text(result)}**. {markdown_text(result.reason)}",
            "",
        ]
        lines += ["| score | room | changes the category |", "|---|---|---|"]
        lines += [f"| {name} | {spread} | {markdown_cell(moves)} |" for name, spread, moves in _disputed(domain)]
        lines.append("")
    if not domains:
        lines += ["No sheets were submitted in this round.", ""]
    return "\n".join(lines)
