"""The one result model. Every renderer (table, json, csv, markdown) writes from it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_serializer

Outcome = Literal["yes", "no", "unknown"]
Category = Literal["strong", "ecosystem-gap", "moonshot", "no-focus", "undetermined"]

# Where a score came from: the profile file, derived from the profile's indicators by
# rules/indicators.yaml, derived from the profile's feasibility factors, or the median of
# participants' score sheets (decision workshop). Precedence of scores, highest first:
# --set, then a score written in the profile (or the sheets' median), then one derived
# from indicators, then (feasibility only) the weakest feasibility factor. Thresholds carry
# their own origin, "rules" or "--threshold"; the command line wins over the rules folder.
Origin = Literal["profile", "indicators", "derived", "sheets", "--set", "room"]


class IndicatorValue(BaseModel):
    """A raw figure a profile gives under ``indicators:`` (None = explicitly not available)."""

    model_config = ConfigDict(frozen=True)

    indicator: str | None = None
    value: float | None
    symbol: str | None = None
    source: str | None = None
    note: str | None = None
    # A proxy (a parent sector's figure, a wider geography) rather than the domain's own.
    assumption: bool = False
    location: str | None = None


class IndicatorUse(BaseModel):
    """One figure read by a derivation: where it came from, the rule applied, the result."""

    model_config = ConfigDict(frozen=True)

    indicator: str
    label: str
    raw: float
    symbol: str | None = None
    source: str | None = None
    note: str | None = None
    location: str | None = None
    transform: str
    rule: str
    score: float
    weight: float | None = None


class Derivation(BaseModel):
    """How a score was (or, when the profile gives the score itself, would have been)
    derived from indicators by one VD rule of rules/indicators.yaml."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    combine: str
    missing_rule: Literal["block", "skip"]
    inputs: list[IndicatorUse]
    missing: list[str]
    # Inputs the profile gives explicitly as not available ("na"), with their provenance,
    # so the reason a figure is absent stays visible.
    unavailable: list[IndicatorValue] = []
    value: float | None
    # False when the profile gave the score explicitly: the explicit score won.
    used: bool
    summary: str
    cite: str
    interpretation: str | None = None


class ScoreValue(BaseModel):
    """A score as read: its number (None = missing) and where it came from."""

    model_config = ConfigDict(frozen=True)

    value: float | None
    symbol: str | None = None
    source: str | None = None
    note: str | None = None
    assumption: bool = False
    origin: Origin = "profile"
    location: str | None = None
    # An uncertain score: the range it may take and how draws spread over it (uniform, or
    # triangular with ``value`` as the mode). The engine always reads ``value``.
    low: float | None = None
    high: float | None = None
    distribution: Literal["uniform", "triangular"] | None = None
    derivation: Derivation | None = None

    @model_serializer(mode="wrap")
    def _omit_absent_range(self, handler):
        # A score without a range or derivation serialises exactly as before those existed.
        data = handler(self)
        if self.low is None and self.high is None and self.distribution is None:
            for key in ("low", "high", "distribution"):
                data.pop(key, None)
        if self.derivation is None:
            data.pop("derivation", None)
        return data


class Reading(BaseModel):
    """One score compared with its threshold inside a test."""

    score: str
    value: float | None
    op: str
    threshold: float
    threshold_origin: str
    passed: bool | None


class Step(BaseModel):
    """One test the engine took: which node, what it read, what it decided."""

    node: str
    node_name: str
    criterion: str
    criterion_key: str
    question: str
    combine: Literal["any", "all"]
    readings: list[Reading]
    outcome: Outcome
    next: str
    rule: str
    cite: str
    interpretation: str | None = None


class LeafRef(BaseModel):
    """The leaf a path ended in."""

    code: str
    name: str
    category: str
    variant: str | None
    reason: str
    missing_links: list[str]
    cite: str
    interpretation: str | None = None


class ActionRef(BaseModel):
    """A policy action attached to a result, and why it is there."""

    code: str
    name: str
    text: str
    cite: str
    interpretation: bool
    because: str


class Notice(BaseModel):
    """A warning on a result: coded, so audits and tests can refer to it."""

    code: str
    message: str


class Alternative(BaseModel):
    """Where a path would end under one assumption about the unknown tests."""

    assumptions: list[str]
    category: str
    variant: str | None
    leaf: str
    path: list[Step]


class DomainResult(BaseModel):
    """The classification of one domain, with everything needed to explain it."""

    id: str
    name: str
    file: str
    category: Category
    variant: str | None
    leaf: LeafRef | None
    reason: str
    path: list[Step]
    missing_links: list[str]
    actions: list[ActionRef]
    warnings: list[Notice]
    blocking: list[str]
    reachable: list[str]
    alternatives: list[Alternative]
    feasibility: Step | None
    scores: dict[str, ScoreValue]
    factors: dict[str, ScoreValue]
    thresholds: dict[str, ThresholdUsed]
    # The engine whose decisions the walk followed: "durable-rules" or "zen". Both give the
    # same result otherwise (a test proves it on the whole score grid).
    engine: str = "durable-rules"
    # Set by `decision classify` only: one-score moves of at most the fragile step (rules/workshop.yaml)
    # that change the outcome, e.g. "science -0.01 -> ecosystem-gap". Empty when robust or not computed.
    fragile: list[str] = []
    # The alternative readings of the source the rules were read under (rules/readings/),
    # e.g. "VR01 science-without-translation"; empty under the default reading.
    readings: list[str] = []

    @model_serializer(mode="wrap")
    def _omit_default_reading(self, handler):
        # A result under the default reading serialises exactly as before readings existed,
        # so recorded runs replay to the same bytes.
        data = handler(self)
        if not self.readings:
            data.pop("readings", None)
        return data


class ThresholdUsed(BaseModel):
    """A threshold in force for a run, and where its value came from."""

    value: float
    op: str
    origin: str
    meaning: str
    interpretation: str | None = None


class RecordBinding(BaseModel):
    """Where a printed output's run is recorded, so that the paper can be checked against
    the audit store later: the run, its record hash, and the store's checkpoint line."""

    run_id: int
    store: str
    record_hash: str
    checkpoint: str

    def facts(self) -> list[tuple[str, str]]:
        """The binding as label/value pairs for a report header."""
        return [
            ("audit record", f"run {self.run_id} in {self.store}, record hash {self.record_hash}"),
            ("checkpoint", self.checkpoint),
        ]


DomainResult.model_rebuild()
