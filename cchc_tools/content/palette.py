"""The kit's colours, shared by the briefings' matplotlib figures (:mod:`cchc_tools.content.charts`) and the
explorer's SVG bars, kept apart from matplotlib so the explorer draws without importing it."""

COLORS = ["#1f4e79", "#4f9bd9", "#9cc3e6", "#f4a259", "#6a994e"]
