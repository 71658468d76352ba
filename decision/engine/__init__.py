"""The engine: the walk of the decision tree, and the evaluators compiled from the same rules.

Takes in a ``Rulebook`` and ``DomainProfile`` objects from ``decision.inputs``. Hands on
``DomainResult`` objects (``decision.model``). The walk (``walk``) records every step,
reading and action; the decision at each node comes from one of two rules engines
compiled at run time from ``rules/``: durable-rules (``durable``) or zen-engine's JDM
graph (``zen``), chosen by ``choice``. The scalar and vectorised evaluators (``scalar``,
``bulk``) decide the same tree in plain Python and numpy for sweeps; ``rules_check``
proves the rules total and unambiguous over the score grid, and the two engines
interchangeable on it. Failures raise ``EngineError``.

May import ``decision.inputs``, ``decision.model`` and ``decision.errors``; never the
analyses, renderers or command line.
"""
