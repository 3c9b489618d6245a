"""The lexical shape of a partly written program, as constrained decoding needs it: where an
``execute_code`` program (a Python block, or Qwen3-Coder's ``<parameter=code>``) stands (its
open brackets, the attribute being written and of which result type), read from the bytes the
model has written so far. Pure Python, no mlx: the agent builds the :class:`ResultTypes` it
reads (:func:`punie.agent.symbols.result_types`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from punie.model.chat_template import PYTHON_FENCE_TAGS

__all__ = ["IDENT", "OPENERS", "PAIRS", "Attribute", "CodeState", "ResultTypes", "code_state"]

_OPEN: Final = b"<parameter=code>"
_CLOSE: Final = b"</parameter>"
_FENCE: Final = b"```"
_PY_TAGS: Final = frozenset({b"", *(tag.encode() for tag in PYTHON_FENCE_TAGS)})
PAIRS: Final = {ord(")"): ord("("), ord("]"): ord("["), ord("}"): ord("{")}
OPENERS: Final = frozenset(b"([{")
IDENT: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_CHAIN = rb"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*(?:\[[^\]\n]*\])?)*"
_ASSIGN_CALL = re.compile(
    rb"^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*(?:await[ \t]+)?([A-Za-z_]\w*)\(", re.M
)
_ASSIGN_CHAIN = re.compile(rb"^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*(" + _CHAIN + rb")[ \t]*$", re.M)
_FOR = re.compile(rb"\bfor[ \t]+([A-Za-z_]\w*)[ \t]+in[ \t]+(" + _CHAIN + rb")")
_ACCESS = re.compile(rb"(?<![\w.])(" + _CHAIN + rb")\.(\w*)\Z")
_STEP = re.compile(rb"\.([A-Za-z_]\w*)(\[[^\]\n]*\])?")


@dataclass(frozen=True)
class Attribute:
    """One readable attribute: the result type it holds (``direct``), or the result type of the
    elements of the list it holds (``element``); None when it is neither."""

    direct: str | None = None
    element: str | None = None


@dataclass(frozen=True)
class ResultTypes:
    """Which tool returns which result type, and each result type's attributes."""

    tools: Mapping[str, str]
    attributes: Mapping[str, Mapping[str, Attribute]]


@dataclass(frozen=True)
class CodeState:
    """Where a partly written program stands at its end."""

    brackets: bytes
    """The open brackets, innermost last."""
    access: tuple[str, str] | None = None
    """(result type, attribute prefix) when the program ends in ``<typed>.<prefix>``."""
    typed_name: str | None = None
    """The result type of a bound name the program ends in (``r``), before any dot."""


def _lex(code: bytes) -> tuple[bytes, bytes] | None:
    """(open brackets, code with string and comment bodies blanked) when ``code`` ends outside
    a string literal and a comment, else None. Blanking keeps the regexes off string text."""
    stack = bytearray()
    out = bytearray(code)
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        if c == ord("#"):
            end = code.find(b"\n", i)
            if end < 0:
                return None
            out[i:end] = b" " * (end - i)
            i = end
            continue
        if c in (ord('"'), ord("'")):
            quote = code[i : i + 3] if code[i : i + 3] in (b'"""', b"'''") else code[i : i + 1]
            j = i + len(quote)
            while True:
                end = code.find(quote, j)
                if end < 0:
                    return None
                if code[end - 1 : end] == b"\\" and len(quote) == 1:
                    j = end + 1
                    continue
                break
            out[i + len(quote) : end] = b" " * (end - i - len(quote))
            i = end + len(quote)
            continue
        if c in OPENERS:
            stack.append(c)
        elif c in PAIRS and stack and stack[-1] == PAIRS[c]:
            stack.pop()
        i += 1
    return bytes(stack), bytes(out)


def _resolve(
    chain: bytes, names: Mapping[str, str], types: ResultTypes, iterate: bool = False
) -> str | None:
    """The result type ``chain`` (``r.locations[0]``) evaluates to; with ``iterate``, that of
    its elements. None when unknown."""
    head = re.match(rb"[A-Za-z_]\w*", chain)
    if head is None:
        return None
    current = names.get(head.group().decode())
    rest = chain[head.end() :]
    steps = list(_STEP.finditer(rest))
    for index, step in enumerate(steps):
        if current is None:
            return None
        attribute = types.attributes.get(current, {}).get(step.group(1).decode())
        if attribute is None:
            return None
        last = index == len(steps) - 1
        if step.group(2) is not None or (last and iterate):
            current = attribute.element
        else:
            current = attribute.direct
    if not steps and iterate:
        return None
    return current


def _bindings(code: bytes, types: ResultTypes) -> dict[str, str]:
    """Names bound to result types, in the order the program binds them (later wins)."""
    events: list[tuple[int, str, bytes | None, str | None]] = []
    for m in _ASSIGN_CALL.finditer(code):
        events.append((m.start(), m.group(1).decode(), None, types.tools.get(m.group(2).decode())))
    for m in _ASSIGN_CHAIN.finditer(code):
        events.append((m.start(), m.group(1).decode(), m.group(2), None))
    for m in _FOR.finditer(code):
        events.append((m.start(), m.group(1).decode(), b"for " + m.group(2), None))
    names: dict[str, str] = {}
    for _, name, chain, direct in sorted(events, key=lambda e: e[0]):
        if chain is None:
            found = direct
        elif chain.startswith(b"for "):
            found = _resolve(chain[4:], names, types, iterate=True)
        else:
            found = _resolve(chain, names, types)
        if found is None:
            names.pop(name, None)
        else:
            names[name] = found
    return names


def _program(text: bytes) -> bytes | None:
    """The program ``text`` ends inside: after an unclosed ``<parameter=code>``, or in a Python
    block (an odd number of fence marks, the last one opening a ``python``/``py`` or untagged
    fence whose first line is complete). None when ``text`` ends outside a program."""
    start = text.rfind(_OPEN)
    if start >= 0 and _CLOSE not in text[start:]:
        return text[start + len(_OPEN) :]
    parts = text.split(_FENCE)
    if len(parts) % 2 == 1:
        return None
    body = parts[-1]
    newline = body.find(b"\n")
    if newline < 0 or body[:newline].strip().lower() not in _PY_TAGS:
        return None
    return body[newline + 1 :]


def code_state(text: bytes, types: ResultTypes) -> CodeState | None:
    """The state of the program that ``text`` (the model's output so far) ends inside, or None
    when it does not end inside one, or inside one of its strings or comments."""
    code = _program(text)
    if code is None:
        return None
    lexed = _lex(code)
    if lexed is None:
        return None
    brackets, blank = lexed
    names = _bindings(blank, types)
    access = _ACCESS.search(blank)
    if access is not None:
        owner = _resolve(access.group(1), names, types)
        if owner is not None:
            return CodeState(brackets, access=(owner, access.group(2).decode()))
        return CodeState(brackets)
    tail = re.search(rb"(?<![\w.])([A-Za-z_]\w*)\Z", blank)
    if tail is not None and tail.group(1).decode() in names:
        return CodeState(brackets, typed_name=names[tail.group(1).decode()])
    return CodeState(brackets)
