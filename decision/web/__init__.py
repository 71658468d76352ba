"""The workshop room (``decision serve``): a local web application over the analyses.

Takes a :class:`~decision.inputs.rulebook.Rulebook`, the profiles and a store file;
hands the room's pages, fragments and JSON API to an ASGI server. It keeps the room's
state (thresholds, sheets, rounds) in :mod:`decision.web.room`, writes HTML in
:mod:`decision.web.pages` and speaks HTTP in :mod:`decision.web.app`. Everything it
shows comes from the existing analyses; it computes nothing of its own.

It sits above the renderers and below the command line; only ``decision.cli`` imports
it, and only the ``serve`` command, so Starlette is needed for nothing else.
"""
