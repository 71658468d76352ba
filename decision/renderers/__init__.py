"""Renderers: each writes one output format from the result model, nothing more.

Takes in ``DomainResult`` objects and the results of analyses. Hands on text or bytes:
rich tables and explanations, JSON and CSV, Markdown, HTML reports, xlsx, tree drawings
(text, Mermaid) and the generated docs/tree.md; wording comes from ``decision.model``.

May import every stage below it (audit, ceps, analyses, engine, inputs, model); never
the command line. Renderers decide nothing: no threshold or branch is read here except to
print it.
"""
