"""The durable-rules walk of the decision tree, compiled at run time from ``rules/``.

Each tree node becomes three rules (yes / no / unknown) whose conditions are written
out in full, so that for any scores exactly one of them matches; a catch-all rule of the
lowest priority turns "no rule matched" into an explicit engine error instead of a
crash (see shared/notes/durable-rules.md). The walk posts one message per node, records
which rule fired, and follows the branch; an unknown outcome (a missing score) is
explored on both sides so the result can say which categories remain reachable.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import durable_rules_engine
from durable import engine as durable_engine

from decision.errors import EngineError
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import NEGATED_SYMBOL, OPERATORS, Criterion, Rulebook
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

FEASIBILITY_NODE = "feasibility"
# The message field that marks our posts; state objects never carry it, so the
# catch-all rule cannot re-fire on state (a measured durable-rules pitfall).
MARKER = "node"
OUTCOMES = ("yes", "no", "unknown")

# Warning codes are permanent, like the codes in rules/.
W_FEASIBILITY_WEAK = "VW01"
W_FEASIBILITY_UNKNOWN = "VW02"
W_LINK_UNDETERMINED = "VW03"
W_UNDETERMINED = "VW04"
W_FACTOR_WEAK = "VW05"


class _QuietHost(durable_engine.Host):
    """A Host without the background timer thread.

    The stock Host runs a timer loop that occasionally makes ``post`` return None and
    keeps a core busy; we never use timers. This overrides private API, hence the pin
    on durable-rules==2.0.28 in pyproject.toml.
    """

    def _run(self):
        pass


def compare(value: float | None, op: str, threshold: float) -> bool | None:
    """Three-valued comparison used for the readings shown in explanations."""
    if value is None:
        return None
    if op == ">=":
        return value >= threshold
    if op == ">":
        return value > threshold
    raise EngineError(f'unknown operator "{op}"')


def combine(passed: list[bool | None], how: str) -> str:
    """Kleene combination of per-score results into yes / no / unknown."""
    if how == "any":
        if any(p is True for p in passed):
            return "yes"
        return "no" if all(p is False for p in passed) else "unknown"
    if any(p is False for p in passed):
        return "no"
    return "yes" if all(p is True for p in passed) else "unknown"


def _conditions(criterion: Criterion, rulebook: Rulebook) -> dict[str, dict[str, Any]]:
    """The yes / no / unknown conditions of a criterion in durable-rules' JSON form."""
    passes, fails, unknown_parts = [], [], []
    for score in criterion.scores:
        threshold = rulebook.thresholds[score]
        yes_op, no_op = OPERATORS[threshold.op]
        passes.append({yes_op: {score: threshold.value}})
        fails.append({no_op: {score: threshold.value}})
        unknown_parts.append({"$nex": {score: 1}})

    def join(kind: str, parts: list[dict]) -> dict:
        return parts[0] if len(parts) == 1 else {kind: parts}

    if criterion.combine == "any":
        yes = join("$or", passes)
        no = join("$and", fails)
        # Unknown: no score passes (each fails or is absent) and at least one is absent.
        unknown = join(
            "$and",
            [join("$or", [fail, absent]) for fail, absent in zip(fails, unknown_parts, strict=True)]
            + [join("$or", unknown_parts)],
        )
    else:
        yes = join("$and", passes)
        no = join("$or", fails)
        unknown = join(
            "$and",
            [join("$or", [ok, absent]) for ok, absent in zip(passes, unknown_parts, strict=True)]
            + [join("$or", unknown_parts)],
        )
    return {"yes": yes, "no": no, "unknown": unknown}


def compile_ruleset(rulebook: Rulebook) -> dict[str, dict[str, Any]]:
    """The rule set definition (without actions): three rules per node plus a catch-all."""
    rules: dict[str, dict[str, Any]] = {}
    keyed = [(code, rulebook.criteria[node.criterion]) for code, node in rulebook.nodes.items()]
    keyed.append((FEASIBILITY_NODE, rulebook.criteria[rulebook.feasibility.criterion]))
    for code, criterion in keyed:
        for outcome, condition in _conditions(criterion, rulebook).items():
            rules[f"{code}.{outcome}"] = {
                "pri": 1,
                "all": [{"m": {"$and": [{MARKER: code}, condition]}}],
            }
    rules["no-rule-matched"] = {"pri": 9, "all": [{"m": {"$ex": {MARKER: 1}}}]}
    return rules


@dataclass
class _Compiled:
    name: str
    rule_names: list[str]


class Engine:
    """Classifies profiles under one rulebook by walking its tree in durable-rules."""

    _host = None
    _host_lock = threading.Lock()
    _registered: ClassVar[dict[str, _Compiled]] = {}

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook
        self._session = itertools.count()
        self._compiled = self._register(rulebook)

    @classmethod
    def _get_host(cls) -> durable_engine.Host:
        if cls._host is None:
            cls._host = _QuietHost()
        return cls._host

    def _register(self, rulebook: Rulebook) -> _Compiled:
        # durable-rules cannot unregister or re-register a name: one rule set per
        # rules content + thresholds, shared by every Engine built on it.
        name = f"decision_{rulebook.identity()}"
        with Engine._host_lock:
            if name in Engine._registered:
                compiled = Engine._registered[name]
            else:
                definition = compile_ruleset(rulebook)
                for rule_name, rule in definition.items():
                    rule["run"] = self._recorder(rule_name)
                self._get_host().register_rulesets({name: definition})
                compiled = _Compiled(name=name, rule_names=list(definition))
                Engine._registered[name] = compiled
            return compiled

    # Actions must take exactly one argument, or durable-rules treats them as async.
    @staticmethod
    def _recorder(rule_name: str):
        def record(context):
            Engine._current_fired.append(rule_name)

        return record

    _current_fired: ClassVar[list[str]] = []

    @staticmethod
    def _to_json(message: dict[str, Any]) -> str:
        # durable-rules' JSON parser rejects exponents without a decimal point
        # ("1e-05" is error 204); Python writes tiny floats that way, so we write the
        # message ourselves, with every float in a form it reads exactly.
        parts = []
        for key, value in message.items():
            if isinstance(value, float):
                text = repr(value)
                mantissa, marker, exponent = text.partition("e")
                if marker and "." not in mantissa:
                    text = f"{mantissa}.0e{exponent}"
            else:
                text = json.dumps(value)
            parts.append(f"{json.dumps(key)}:{text}")
        return "{" + ",".join(parts) + "}"

    def _submit(self, message: dict[str, Any], *, as_fact: bool) -> None:
        host = self._get_host()
        ruleset = host.get_ruleset(self._compiled.name)
        native = durable_rules_engine.assert_fact if as_fact else durable_rules_engine.assert_event

        def submit(payload):
            return ruleset._handle_result(native(ruleset._handle, self._to_json(payload)), payload)

        # The same dispatch Host.post uses, with our serialisation (private API; pinned).
        host._handle_function(ruleset, submit, message, None)

    def _message(self, node: str, scores: dict[str, float | None]) -> dict[str, Any]:
        message: dict[str, Any] = {MARKER: node}
        for score, value in scores.items():
            if value is not None:
                message[score] = float(value)
        return message

    def fire(self, node: str, scores: dict[str, float | None], *, all_matches: bool = False) -> list[str]:
        """Post the scores at ``node``; return the names of the rules that fired.

        With ``all_matches`` the message is asserted as a fact, so every matching rule
        fires (used by ``rules check`` to prove the rules exclusive); otherwise it is
        posted and consumed by the first matching rule, as in a real walk.
        """
        host = self._get_host()
        with Engine._host_lock:
            sid = f"s{next(self._session)}"
            message = self._message(node, scores)
            message["sid"] = sid
            Engine._current_fired = []
            try:
                self._submit(message, as_fact=all_matches)
                state = host.get_state(self._compiled.name, sid)
            except durable_engine.MessageNotHandledException:
                raise EngineError(f"{node}: no rule handled the message {message}") from None
            except durable_rules_engine.error as exc:
                raise EngineError(f"{node}: durable-rules refused the message {message}: {exc}") from None
            finally:
                # Free the session at once: durable-rules keeps about a thousand.
                host.delete_state(self._compiled.name, sid)
            if state and "exception" in state:
                raise EngineError(f"{node}: a rule action failed: {state['exception']}")
            return list(Engine._current_fired)

    def decide(self, node: str, scores: dict[str, float | None]) -> tuple[str, str]:
        """The outcome (yes/no/unknown) at ``node`` and the rule that produced it."""
        fired = self.fire(node, scores)
        if len(fired) != 1 or fired[0] == "no-rule-matched":
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
        outcome, rule = self.decide(node_code, read_scores)
        expected = combine([r.passed for r in readings], criterion.combine)
        if outcome != expected:
            # A disagreement means durable-rules read a value differently than Python
            # does; never let that pass silently into a classification.
            raise EngineError(f"{node_code}: rule {rule} fired but the readings give {expected}")
        next_code = {"yes": targets[0], "no": targets[1]}.get(outcome, "")
        return Step(
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
            thresholds={
                name: ThresholdUsed(
                    value=t.value, op=t.op, origin=t.origin, meaning=t.meaning, interpretation=t.interpretation
                )
                for name, t in rulebook.thresholds.items()
            },
        )

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
        action = self.rulebook.actions[code]
        return ActionRef(
            code=action.code,
            name=action.name,
            text=action.text,
            cite=action.cite,
            interpretation=action.interpretation,
            because=because,
        )

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


def classify_all(profiles: list[DomainProfile], rulebook: Rulebook) -> list[DomainResult]:
    """Classify many profiles under one rulebook, in input order."""
    engine = Engine(rulebook)
    return [engine.classify(profile) for profile in profiles]
