"""The durable-rules backend: each tree node compiled to three durable-rules rules.

Each node becomes three rules (yes / no / unknown) whose conditions are written out in
full, so that for any scores exactly one of them matches; a catch-all rule of the lowest
priority turns "no rule matched" into an explicit engine error instead of a crash (see
shared/notes/durable-rules.md). One message is posted per node; the rule that fired is
the node's outcome.

Importing this module imports durable-rules' C extension, which fails on Python 3.13
and wherever it could not be built; ``decision.engine.choice`` imports it only when this
backend is chosen, and turns that failure into one line.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import durable_rules_engine
from durable import engine as durable_engine

from decision.engine.nodes import FEASIBILITY_NODE, node_criteria
from decision.errors import EngineError
from decision.inputs.rulebook import OPERATORS, Criterion, Rulebook

NAME = "durable-rules"
# The message field that marks our posts; state objects never carry it, so the
# catch-all rule cannot re-fire on state (a measured durable-rules pitfall).
MARKER = "node"


class _QuietHost(durable_engine.Host):
    """A Host without the background timer thread.

    The stock Host runs a timer loop that occasionally makes ``post`` return None and
    keeps a core busy; we never use timers. This overrides private API, hence the pin
    on durable-rules==2.0.28 in pyproject.toml.
    """

    def _run(self):
        pass


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
    for code, criterion in node_criteria(rulebook).items():
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


class DurableRulesBackend:
    """Decides tree nodes by posting the scores to a durable-rules rule set."""

    name = NAME
    _host = None
    _host_lock = threading.Lock()
    _registered: ClassVar[dict[str, _Compiled]] = {}
    _current_fired: ClassVar[list[str]] = []

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook
        self._session = itertools.count()
        self._compiled = self._register(rulebook)
        # A node's rules read only its criterion's scores, so the same node and the same
        # values read always fire the same rule: durable-rules answers each distinct
        # question once per backend, and a portfolio of many similar domains (10,000
        # generated ones share a few hundred questions) does not post the same one again.
        self.answers: dict[tuple, list[str]] = {}

    @classmethod
    def _get_host(cls) -> durable_engine.Host:
        if cls._host is None:
            cls._host = _QuietHost()
        return cls._host

    def _register(self, rulebook: Rulebook) -> _Compiled:
        # durable-rules cannot unregister or re-register a name: one rule set per
        # rules content + thresholds, shared by every backend built on it.
        name = f"decision_{rulebook.identity()}"
        cls = DurableRulesBackend
        with cls._host_lock:
            if name in cls._registered:
                compiled = cls._registered[name]
            else:
                definition = compile_ruleset(rulebook)
                for rule_name, rule in definition.items():
                    rule["run"] = self._recorder(rule_name)
                try:
                    self._get_host().register_rulesets({name: definition})
                except durable_rules_engine.error as exc:
                    raise EngineError(f"durable-rules refused the compiled rule set: {exc}") from None
                compiled = _Compiled(name=name, rule_names=list(definition))
                cls._registered[name] = compiled
            return compiled

    # Actions must take exactly one argument, or durable-rules treats them as async.
    @staticmethod
    def _recorder(rule_name: str):
        def record(context):
            DurableRulesBackend._current_fired.append(rule_name)

        return record

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

    @staticmethod
    def _message(node: str, scores: dict[str, float | None]) -> dict[str, Any]:
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
        cls = DurableRulesBackend
        host = self._get_host()
        with cls._host_lock:
            sid = f"s{next(self._session)}"
            message = self._message(node, scores)
            message["sid"] = sid
            cls._current_fired = []
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
            return list(cls._current_fired)

    def fired_at(self, scores: dict[str, float | None]):
        """The rules that fire at each node for a profile's scores, asked node by node
        as the walk needs them (one post per node visited)."""
        criteria = node_criteria(self.rulebook)
        return _LazyFired(self, criteria, scores)


ANSWER_CACHE_SIZE = 65_536  # distinct questions remembered per backend


class _LazyFired:
    """``{node: [rules fired]}`` computed on first access, so a walk posts only the
    nodes it visits, as the durable-rules walk always did."""

    def __init__(self, backend: DurableRulesBackend, criteria: dict[str, Criterion], scores):
        self._backend, self._criteria, self._scores, self._done = backend, criteria, scores, {}

    def __getitem__(self, node: str) -> list[str]:
        if node not in self._done:
            read = {s: self._scores.get(s) for s in self._criteria[node].scores}
            key = (node, tuple(read.values()))
            answers = self._backend.answers
            if key not in answers:
                if len(answers) >= ANSWER_CACHE_SIZE:
                    answers.clear()
                answers[key] = self._backend.fire(node, read)
            self._done[node] = answers[key]
        return self._done[node]


__all__ = ["FEASIBILITY_NODE", "NAME", "DurableRulesBackend", "compile_ruleset"]
