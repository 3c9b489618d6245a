"""Where a reply's first call ends, so a local backend stops generating there.

A call is complete after ``</tool_call>`` (Qwen3-Coder XML) or after the closing fence of a
Python block (the form punie's chat template renders a program in). What a model writes after
its call is never read (:func:`punie.agent.parse.parse_reply` takes the first call), so
generating it only costs time and, in a batch, holds up the other turns.

A reply stuck in a loop (the same few tokens over and over: ``"moves_moves_moves_..."``, seen
in validation) also stops (:func:`looping`): it never closes its call, so the rest up to
``max_tokens`` (256 tokens, three times over in a three-step turn) is time spent on a reply that
is already lost, and in a batch it holds up every other turn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from punie.model.chat_template import PYTHON_FENCE_TAGS

__all__ = ["LOOP_REPEATS", "call_end", "looping"]

LOOP_REPEATS: Final = 12
"""A cycle of 1-4 tokens repeated this many times ends the reply (12 of one token, 48 tokens
of a 4-token cycle: longer than any run in a program, where ``)))`` is three)."""
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


def looping(tokens: Sequence[int], repeats: int = LOOP_REPEATS) -> bool:
    """Whether the last tokens are one cycle of 1-4 tokens repeated ``repeats`` times."""
    for period in range(1, 5):
        span = period * repeats
        if len(tokens) < span:
            return False
        tail = tokens[-span:]
        if all(tail[i] == tail[i % period] for i in range(span)):
            return True
    return False
