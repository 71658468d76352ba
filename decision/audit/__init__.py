"""Audit: the store of recorded runs and the diffs between runs or rules.

Takes in the rulebook, profiles, results and the command that produced them. Hands on
an append-only SQLite store with a hash chain (``store``), its re-verification, and
comparisons of two runs, two rules folders or two portfolios (``diffing``). Store
problems raise ``AuditStoreError``.

May import analyses and everything below (a verify re-runs what-if and workshop runs);
never ceps, renderers or the command line.
"""
