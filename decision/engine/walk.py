"""The walk of the decision tree, the same whichever engine decides its nodes.

An engine backend (``decision.engine.durable`` or ``decision.engine.zen``, both compiled
at run time from ``rules/``) decides each node: the rule that fired, ``CODE.yes``,
``CODE.no`` or ``CODE.unknown``. The walk records each step with the figures it read,
checks every decision against the three-valued logic of the readings, follows the
branch, and explores an unknown outcome (a missing score) on both sides so the result
can say which categories remain reachable.
"""

from __future__ import annotations

from decision.engine.choice import make_backend, resolve_engine
from decision.engine.nodes import FEASIBILITY_NODE, OUTCOMES, combine, compare
from decision.errors import EngineError
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import NEGATED_SYMBOL, Rulebook
from decision.model.result import (
    ActionRef,
    Alternative,
    DomainResult,
    LeafRef,
    Notice,
    Reading,
    Step,
    ThresholdUsed,
)

__all__ = ["FEASIBILITY_NODE", "OUTCOMES", "Engine", "classify_all", "combine", "compare"]

# Warning codes are permanent, like the codes in rules/.
W_FEASIBILITY_WEAK = "VW01"
W_FEASIBILITY_UNKNOWN = "VW02"
W_LINK_UNDETERMINED = "VW03"
W_UNDETERMINED = "VW04"
W_FACTOR_WEAK = "VW05"


STEP_CACHE_SIZE = 65_536  # distinct (node, values read) pairs kept; beyond it the cache starts again


class Engine:
    """Classifies profiles under one rulebook by walking its tree.

    ``engine`` names the backend ("durable-rules" or "zen"); by default the rulebook's
    choice for the run, else the default of ``decision.engine.choice``.
    """

    def __init__(self, rulebook: Rulebook, engine: str | None = None):
        self.rulebook = rulebook
        self.name = resolve_engine(engine or rulebook.engine).name
        self.backend = make_backend(self.name, rulebook)
        self._fired = None
        # Results of one engine share what does not differ between domains: a step with the
        # same values read, an action with the same reason, the thresholds in force. The
        # result model is frozen-by-convention (nothing mutates a result), and sharing cuts
        # the memory of a 10,000-domain run several times over (benchmarks/memory.py).
        self._steps: dict[tuple, Step] = {}
        self._actions: dict[tuple[str, str], ActionRef] = {}
        self._thresholds_used: dict[str, ThresholdUsed] | None = None

    def fire(self, node: str, scores: dict[str, float | None], *, all_matches: bool = False) -> list[str]:
        """The names of the rules that fire at ``node`` for ``scores`` (see the backends)."""
        return self.backend.fire(node, scores, all_matches=all_matches)

    def decide(self, node: str, scores: dict[str, float | None]) -> tuple[str, str]:
        """The outcome (yes/no/unknown) at ``node`` and the rule that produced it."""
        return self._decision(node, self.fire(node, scores))

    @staticmethod
    def _decision(node: str, fired: list[str]) -> tuple[str, str]:
        if len(fired) != 1 or not fired[0].startswith(f"{node}."):
            raise EngineError(f"{node}: expected one rule to fire, got {fired or 'none'}")
        rule = fired[0]
        return rule.rsplit(".", 1)[1], rule

    def _step(self, node_code: str, profile: DomainProfile) -> Step:
        rulebook = self.rulebook
        if node_code == FEASIBILITY_NODE:
            criterion = rulebook.criteria[rulebook.feasibility.criterion]
            name, cite, interpretation, targets = (
                "feasibility",
                rulebook.feasibility.cite,
                None,
                ("", ""),
            )
        else:
            node = rulebook.nodes[node_code]
            criterion = rulebook.criteria[node.criterion]
            name, cite, interpretation = node.name, node.cite, node.interpretation
            targets = (node.if_yes, node.if_no)
        fired = self._fired[node_code]
        key = (node_code, tuple(profile.value(score) for score in criterion.scores), tuple(fired))
        cached = self._steps.get(key)
        if cached is not None:  # the same values and the same rule fired: checked when first built
            return cached
        readings = []
        read_scores: dict[str, float | None] = {}
        for score in criterion.scores:
            value = profile.value(score)
            threshold = rulebook.thresholds[score]
            read_scores[score] = value
            readings.append(
                Reading(
                    score=score,
                    value=value,
                    op=threshold.op,
                    threshold=threshold.value,
                    threshold_origin=threshold.origin,
                    passed=compare(value, threshold.op, threshold.value),
                )
            )
        outcome, rule = self._decision(node_code, fired)
        expected = combine([r.passed for r in readings], criterion.combine)
        if outcome != expected:
            # A disagreement means durable-rules read a value differently than Python
            # does; never let that pass silently into a classification.
            raise EngineError(f"{node_code}: rule {rule} fired but the readings give {expected}")
        next_code = {"yes": targets[0], "no": targets[1]}.get(outcome, "")
        if len(self._steps) >= STEP_CACHE_SIZE:
            self._steps.clear()
        step = self._steps[key] = Step(
            node=node_code,
            node_name=name,
            criterion=criterion.code,
            criterion_key=criterion.key,
            question=criterion.question,
            combine=criterion.combine,
            readings=readings,
            outcome=outcome,
            next=next_code,
            rule=rule,
            cite=cite,
            interpretation=interpretation or criterion.interpretation,
        )
        return step

    def _explore(self, code: str, profile: DomainProfile, path: list[Step], assumptions: list[str]):
        """Yield (leaf code, path, assumptions) for every leaf the profile can reach."""
        if code in self.rulebook.leaves:
            yield code, path, assumptions
            return
        if len(path) > len(self.rulebook.nodes):
            raise EngineError(f"walk longer than the tree at {code}: a cycle?")
        step = self._step(code, profile)
        if step.outcome != "unknown":
            yield from self._explore(step.next, profile, [*path, step], assumptions)
            return
        node = self.rulebook.nodes[code]
        for outcome, target in (("yes", node.if_yes), ("no", node.if_no)):
            yield from self._explore(
                target,
                profile,
                [*path, step],
                [*assumptions, f"{code} {step.criterion_key}={outcome}"],
            )

    def classify(self, profile: DomainProfile) -> DomainResult:
        """Walk the tree for one profile and build its full, explained result."""
        rulebook = self.rulebook
        self._fired = self.backend.fired_at({score: profile.value(score) for score in rulebook.scores})
        endings = list(self._explore(rulebook.root, profile, [], []))
        outcomes = {(rulebook.leaves[leaf].category, rulebook.leaves[leaf].variant) for leaf, _, _ in endings}
        leaf_codes = list(dict.fromkeys(leaf for leaf, _, _ in endings))
        first_unknown = next((i for i, s in enumerate(endings[0][1]) if s.outcome == "unknown"), None)
        path = endings[0][1] if first_unknown is None else endings[0][1][: first_unknown + 1]
        alternatives = []
        if first_unknown is not None:
            alternatives = [
                Alternative(
                    assumptions=assumptions,
                    category=rulebook.leaves[leaf].category,
                    variant=rulebook.leaves[leaf].variant,
                    leaf=leaf,
                    path=steps[first_unknown + 1 :],
                )
                for leaf, steps, assumptions in endings
            ]
        warnings: list[Notice] = []
        actions: list[ActionRef] = []
        blocking = self._blocking(endings, profile)
        leaf_ref = None
        if len(outcomes) == 1:
            category, variant = next(iter(outcomes))
            candidate_leaves = [rulebook.leaves[code] for code in leaf_codes]
            missing_links = [
                link
                for link in candidate_leaves[0].missing_links
                if all(link in c.missing_links for c in candidate_leaves)
            ]
            if len(leaf_codes) == 1:
                leaf = candidate_leaves[0]
                leaf_ref = LeafRef(
                    code=leaf.code,
                    name=leaf.name,
                    category=leaf.category,
                    variant=leaf.variant,
                    reason=leaf.reason,
                    missing_links=leaf.missing_links,
                    cite=leaf.cite,
                    interpretation=leaf.interpretation,
                )
                reason = leaf.reason
                leaf_actions = leaf.actions
                because = f"leaf {leaf.code} {leaf.name}"
            else:
                unsure = sorted(self._missing_read(endings, profile))
                warnings.append(
                    Notice(
                        code=W_LINK_UNDETERMINED,
                        message=(
                            f"category is {category}, but the missing link cannot be pinned down: "
                            f"missing {', '.join(unsure)} keeps leaves {', '.join(leaf_codes)} open; "
                            "only the actions common to them are listed"
                        ),
                    )
                )
                reason = f"{category} whatever the missing {', '.join(unsure)} score turns out to be"
                leaf_actions = [
                    code for code in candidate_leaves[0].actions if all(code in c.actions for c in candidate_leaves)
                ]
                because = f"common to leaves {', '.join(leaf_codes)}"
            actions.extend(self._action(code, because) for code in leaf_actions)
            for link in missing_links:
                for code in rulebook.missing_links[link].actions:
                    actions.append(self._action(code, f"missing link: {link}"))
            cross = rulebook.cross_cutting
            if cross is not None and category in cross.categories:
                actions.extend(self._action(code, f"every {category} domain: {cross.label}") for code in cross.actions)
        else:
            category, variant, missing_links = "undetermined", None, []
            reachable_text = ", ".join(sorted(self._label(c, v) for c, v in outcomes))
            reason = f"missing {', '.join(blocking)} decides between {reachable_text}"
            warnings.append(
                Notice(
                    code=W_UNDETERMINED,
                    message=f"undetermined: missing {', '.join(blocking)} decides between {reachable_text}",
                )
            )
        feasibility = self._step(FEASIBILITY_NODE, profile)
        warnings.extend(self._feasibility_warnings(feasibility, profile, actions))
        reachable = sorted({self._label(c, v) for c, v in outcomes}) if len(outcomes) > 1 else []
        answer = getattr(self._fired, "answer", None)
        if answer is not None:
            walked = {"category": category, "variant": variant, "leaf": leaf_ref.code if leaf_ref else None}
            if answer != walked:
                # The graph computes reachability on its own: a difference means the
                # compiled graph and the walk disagree about the tree.
                raise EngineError(f"{profile.id}: the {self.name} graph answers {answer}, the walk {walked}")
        return DomainResult(
            id=profile.id,
            name=profile.name,
            file=profile.file,
            category=category,
            variant=variant,
            leaf=leaf_ref,
            reason=reason,
            path=path,
            missing_links=missing_links,
            actions=self._dedupe(actions),
            warnings=warnings,
            blocking=blocking,
            reachable=reachable,
            alternatives=alternatives,
            feasibility=feasibility,
            scores=profile.scores,
            factors=profile.factors,
            engine=self.name,
            readings=[f"{r.code} {r.name}" for r in rulebook.readings],
            thresholds=self._thresholds_in_force(),
        )

    def _thresholds_in_force(self) -> dict[str, ThresholdUsed]:
        if self._thresholds_used is None:
            self._thresholds_used = {
                name: ThresholdUsed(
                    value=t.value, op=t.op, origin=t.origin, meaning=t.meaning, interpretation=t.interpretation
                )
                for name, t in self.rulebook.thresholds.items()
            }
        return self._thresholds_used

    @staticmethod
    def _label(category: str, variant: str | None) -> str:
        return category if variant is None else f"{category}/{variant}"

    def _missing_read(self, endings, profile: DomainProfile) -> set[str]:
        missing: set[str] = set()
        for _, steps, _ in endings:
            for step in steps:
                if step.outcome == "unknown":
                    missing.update(r.score for r in step.readings if r.value is None)
        return missing

    def _blocking(self, endings, profile: DomainProfile) -> list[str]:
        """Missing scores at unknown steps whose two sides reach different categories."""
        rulebook = self.rulebook
        blocking: set[str] = set()
        by_step: dict[tuple[int, str], set] = {}
        for leaf, steps, _ in endings:
            for depth, step in enumerate(steps):
                if step.outcome == "unknown":
                    prefix = tuple(s.node for s in steps[: depth + 1])
                    key = (depth, "/".join(prefix))
                    leaf_def = rulebook.leaves[leaf]
                    by_step.setdefault(key, set()).add((leaf_def.category, leaf_def.variant))
        for (depth, prefix), reached in by_step.items():
            if len(reached) > 1:
                for _, steps, _ in endings:
                    if "/".join(s.node for s in steps[: depth + 1]) == prefix:
                        blocking.update(r.score for r in steps[depth].readings if r.value is None)
                        break
        return sorted(blocking)

    def _action(self, code: str, because: str) -> ActionRef:
        cached = self._actions.get((code, because))
        if cached is not None:
            return cached
        action = self.rulebook.actions[code]
        made = self._actions[(code, because)] = ActionRef(
            code=action.code,
            name=action.name,
            text=action.text,
            cite=action.cite,
            interpretation=action.interpretation,
            because=because,
        )
        return made

    @staticmethod
    def _dedupe(actions: list[ActionRef]) -> list[ActionRef]:
        seen: set[str] = set()
        unique = []
        for action in actions:
            if action.code not in seen:
                seen.add(action.code)
                unique.append(action)
        return unique

    def _feasibility_warnings(self, step: Step, profile: DomainProfile, actions: list[ActionRef]) -> list[Notice]:
        rulebook = self.rulebook
        threshold = rulebook.thresholds[rulebook.criteria[rulebook.feasibility.criterion].scores[0]]
        if step.outcome == "unknown":
            return [
                Notice(
                    code=W_FEASIBILITY_UNKNOWN,
                    message="feasibility is not scored: whether the choice can be realised is unknown",
                )
            ]
        weak = [
            name
            for name, factor in profile.factors.items()
            if compare(factor.value, threshold.op, threshold.value) is False
        ]
        if step.outcome == "yes":
            if not weak:
                return []
            # The overall score passes but a factor does not: say so, without the
            # factor actions, which the source ties to a failed feasibility.
            return [
                Notice(
                    code=W_FACTOR_WEAK,
                    message=(
                        f"feasibility passes overall, but factor(s) {', '.join(weak)} lie below "
                        f"{threshold.value:g}: check that the overall score is right"
                    ),
                )
            ]
        value = step.readings[0].value
        negated = NEGATED_SYMBOL[threshold.op]
        if weak:
            detail = "weak factors: " + ", ".join(f"{name} {profile.factors[name].value:g}" for name in weak)
            for name in weak:
                for code in rulebook.factors[name].actions:
                    actions.append(self._action(code, f"weak feasibility factor: {name}"))
        else:
            detail = "no factor breakdown given (add feasibility_factors to see which actions apply)"
        return [
            Notice(
                code=W_FEASIBILITY_WEAK,
                message=(
                    f"feasibility {value:g} {negated} {threshold.value:g}: realising this choice needs work "
                    f"(feasibility is not a gate in the source, so the outcome does not change); {detail}"
                ),
            )
        ]


def classify_all(profiles: list[DomainProfile], rulebook: Rulebook, engine: str | None = None) -> list[DomainResult]:
    """Classify many profiles under one rulebook, in input order."""
    engine = Engine(rulebook, engine)
    return [engine.classify(profile) for profile in profiles]
