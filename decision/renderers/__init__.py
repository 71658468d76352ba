"""Renderers: each writes one output format from the result model, nothing more."""
