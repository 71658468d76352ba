"""``decision portfolio``: the classified domains seen as one portfolio (VARIO 2026, rec. 2).

Counts per category and variant, the domains in each, and the portfolio warnings of
``rules/portfolio.yaml`` (VP01-VP04): too many moonshots, a category that should be
represented holding no domain, more strategic domains than the limit (fragmentation),
and undetermined domains that could still change the counts.

An undetermined domain is not counted as any one category. Each count is therefore a
range: ``at_least`` counts the domains that are surely in it (their every reachable
outcome is in it), ``at_most`` adds those that may land in it. The warnings VP01-VP03
fire on what is sure; VP04 names, for each undetermined domain, the outcomes it can still
reach and the warnings it would set off or clear there. The module works on a list of
:class:`DomainResult`, so it never runs the engine itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel

from decision.inputs.rulebook import MOONSHOT_CATEGORY, PortfolioSettings, Rulebook
from decision.model.result import DomainResult
from decision.model.wording import plural

UNDETERMINED = "undetermined"


class VariantCount(BaseModel):
    """One variant of a category (``None``: the category's leaves without a variant)."""

    variant: str | None
    label: str  # "no-focus (partnership)", "no-focus (no variant)"
    count: int  # domains classified here
    domains: list[str]
    may_join: list[str]  # undetermined domains that may land here
    at_least: int
    at_most: int


class CategoryCount(BaseModel):
    """One category of the tree: how many domains, which, and which may still join."""

    category: str
    label: str
    count: int
    domains: list[str]
    may_join: list[str]
    at_least: int
    at_most: int
    variants: list[VariantCount]  # empty when no leaf of the category has a variant


class UndeterminedDomain(BaseModel):
    """A domain whose category a missing score decides, and what it could do to the portfolio."""

    id: str
    name: str
    reachable: list[str]  # "category" or "category/variant"
    blocking: list[str]
    effects: list[str]  # "as moonshot: sets off VP01 (4 moonshot domains, limit 3)"


class Tally(BaseModel):
    """A count that undetermined domains may move, and its limit."""

    categories: list[str]
    at_least: int
    at_most: int
    domains: list[str]  # surely counted
    undetermined: list[str]  # surely counted although undetermined: every outcome they may have counts
    may_join: list[str]
    limit: int


class PortfolioWarning(BaseModel):
    """A portfolio warning: its permanent code (rules/portfolio.yaml) and what set it off."""

    code: str
    name: str
    message: str
    domains: list[str]
    cite: str
    interpretation: str | None


class PortfolioReport(BaseModel):
    """Everything ``decision portfolio`` prints, in text or JSON."""

    domains: int
    categories: list[CategoryCount]
    undetermined: list[UndeterminedDomain]
    strategic: Tally
    moonshots: Tally
    diversify_across: list[str]
    warnings: list[PortfolioWarning]


def outcome_label(result: DomainResult) -> str:
    """'strong', 'no-focus/partnership' or 'undetermined'."""
    return result.category if result.variant is None else f"{result.category}/{result.variant}"


def _category(label: str) -> str:
    return label.partition("/")[0]


def label_text(label: str) -> str:
    """'no-focus/partnership' -> 'no-focus (partnership)', as the other views write it."""
    category, _, variant = label.partition("/")
    return f"{category} ({variant})" if variant else category


def _possible(result: DomainResult) -> list[str]:
    """The outcomes a result may still have: its own, or every reachable one when undetermined."""
    return list(result.reachable) if result.category == UNDETERMINED else [outcome_label(result)]


Possible = dict[str, list[str]]  # domain id -> outcomes it may have


def _surely(possible: Possible, test: Callable[[str], bool]) -> list[str]:
    return [domain for domain, labels in possible.items() if all(test(label) for label in labels)]


def _maybe(possible: Possible, test: Callable[[str], bool]) -> list[str]:
    return [
        domain
        for domain, labels in possible.items()
        if any(test(label) for label in labels) and not all(test(label) for label in labels)
    ]


Fired = dict[tuple[str, str], tuple[str, list[str], str]]


def _fired(possible: Possible, settings: PortfolioSettings) -> Fired:
    """VP01-VP03 on what is sure: (check, category) -> (message, domains, short form)."""
    fired: Fired = {}
    moonshots = _surely(possible, lambda label: _category(label) == MOONSHOT_CATEGORY)
    if len(moonshots) > settings.max_moonshots:
        message = (
            f"{plural(len(moonshots), 'moonshot domain')}, more than the limit of {settings.max_moonshots} "
            f"(max_moonshots): {', '.join(moonshots)}"
        )
        short = f"{len(moonshots)} moonshot domains, limit {settings.max_moonshots}"
        fired[("too-many-moonshots", "")] = (message, moonshots, short)
    for category in settings.diversify_across:
        if not _surely(possible, lambda label, category=category: _category(label) == category):
            message = (
                f"no {category} domain: the portfolio does not combine every category of diversify_across "
                f"({', '.join(settings.diversify_across)})"
            )
            fired[("empty-category", category)] = (message, [], f"no {category} domain")
    strategic = _surely(possible, lambda label: _category(label) in settings.strategic_categories)
    if len(strategic) > settings.max_strategic_domains:
        open_ = [domain for domain in strategic if len(possible[domain]) > 1]
        among = f"; {len(open_)} of them undetermined but strategic either way" if open_ else ""
        message = (
            f"{plural(len(strategic), 'strategic domain')} ({', '.join(settings.strategic_categories)}{among}), "
            f"more than the limit of {settings.max_strategic_domains} (max_strategic_domains): "
            "too many fragment the impact"
        )
        short = f"{len(strategic)} strategic domains, limit {settings.max_strategic_domains}"
        fired[("too-many-strategic-domains", "")] = (message, strategic, short)
    return fired


def _short(settings: PortfolioSettings, key: tuple[str, str], fired: Fired) -> str:
    """'VP01 (4 moonshot domains, limit 3)'."""
    return f"{settings.warning(key[0]).code} ({fired[key][2]})"


def _effects(possible: Possible, domain: str, settings: PortfolioSettings) -> list[str]:
    """For each outcome the undetermined ``domain`` can reach: the warnings it sets off or clears."""
    now = _fired(possible, settings)
    effects = []
    for label in possible[domain]:
        then = _fired({**possible, domain: [label]}, settings)
        changes = [f"sets off {_short(settings, key, then)}" for key in then if key not in now]
        changes += [f"clears {_short(settings, key, now)}" for key in now if key not in then]
        if changes:
            effects.append(f"as {label_text(label)}: {', '.join(changes)}")
    return effects


def _variants_of(rulebook: Rulebook, category: str) -> list[str | None]:
    """The variants the tree's leaves give ``category``, no-variant first; [] if it has none."""
    used = {leaf.variant for leaf in rulebook.leaves.values() if leaf.category == category}
    if used <= {None}:
        return []
    return (
        [None, *(v for v in rulebook.variants if v in used)]
        if None in used
        else [v for v in rulebook.variants if v in used]
    )


def portfolio_report(rulebook: Rulebook, results: Sequence[DomainResult]) -> PortfolioReport:
    """Counts per category and variant, and the warnings of rules/portfolio.yaml."""
    settings = rulebook.portfolio
    possible: Possible = {r.id: _possible(r) for r in results}
    outcome = {r.id: outcome_label(r) for r in results}

    def row(test: Callable[[str], bool]) -> dict:
        surely = _surely(possible, test)
        maybe = _maybe(possible, test)
        return {
            "count": sum(1 for r in results if r.category != UNDETERMINED and test(outcome[r.id])),
            "domains": [r.id for r in results if r.category != UNDETERMINED and test(outcome[r.id])],
            "may_join": maybe,
            "at_least": len(surely),
            "at_most": len(surely) + len(maybe),
        }

    categories = []
    for category, labelled in rulebook.categories.items():
        variants = [
            VariantCount(
                variant=variant,
                label=f"{category} ({variant or 'no variant'})",
                **row(lambda label, c=category, v=variant: label == (f"{c}/{v}" if v else c)),
            )
            for variant in _variants_of(rulebook, category)
        ]
        categories.append(
            CategoryCount(
                category=category,
                label=labelled.label,
                variants=variants,
                **row(lambda label, c=category: _category(label) == c),
            )
        )

    def tally(names: list[str], limit: int) -> Tally:
        def test(label: str) -> bool:
            return _category(label) in names

        surely = _surely(possible, test)
        maybe = _maybe(possible, test)
        return Tally(
            categories=names,
            at_least=len(surely),
            at_most=len(surely) + len(maybe),
            domains=surely,
            undetermined=[domain for domain in surely if len(possible[domain]) > 1],
            may_join=maybe,
            limit=limit,
        )

    undetermined = [
        UndeterminedDomain(
            id=r.id,
            name=r.name,
            reachable=list(r.reachable),
            blocking=list(r.blocking),
            effects=_effects(possible, r.id, settings),
        )
        for r in results
        if r.category == UNDETERMINED
    ]

    warnings = []

    def warn(check: str, message: str, domains: list[str]) -> None:
        definition = settings.warning(check)
        warnings.append(
            PortfolioWarning(
                code=definition.code,
                name=definition.name,
                message=message,
                domains=domains,
                cite=definition.cite,
                interpretation=definition.interpretation,
            )
        )

    for (check, _), (message, domains, _short_form) in _fired(possible, settings).items():
        warn(check, message, domains)
    for domain in undetermined:
        missing = ", ".join(domain.blocking) or "a score"
        reach = " or ".join(label_text(label) for label in domain.reachable)
        message = f"{domain.id} is undetermined (missing {missing}) and may be {reach}"
        if domain.effects:
            message += "; " + "; ".join(domain.effects)
        warn("undetermined", message, [domain.id])
    order = {code: index for index, code in enumerate(w.code for w in settings.warnings)}
    warnings.sort(key=lambda w: order[w.code])  # stable: per-category and per-domain order kept

    return PortfolioReport(
        domains=len(results),
        categories=categories,
        undetermined=undetermined,
        strategic=tally(list(settings.strategic_categories), settings.max_strategic_domains),
        moonshots=tally([MOONSHOT_CATEGORY], settings.max_moonshots),
        diversify_across=list(settings.diversify_across),
        warnings=warnings,
    )
