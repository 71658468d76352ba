"""Inputs: everything read from disk or the command line, checked and located.

Takes in YAML files (with line and column kept for every value), the rules folder,
profiles, indicator mappings, participants' sheets, CSV or Excel tables to import, and
``--set`` / ``--threshold`` strings. Hands on a validated ``Rulebook`` and
``DomainProfile`` objects; bad input raises ``ProfileError``, ``RulesError`` or
``UsageError`` naming file, line, column and field.

May import ``decision.model``, ``decision.errors`` and ``decision.output_file``; never the
engine, analyses or anything above them.
"""
