"""The result model and its wording: the bottom of the pipeline.

Takes in nothing but pydantic. Hands on the types every stage speaks: the values a
profile's scores and indicators carry (``ScoreValue``, ``IndicatorValue``), the steps,
readings and notices of a walk, and ``DomainResult``, the one result model from which
every output format is written; ``wording`` phrases them in plain words so that no two
renderers (or analyses that write notices) say the same thing differently.

Must never import any other part of decision except ``decision.errors``.
"""
