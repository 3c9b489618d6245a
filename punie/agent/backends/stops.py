"""Where a reply's first call ends, so a local backend stops generating there.

A call is complete after ``</tool_call>`` (Qwen3-Coder XML) or after the closing fence of a
Python block (the form punie's chat template renders a program in). What a model writes after
its call is never read (:func:`punie.agent.parse.parse_reply` takes the first call), so
generating it only costs time and, in a batch, holds up the other turns.
"""

from __future__ import annotations

import re
from typing import Final

from punie.model.chat_template import PYTHON_FENCE_TAGS

__all__ = ["call_end"]

_XML_END: Final = "</tool_call>"
_TAGS: Final = "|".join(sorted(PYTHON_FENCE_TAGS))
_FENCE_OPEN: Final = re.compile(rf"^[ \t]*```[ \t]*(?:{_TAGS})?[ \t]*\n", re.M | re.I)
_FENCE_CLOSE: Final = re.compile(r"\n[ \t]*```")


def call_end(text: str) -> int | None:
    """The index just past the first complete call in ``text``, or None when there is none."""
    ends: list[int] = []
    xml = text.find(_XML_END)
    if xml >= 0:
        ends.append(xml + len(_XML_END))
    opened = _FENCE_OPEN.search(text)
    if opened is not None:
        closed = _FENCE_CLOSE.search(text, opened.end() - 1)
        if closed is not None:
            ends.append(closed.end())
    return min(ends) if ends else None
