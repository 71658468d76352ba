"""The zen-engine backend: the rules folder compiled to a JDM decision graph.

GoRules' zen-engine (Rust core, wheels for every platform) evaluates JSON Decision Model
graphs. :func:`compile_jdm` writes one graph from a ``Rulebook``:

    scores -> one decision table per node (rows CODE.yes / CODE.no / CODE.unknown,
              hit policy "collect", so an overlap shows as two rows, a gap as none)
           -> outcomes (the one outcome of each node, or "error")
           -> reach (which nodes and leaves the outcomes leave reachable, in tree order)
           -> result {"category", "variant", "leaf"}

The walk reads each table's trace (the ``_id`` of every row that matched, named like the
durable-rules rules) as that node's decision, so recorded steps are the same whichever
engine ran; the graph's own result is checked against the walk's.

zen-engine reads numbers as decimals with at most 28 digits after the point. Scores and
thresholds are therefore handed over as JSON text in their shortest round-trip form,
which compares exactly as the floats do: handing it Python floats instead rounds
3.9999999999999996 to 4 and passes a threshold of 4. A threshold must fit those 28
digits exactly, or the graph is refused. A score that does not fit (only magnitudes
below about 1e-11 can fail to) is replaced, for the engine only, by the nearest decimal
that lies on the same side of its threshold, checked exactly; the readings of the
result keep the score as given.
"""

from __future__ import annotations

import json
import threading
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import zen

from decision.engine.nodes import FEASIBILITY_NODE, OUTCOMES, node_criteria
from decision.errors import EngineError
from decision.inputs.rulebook import Criterion, Rulebook

NAME = "zen"
# Words of the zen expression language that cannot stand as a field name.
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_NEGATION = {">=": "<", ">": "<="}
_MAX_DIGITS = 28


def _decimal(value: float, what: str) -> Decimal:
    text = repr(float(value))
    if text in ("inf", "-inf", "nan"):
        raise EngineError(f"zen-engine cannot read {what}={text}")
    return Decimal(text)


def _fits(number: Decimal) -> bool:
    _sign, digits, exponent = number.as_tuple()
    return -exponent <= _MAX_DIGITS and len(digits) <= _MAX_DIGITS and number.adjusted() < _MAX_DIGITS


def exact_decimal(value: float, what: str) -> str:
    """``value`` as a plain decimal that zen-engine reads exactly, or an EngineError."""
    number = _decimal(value, what)
    if not _fits(number):
        raise EngineError(
            f"zen-engine reads numbers as decimals of {_MAX_DIGITS} digits and cannot read {what}={number} "
            "exactly; use --engine durable-rules"
        )
    return format(number, "f")


def engine_decimal(value: float, what: str, threshold: float | None) -> str:
    """``value`` as a decimal zen-engine reads, on the same side of ``threshold`` as ``value``.

    Comparing shortest round-trip decimals gives the same order as comparing the floats
    (rounding to the nearest float is monotonic), so the side is checked exactly here.
    """
    number = _decimal(value, what)
    if _fits(number):
        return format(number, "f")
    if threshold is None or number.adjusted() >= _MAX_DIGITS:
        return exact_decimal(value, what)
    limit = _decimal(threshold, f"the threshold of {what}")
    side = (number > limit) - (number < limit)
    step = Decimal(1).scaleb(-_MAX_DIGITS)
    nearest = number.quantize(step, rounding=ROUND_HALF_EVEN)
    for candidate in (nearest, nearest + step, nearest - step):
        if (candidate > limit) - (candidate < limit) == side:
            return format(candidate, "f")
    return exact_decimal(value, what)


def _field(score: str) -> str:
    if score in _KEYWORDS:
        raise EngineError(f'score "{score}" is a keyword of zen-engine\'s expression language; rename it')
    return score


def _conditions(criterion: Criterion, rulebook: Rulebook) -> dict[str, str]:
    """The yes / no / unknown conditions of a criterion as zen expressions."""
    passes, fails, absents = [], [], []
    for score in criterion.scores:
        threshold = rulebook.thresholds[score]
        name = _field(score)
        value = exact_decimal(threshold.value, f"the threshold of {score}")
        passes.append(f"({name} != null and {name} {threshold.op} {value})")
        fails.append(f"({name} != null and {name} {_NEGATION[threshold.op]} {value})")
        absents.append(f"{name} == null")

    def join(word: str, parts: list[str]) -> str:
        return parts[0] if len(parts) == 1 else "(" + f" {word} ".join(parts) + ")"

    if criterion.combine == "any":
        yes, no = join("or", passes), join("and", fails)
        # Unknown: no score passes (each fails or is absent) and at least one is absent.
        either = [join("or", [f, a]) for f, a in zip(fails, absents, strict=True)]
    else:
        yes, no = join("and", passes), join("or", fails)
        either = [join("or", [p, a]) for p, a in zip(passes, absents, strict=True)]
    unknown = join("and", [*either, join("or", absents)])
    return {"yes": yes, "no": no, "unknown": unknown}


def _tree_order(rulebook: Rulebook) -> list[str]:
    """Nodes and leaves reachable from the root, each after every node that leads to it
    (a reversed depth-first post-order; linear in the size of the tree)."""
    order: list[str] = []
    state: dict[str, str] = {}
    stack: list[tuple[str, bool]] = [(rulebook.root, False)]
    while stack:
        code, done = stack.pop()
        if done:
            state[code] = "done"
            order.append(code)
            continue
        if state.get(code) == "done":
            continue
        if state.get(code) == "open":
            raise EngineError(f"the tree has a cycle through {code}: it cannot be compiled to a decision graph")
        state[code] = "open"
        stack.append((code, True))
        if code not in rulebook.leaves:
            node = rulebook.nodes[code]
            for target in (node.if_no, node.if_yes):
                if state.get(target) != "done":
                    stack.append((target, False))
    return order[::-1]


def _ternary(key: str, choices: dict[str, str | None]) -> str:
    """``key == "A" ? "a" : key == "B" ? "b" : null``."""
    text = "null"
    for code, value in reversed(choices.items()):
        shown = "null" if value is None else json.dumps(value)
        text = f'{key} == "{code}" ? {shown} : {text}'
    return text


def compile_jdm(rulebook: Rulebook) -> dict[str, Any]:
    """The JDM decision graph of the rules in force (thresholds included).

    It opens in the GoRules editor and simulator; evaluated on a profile's scores (missing
    ones left out) it returns ``{"category", "variant", "leaf"}`` as ``decision classify``
    does, plus nothing else.
    """
    criteria = node_criteria(rulebook)
    nodes: list[dict[str, Any]] = [
        {"id": "scores", "type": "inputNode", "name": "scores", "position": {"x": 0, "y": 0}},
    ]
    edges: list[dict[str, Any]] = []

    def edge(source: str, target: str) -> None:
        edges.append({"id": f"{source}->{target}", "sourceId": source, "targetId": target, "type": "edge"})

    for row, (code, criterion) in enumerate(criteria.items()):
        name = "feasibility" if code == FEASIBILITY_NODE else rulebook.nodes[code].name
        conditions = _conditions(criterion, rulebook)
        nodes.append(
            {
                "id": f"node-{code}",
                "type": "decisionTableNode",
                "name": f"{code} {name}",
                "position": {"x": 320, "y": row * 110},
                "content": {
                    "hitPolicy": "collect",
                    "passThrough": True,
                    "outputPath": f"fired.{code}",
                    "inputField": None,
                    "executionMode": "single",
                    "inputs": [{"id": "condition", "name": f"{criterion.key}: {criterion.question}", "field": ""}],
                    "outputs": [
                        {"id": "rule", "name": "rule", "field": "rule"},
                        {"id": "outcome", "name": "outcome", "field": "outcome"},
                    ],
                    "rules": [
                        {
                            "_id": f"{code}.{outcome}",
                            "_description": f"{code} {outcome}",
                            "condition": conditions[outcome],
                            "rule": json.dumps(f"{code}.{outcome}"),
                            "outcome": json.dumps(outcome),
                        }
                        for outcome in OUTCOMES
                    ],
                },
            }
        )
        edge("scores", f"node-{code}")
        edge(f"node-{code}", "outcomes")

    outcome_expressions = [
        {
            "id": f"outcome-{code}",
            "key": f"outcome.{code}",
            "value": f'len(fired.{code}) == 1 ? fired.{code}[0].outcome : "error"',
        }
        for code in criteria
    ]
    outcome_list = ", ".join(f"$.outcome.{code}" for code in criteria)
    outcome_expressions.append(
        {"id": "error", "key": "error", "value": f'len(filter([{outcome_list}], # == "error")) > 0'}
    )

    order = _tree_order(rulebook)
    reach: dict[str, list[str]] = {}
    for code in order:
        if code in rulebook.leaves:
            continue
        node = rulebook.nodes[code]
        for target, other in ((node.if_yes, "no"), (node.if_no, "yes")):
            reach.setdefault(target, []).append(f'($.reach.{code} and outcome.{code} != "{other}")')
    reach_expressions = [{"id": f"reach-{rulebook.root}", "key": f"reach.{rulebook.root}", "value": "true"}]
    for code in order[1:]:
        reach_expressions.append({"id": f"reach-{code}", "key": f"reach.{code}", "value": " or ".join(reach[code])})
    leaf_codes = [code for code in order if code in rulebook.leaves]
    labels = {code: _label(rulebook, code) for code in leaf_codes}
    for key, shown in (("leaves", {c: c for c in leaf_codes}), ("labels", labels)):
        items = ", ".join(f'$.reach.{c} ? "{shown[c]}" : null' for c in leaf_codes)
        reach_expressions.append({"id": key, "key": key, "value": f"filter([{items}], # != null)"})
    reach_expressions.append(
        {"id": "same", "key": "same", "value": "len($.labels) > 0 and all($.labels, # == $.labels[0])"}
    )
    categories = {code: rulebook.leaves[code].category for code in leaf_codes}
    variants = {code: rulebook.leaves[code].variant for code in leaf_codes}
    result_expressions = [
        {
            "id": "category",
            "key": "category",
            "value": f'error ? null : same ? ({_ternary("leaves[0]", categories)}) : "undetermined"',
        },
        {"id": "variant", "key": "variant", "value": f"error or not same ? null : ({_ternary('leaves[0]', variants)})"},
        {"id": "leaf", "key": "leaf", "value": "not error and len(leaves) == 1 ? leaves[0] : null"},
    ]
    width = 110 * len(criteria)
    stages = (
        ("outcomes", outcome_expressions, True),
        ("reach", reach_expressions, True),
        # Only the answer leaves the graph: the helpers above stay inside it.
        ("result", result_expressions, False),
    )
    for column, (node_id, expressions, passthrough) in enumerate(stages, start=2):
        content = {"expressions": expressions, "passThrough": passthrough, "inputField": None, "outputPath": None}
        position = {"x": 320 * column, "y": width // 2}
        nodes.append(
            {"id": node_id, "type": "expressionNode", "name": node_id, "position": position, "content": content}
        )
    edge("outcomes", "reach")
    edge("reach", "result")
    edge("result", "answer")
    nodes.append({"id": "answer", "type": "outputNode", "name": "answer", "position": {"x": 320 * 5, "y": width // 2}})
    return {"contentType": "application/vnd.gorules.decision", "nodes": nodes, "edges": edges}


def _label(rulebook: Rulebook, code: str) -> str:
    leaf = rulebook.leaves[code]
    return leaf.category if leaf.variant is None else f"{leaf.category}/{leaf.variant}"


def context_json(scores: dict[str, float | None], thresholds: dict[str, float] | None = None) -> str:
    """The scores as the JSON text zen-engine reads exactly (see :func:`engine_decimal`);
    missing scores left out."""
    limits = thresholds or {}
    parts = [
        f"{json.dumps(name)}:{engine_decimal(value, name, limits.get(name))}"
        for name, value in scores.items()
        if value is not None
    ]
    return "{" + ",".join(parts) + "}"


def _message(exc: Exception) -> str:
    # zen-engine's errors carry a Rust backtrace after the first line.
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class ZenEvaluation:
    """One evaluation of the graph: the rules fired at every node (from the trace) and
    the graph's own answer."""

    def __init__(self, fired: dict[str, list[str]], answer: dict[str, Any]):
        self.fired = fired
        self.answer = answer

    def __getitem__(self, node: str) -> list[str]:
        return self.fired[node]


class ZenBackend:
    """Decides tree nodes by evaluating the compiled JDM graph with zen-engine."""

    name = NAME
    _lock = threading.Lock()
    _decisions: dict[str, Any] = {}  # noqa: RUF012 - one compiled graph per rules identity, shared
    _engine = None

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook
        self._nodes = {f"node-{code}": code for code in node_criteria(rulebook)}
        self._thresholds = {name: t.value for name, t in rulebook.thresholds.items()}
        key = rulebook.identity()
        with ZenBackend._lock:
            if key not in ZenBackend._decisions:
                if ZenBackend._engine is None:
                    ZenBackend._engine = zen.ZenEngine()
                graph = json.dumps(compile_jdm(rulebook))
                try:
                    ZenBackend._decisions[key] = ZenBackend._engine.create_decision(graph)
                except Exception as exc:  # zen raises plain RuntimeError-like errors
                    raise EngineError(f"zen-engine refused the compiled graph: {_message(exc)}") from None
            self._decision = ZenBackend._decisions[key]

    def evaluate(self, scores: dict[str, float | None]) -> ZenEvaluation:
        """Evaluate the whole graph once, with its trace."""
        try:
            response = self._decision.evaluate(context_json(scores, self._thresholds), {"trace": True})
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"zen-engine failed on {scores}: {_message(exc)}") from None
        fired: dict[str, list[str]] = {}
        for node_id, entry in response["trace"].items():
            code = self._nodes.get(node_id)
            if code is not None:
                fired[code] = [hit["rule"]["_id"] for hit in entry.get("traceData") or []]
        if set(fired) != set(self._nodes.values()):
            raise EngineError(f"zen-engine's trace lacks nodes {sorted(set(self._nodes.values()) - set(fired))}")
        return ZenEvaluation(fired, answer_of(response["result"]))

    def answer(self, scores: dict[str, float | None]) -> dict[str, Any]:
        """The graph's own answer for ``scores``, evaluated without a trace (faster)."""
        try:
            return self._decision.evaluate(context_json(scores, self._thresholds))["result"]
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"zen-engine failed on {scores}: {_message(exc)}") from None

    def fire(self, node: str, scores: dict[str, float | None], *, all_matches: bool = False) -> list[str]:
        """The rules that match at ``node`` (every one: the tables collect all matches)."""
        return self.evaluate(scores)[node]

    def fired_at(self, scores: dict[str, float | None]) -> ZenEvaluation:
        """The rules fired at every node for a profile's scores, from one evaluation."""
        return self.evaluate(scores)


ANSWER_KEYS = ("category", "variant", "leaf")


def answer_of(result: dict[str, Any]) -> dict[str, Any]:
    """The graph's answer with every key present: zen-engine leaves out keys whose value
    is null, so an absent variant or leaf means none."""
    return {key: result.get(key) for key in ANSWER_KEYS}


def evaluate_graph(graph: str | dict[str, Any], scores: dict[str, float | None]) -> dict[str, Any]:
    """Evaluate a JDM graph (e.g. a file written by ``decision tree --format jdm``) on scores."""
    content = graph if isinstance(graph, str) else json.dumps(graph)
    try:
        return answer_of(zen.ZenEngine().create_decision(content).evaluate(context_json(scores))["result"])
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"zen-engine failed: {_message(exc)}") from None
