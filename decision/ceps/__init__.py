"""CEPS: the quadrant reading of the CEPS technology study, set beside VARIO's categories.

Takes in profiles (their CEPS indicators), results and ``rules/quadrants.yaml``. Hands on
quadrant assignments, the quadrant chart (matplotlib, imported only when drawing), the
comparison of quadrants with VARIO categories (with the smallest change that would
reconcile them, from ``decision.analyses``), and the label placement of the chart.

May import analyses and everything below; never audit, renderers or the command line.
"""
