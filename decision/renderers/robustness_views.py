"""``decision robustness`` as text tables and JSON, from a RobustnessReport.

One table row per domain says what a workshop asks first: the category as profiled and
how likely it is, the likeliest alternative, and the uncertain input that matters most.
With ``--readings``, one report per reading, side by side.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text

from decision.analyses.robustness import DomainRobustness, RobustnessReport


def percent(share: float) -> str:
    """A share as a percentage with one decimal; exactly 100% and 0% without one."""
    text = f"{100 * share:.1f}%"
    return "100%" if text == "100.0%" else "0%" if share == 0 else text


def settings_line(report: RobustnessReport) -> str:
    """How the shares were found: exact, or how many draws with which seed; the overrides in force."""
    if report.method == "exact":
        settings = ["exact shares (no draws, no sampling error)"]
        fallback = sum(d.method == "monte-carlo" for d in report.domains)
        if fallback:
            settings.append(f"{fallback} domains drawn instead: {report.draws} draws, seed {report.seed}")
    else:
        settings = [f"{report.draws} draws per domain", f"seed {report.seed}"]
    if report.thresholds:
        settings.append("thresholds " + ", ".join(f"{k}={v:g}" for k, v in report.thresholds.items()))
    if report.threshold_ranges:
        settings.append(
            "uncertain thresholds "
            + ", ".join(f"{k}={low:g}..{high:g} uniform" for k, (low, high) in report.threshold_ranges.items())
        )
    if report.sheets:
        settings.append(
            f"sheets {report.sheets} ({len(report.participants)} participants: {', '.join(report.participants)})"
        )
    return "; ".join(settings)


def _runner_up(domain: DomainRobustness) -> str:
    found = domain.acceptability
    if found is None or found.runner_up is None:
        return "none"
    return f"{found.runner_up} {percent(found.runner_up_probability)}"


def _profiled(domain: DomainRobustness) -> str:
    found = domain.acceptability
    return "" if found is None else percent(found.probability)


def _matters(domain: DomainRobustness) -> str:
    found = domain.acceptability
    if found is None or found.sensitivity is None:
        return "(drawn)"
    name = found.matters_most
    if name is None:
        return "none"
    _, total = found.sensitivity[name]
    return f"{name} ({total:.2f})"


class _Hanging:
    """``  label: text`` on one line; a text too long for the terminal wraps under itself,
    not back to column 0, so that each domain's list stays readable as one entry."""

    def __init__(self, label: str, text: str, indent: int = 2):
        self.head = " " * indent + f"{label}: "
        self.text = text

    def __rich_console__(self, console, options):
        width = max(options.max_width - len(self.head), 20)
        # Spaces only, as rich wraps: "no-focus/internationalisation" stays whole.
        first, *rest = textwrap.wrap(self.text, width, break_on_hyphens=False) or [""]
        yield Text(self.head + first)
        for line in rest:
            yield Text(" " * len(self.head) + line)


def _listed(heading: str, entries: list[tuple[str, str]]) -> Group:
    """A heading, one hanging ``  id: text`` entry per line, and the blank line after."""
    return Group(Text(heading), *(_Hanging(label, text) for label, text in entries), Text(""))


def robustness_view(report: RobustnessReport) -> Group:
    """The settings line, one row per domain, and a caption on how sure the shares are."""
    table = Table(title="robustness of the classification")
    table.add_column("id", min_width=14, max_width=18, overflow="fold")
    # The outcome columns wrap at their space ("ecosystem-gap / 50.0%"), and the uncertain
    # scores are listed under the table: the table fits 80 columns.
    table.add_column("as profiled", min_width=9)
    table.add_column("runner-up", min_width=9)
    table.add_column("matters most", min_width=9)
    spans = []
    for domain in report.domains:
        varied = [f"{v.score} {v.low:g}-{v.high:g}" for v in domain.variations if v.varies]
        category = domain.acceptability.category if domain.acceptability is not None else domain.as_profiled
        table.add_row(domain.id, f"{category} {_profiled(domain)}", _runner_up(domain), _matters(domain))
        spans.append((domain.id, ", ".join(varied) if varied else "none"))
    uncertain = _listed("uncertain scores (their spans; the JSON says how each spreads):", spans)
    certain = sum(d.certain for d in report.domains)
    if report.sampled:
        table.caption = (
            f"{certain} of {len(report.domains)} domains: one outcome in every draw; "
            f"drawn shares ±{100 * report.margin:.1f} points (95%)"
        )
    else:
        table.caption = f"{certain} of {len(report.domains)} domains: one outcome for certain; shares exact"
    parts: list = [Text(settings_line(report)), table, uncertain]
    notices = [d for d in report.domains if d.notice]
    parts.extend(_Hanging(domain.id, domain.notice, indent=0) for domain in notices)
    split = [d for d in report.domains if set(d.outcomes) != set(d.categories)]
    if split:
        shares = [
            (domain.id, ", ".join(f"{label} {percent(domain.share(label))}" for label in domain.outcomes))
            for domain in split
        ]
        parts.append(_listed("shares by outcome, variants apart:", shares))
    return Group(*parts)


@dataclass(frozen=True)
class ReadingRun:
    """The report under one reading of the source (``code`` None: the default reading)."""

    code: str | None
    name: str
    label: str
    report: RobustnessReport

    def to_json(self) -> dict:
        return {"reading": self.name, "code": self.code, "label": self.label, **self.report.to_json()}


def readings_robustness_view(runs: list[ReadingRun]) -> Group:
    """One column per reading: the share of each category under it, the one as profiled first."""
    table = Table(title="category shares under each reading of the source (as profiled first)")
    table.add_column("id", max_width=18, overflow="fold")
    for run in runs:
        table.add_column(run.code or "default", overflow="fold")
    by_reading = [{d.id: d for d in run.report.domains} for run in runs]
    for domain in runs[0].report.domains:
        cells = []
        for found in by_reading:
            entry = found[domain.id]
            first = entry.acceptability.category if entry.acceptability is not None else None
            order = sorted(entry.categories, key=lambda category: category != first)
            cells.append("\n".join(f"{category} {percent(entry.categories[category])}" for category in order))
        table.add_row(domain.id, *cells)
    legend = Text()
    for run in runs[1:]:
        legend.append(f"{run.code} {run.name}: ", style="bold")
        legend.append(f"{run.label}\n")
    legend.append("Each reading is applied alone (VR01 and VR03 cannot be combined).")
    return Group(Text(settings_line(runs[0].report)), table, legend)


def robustness_json(report: RobustnessReport) -> str:
    """The report as indented JSON."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def readings_robustness_json(runs: list[ReadingRun]) -> str:
    """Every reading's report, the default first."""
    data = {"method": runs[0].report.method, "readings": [run.to_json() for run in runs]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
