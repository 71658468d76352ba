"""The command line: the typer app (``app``), shared options (``options``), the
``--record`` wiring (``recording``), and one module per command group (``commands``).

Takes in argv. Hands on exit codes and text on stdout/stderr. It is the only stage that
turns decision's exceptions into messages and exit codes. It may import any stage; no
stage imports it.
"""
