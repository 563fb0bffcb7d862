"""Prizes for the most active: the catalogue, the draw, where prizes are collected, hand-outs and the audit."""
