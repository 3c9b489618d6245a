"""Program-constrained decoding: while the model writes the program of an ``execute_code`` call,
it cannot close a bracket that is not open, write a stray backslash, nor read an attribute that
its result has not.

Three rules, applied only inside a program (a Python block, or ``<parameter=code>`` ...
``</parameter>``) and outside string literals and comments of the program written so far:

- **Brackets.** A token whose ``)``, ``]`` or ``}`` does not match the innermost open bracket is
  masked (``final_answer(r.match_count))`` cannot be written; the model's next choice is taken).
- **Backslashes.** Outside strings a backslash is only a line continuation; any other is
  masked (a model raised on Markdown escaped ``r.file_count`` as ``r.file\\_count``).
- **Attributes.** After ``r.`` where ``r`` was bound by ``r = grep(...)``, by
  ``for d in r.diagnostics`` or by ``loc = r.locations[0]``, only the attributes of that result
  type may follow (``goto_definition(...).signature`` cannot be written; the checker would refuse
  it anyway, and the model tended to write the same program again).

What is a result type and which attributes it has is data (:class:`ResultTypes`), built by the
agent from the tool catalogue's result classes (:func:`punie.agent.symbols.result_types`, the
same shapes the sandbox's stubs are made of); this module knows bytes, tokens and Python's
lexical shape only.
Both rules are permissive where the program is not understood: an unknown variable, a chained
call, a list method, a program longer than the tail that is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, cast

import mlx.core as mx
import numpy as np

from punie.model.constrained import Vocabulary
from punie.model.program_shape import IDENT, OPENERS, PAIRS, CodeState, ResultTypes, code_state

__all__ = ["CodeConstraint", "make_code_constraint"]

_TAIL_TOKENS: Final = 512


@dataclass
class _Trie:
    children: dict[int, _Trie] = field(default_factory=lambda: {})
    terminal: bool = False


def _stray_backslash(token: bytes) -> bool:
    """Whether ``token`` has a backslash before its first quote or ``#`` that is not a line
    continuation (one followed by a newline in the same token). Outside strings Python allows
    no other, yet a model raised on Markdown writes ``r.file\\_count``."""
    for i, b in enumerate(token):
        if b in (ord('"'), ord("'"), ord("#")):
            return False
        if b == ord("\\") and token[i + 1 : i + 2] != b"\n":
            return True
    return False


def _closer_ops(token: bytes) -> bytes | None:
    """The bracket bytes of ``token`` before its first quote or ``#`` (after those the text is
    a string or a comment), when one of them closes: only such tokens can break the balance."""
    ops = bytearray()
    for b in token:
        if b in (ord('"'), ord("'"), ord("#")):
            break
        if b in OPENERS or b in PAIRS:
            ops.append(b)
    return bytes(ops) if any(b in PAIRS for b in ops) else None


class CodeConstraint:
    """``(tokens, logits) -> logits`` for ``stream_generate``: the two rules of this module."""

    def __init__(self, vocabulary: Vocabulary, types: ResultTypes, enabled: bool = True) -> None:
        self.enabled = enabled
        self.types = types
        self._vocab = vocabulary
        self._closers: list[tuple[int, bytes]] = []
        self._backslashes: list[int] = []
        for index, data in enumerate(vocabulary.token_bytes):
            ops = _closer_ops(data)
            if ops is not None:
                self._closers.append((index, ops))
            if _stray_backslash(data):
                self._backslashes.append(index)
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
                    if b not in IDENT:
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
                if b in OPENERS:
                    stack.append(b)
                elif stack and stack[-1] == PAIRS[b]:
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
        forbidden.update(i for i in self._backslashes if i < width)
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
