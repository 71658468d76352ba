"""Analyses: questions asked of the engine's results.

Takes in a ``Rulebook``, profiles and results, and calls the engine. Hands on plain
result objects (pydantic models or dataclasses) for the renderers: what-if comparisons,
margins and fragility, exact counterfactual change sets, robustness (exact outcome
probabilities, acceptability and Sobol indices, or Monte Carlo draws),
workshop disagreements between participants' sheets, and the portfolio view.

May import the engine, inputs, model and errors; never ceps, audit, renderers or the
command line.
"""
