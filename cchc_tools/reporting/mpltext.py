"""Text from input files on charts, never as matplotlib markup.

matplotlib reads a pair of ``$`` as math text (``$\\undefinedcmd$`` fails the figure); a unit
name or label taken from a file must be drawn as it is written. Call ``plain_text`` on every
such string before it reaches ``set_title``, ``text``, tick labels or legends.
"""

from __future__ import annotations


def plain_text(text: object) -> str:
    """``text`` as matplotlib draws it literally: every ``$`` escaped (mathtext is the only markup
    matplotlib parses when ``text.usetex`` is off, as in the kit)."""
    return str(text).replace("$", "\\$")
