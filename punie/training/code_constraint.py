"""Program-constrained decoding: while the model writes the program of an ``execute_code`` call,
it cannot close a bracket that is not open, nor read an attribute that its result has not.

Two rules, applied only inside ``<parameter=code>`` ... ``</parameter>`` and outside string
literals and comments of the program written so far:

- **Brackets.** A token whose ``)``, ``]`` or ``}`` does not match the innermost open bracket is
  masked (``final_answer(r.match_count))`` cannot be written; the model's next choice is taken).
- **Attributes.** After ``r.`` where ``r`` was bound by ``r = grep(...)``, by
  ``for d in r.diagnostics`` or by ``loc = r.locations[0]``, only the attributes of that result
  type may follow (``goto_definition(...).signature`` cannot be written; the checker would refuse
  it anyway, and the model tended to write the same program again).

What is a result type and which attributes it has is data (:class:`ResultTypes`), built from the
tool catalogue's result classes by :func:`result_types` (the same shapes the sandbox's stubs are
made of); the constraint itself knows bytes, tokens and Python's lexical shape only.
Both rules are permissive where the program is not understood: an unknown variable, a chained
call, a list method, a program longer than the tail that is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, cast

import mlx.core as mx
import numpy as np

from punie.training.constrained import Vocabulary

__all__ = ["Attribute", "CodeConstraint", "CodeState", "ResultTypes", "code_state", "result_types"]

_TAIL_TOKENS: Final = 512
_OPEN: Final = b"<parameter=code>"
_CLOSE: Final = b"</parameter>"
_PAIRS: Final = {ord(")"): ord("("), ord("]"): ord("["), ord("}"): ord("{")}
_OPENERS: Final = frozenset(b"([{")
_IDENT: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
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


def _result_class(annotation: object) -> type | None:
    from punie.agent.executor.shapes import is_result_class

    return annotation if isinstance(annotation, type) and is_result_class(annotation) else None


def _attribute(annotation: object) -> tuple[Attribute, type | None]:
    """The attribute an annotation makes, and the result class it reaches (if any)."""
    import types
    import typing

    direct = _result_class(annotation)
    if direct is not None:
        return Attribute(direct=direct.__name__), direct
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _attribute(args[0])
    element = _result_class(args[0]) if origin in (list, tuple, Sequence) and args else None
    if element is not None:
        return Attribute(element=element.__name__), element
    return Attribute(), None


def result_types() -> ResultTypes:
    """The catalogue's tools, their result classes and every result class those reach."""
    from punie.agent.executor.shapes import class_shape
    from punie.tools.catalogue import tool_specs

    specs = tool_specs()
    attributes: dict[str, dict[str, Attribute]] = {}
    pending: list[type] = [spec.result_type for spec in specs]
    while pending:
        cls = pending.pop()
        if cls.__name__ in attributes:
            continue
        shape = class_shape(cls)
        table: dict[str, Attribute] = {name: Attribute() for name in shape.method_names}
        for name, annotation in shape.attributes:
            table[name], reached = _attribute(annotation)
            if reached is not None:
                pending.append(reached)
        attributes[cls.__name__] = table
    return ResultTypes({spec.name: spec.result_type.__name__ for spec in specs}, attributes)


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
        if c in _OPENERS:
            stack.append(c)
        elif c in _PAIRS and stack and stack[-1] == _PAIRS[c]:
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


def code_state(text: bytes, types: ResultTypes) -> CodeState | None:
    """The state of the program that ``text`` (the model's output so far) ends inside, or None
    when it does not end inside one, or inside one of its strings or comments."""
    start = text.rfind(_OPEN)
    if start < 0 or _CLOSE in text[start:]:
        return None
    code = text[start + len(_OPEN) :]
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


@dataclass
class _Trie:
    children: dict[int, _Trie] = field(default_factory=lambda: {})
    terminal: bool = False


def _closer_ops(token: bytes) -> bytes | None:
    """The bracket bytes of ``token`` up to its first quote, ``#`` or newline-free string start,
    when it has a closing one there (only such tokens can break bracket balance)."""
    ops = bytearray()
    for b in token:
        if b in (ord('"'), ord("'"), ord("#")):
            break
        if b in _OPENERS or b in _PAIRS:
            ops.append(b)
    return bytes(ops) if any(b in _PAIRS for b in ops) else None


class CodeConstraint:
    """``(tokens, logits) -> logits`` for ``stream_generate``: the two rules of this module."""

    def __init__(self, vocabulary: Vocabulary, types: ResultTypes, enabled: bool = True) -> None:
        self.enabled = enabled
        self.types = types
        self._vocab = vocabulary
        self._closers: list[tuple[int, bytes]] = []
        for index, data in enumerate(vocabulary.token_bytes):
            ops = _closer_ops(data)
            if ops is not None:
                self._closers.append((index, ops))
        self._tries: dict[str, _Trie] = {}
        self._masks: dict[tuple[CodeState, int], mx.array | None] = {}
        self.constrained_steps = 0

    def _trie(self, type_name: str) -> _Trie:
        trie = self._tries.get(type_name)
        if trie is None:
            trie = _Trie()
            for name in self.types.attributes.get(type_name, {}):
                node = trie
                for b in name.encode():
                    node = node.children.setdefault(b, _Trie())
                node.terminal = True
            self._tries[type_name] = trie
        return trie

    def _attribute_tokens(self, type_name: str, prefix: str, dotted: bool) -> list[int] | None:
        """Tokens that keep ``<typed>.`` + prefix a prefix of an attribute (or end one); with
        ``dotted``, the tokens that start with the dot itself. None: the prefix matches none."""
        node = self._trie(type_name)
        for b in prefix.encode():
            child = node.children.get(b)
            if child is None:
                return None
            node = child
        tokens = self._vocab.tokens
        if dotted:
            dot = tokens.children.get(ord("."))
            if dot is None:
                return []
            tokens = dot
            found: list[int] = list(tokens.ids)  # "." alone
        else:
            found = []
        stack = [(node, tokens, 0)]
        while stack:
            anode, tnode, depth = stack.pop()
            if depth > 0:
                found.extend(tnode.ids)
            if anode.terminal:
                for b, child in tnode.children.items():
                    if b not in _IDENT:
                        found.extend(self._vocab.ids_under(child))
            for b, achild in anode.children.items():
                tchild = tnode.children.get(b)
                if tchild is not None:
                    stack.append((achild, tchild, depth + 1))
        return found

    def _bad_closers(self, brackets: bytes) -> list[int]:
        bad: list[int] = []
        for index, ops in self._closers:
            stack = bytearray(brackets)
            for b in ops:
                if b in _OPENERS:
                    stack.append(b)
                elif stack and stack[-1] == _PAIRS[b]:
                    stack.pop()
                else:
                    bad.append(index)
                    break
        return bad

    def mask(self, state: CodeState, width: int) -> mx.array | None:
        """The additive mask for ``state`` (None: nothing to forbid)."""
        key = (state, width)
        if key in self._masks:
            return self._masks[key]
        forbidden = {i for i in self._bad_closers(state.brackets) if i < width}
        only: set[int] = set()
        if state.access is not None:
            owner, prefix = state.access
            only = {i for i in self._attribute_tokens(owner, prefix, False) or () if i < width}
        elif state.typed_name is not None:
            good = set(self._attribute_tokens(state.typed_name, "", True) or ())
            forbidden.update(i for i in self._dot_tokens(width) if i not in good)
        only -= forbidden
        values = np.zeros((width,), dtype=np.float32)
        if only:  # an empty set means the prefix matches no attribute: leave it to the checker
            values[:] = -np.inf
            values[np.fromiter(only, dtype=np.int64)] = 0.0
        elif forbidden:
            values[np.fromiter(forbidden, dtype=np.int64)] = -np.inf
        mask = mx.array(values) if (only or forbidden) else None
        self._masks[key] = mask
        return mask

    def _dot_tokens(self, width: int) -> list[int]:
        dot = self._vocab.tokens.children.get(ord("."))
        return [] if dot is None else [i for i in self._vocab.ids_under(dot) if i < width]

    def __call__(self, tokens: mx.array, logits: mx.array) -> mx.array:
        if not self.enabled:
            return logits
        tail = cast(list[int], tokens[-_TAIL_TOKENS:].tolist())
        table = self._vocab.token_bytes
        text = b"".join(table[t] if 0 <= t < len(table) else b"" for t in tail)
        state = code_state(text, self.types)
        if state is None:
            return logits
        mask = self.mask(state, int(logits.shape[-1]))
        if mask is None:
            return logits
        self.constrained_steps += 1
        return logits + mask.astype(logits.dtype)


def make_code_constraint(
    vocabulary: Vocabulary, types: ResultTypes, *, enabled: bool = True
) -> Sequence[CodeConstraint]:
    """``logits_processors`` for ``stream_generate``: one constraint, or none when disabled."""
    return [CodeConstraint(vocabulary, types)] if enabled else []
