"""Renderers: pure functions from an assessment (and its evidence) to files people read."""
