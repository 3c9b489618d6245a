"""Symbol-constrained decoding: a logits processor for ``mlx_lm.generate.stream_generate``.

While the model writes the string argument of a navigation call inside its code, e.g. after
``goto_definition("``, ``find_references("``, ``hover("`` or ``document_symbols("``, only tokens
that keep the argument a prefix of one of the allowed symbols (names the language server knows,
workspace files) may be sampled; once
the argument is a complete symbol, tokens that close the string (``"``, ``")``, ...) are allowed
too. Outside such a string the logits pass through untouched.

Matching works on bytes: every token's bytes are computed once (exactly, for byte-level BPE
vocabularies), the allowed symbols form a byte trie, and the tokens allowed after a given prefix
are found by walking the symbol trie and a trie of token byte strings together; the resulting
mask is cached per prefix. Cost per generated token: decoding a short tail of the sequence and,
on a cache miss, a walk proportional to the number of matching tokens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final, cast

import mlx.core as mx
import numpy as np

__all__ = [
    "DEFAULT_FUNCTIONS",
    "SymbolConstraint",
    "Vocabulary",
    "make_symbol_constraint",
    "token_bytes_table",
]

DEFAULT_FUNCTIONS: Final = ("goto_definition", "find_references", "hover", "document_symbols")
_TAIL_TOKENS: Final = 96


@cache
def _byte_decoder() -> dict[str, int]:
    """Inverse of the byte-level BPE alphabet: printable bytes stand for themselves, the other
    bytes are shifted to code points from 256 up, in byte order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    mapping: dict[str, int] = {chr(b): b for b in printable}
    shift = 0
    for b in range(256):
        if b not in printable:
            mapping[chr(256 + shift)] = b
            shift += 1
    return mapping


def _is_byte_level(tokenizer: Any) -> bool:
    path = getattr(tokenizer, "name_or_path", None)
    inner = getattr(tokenizer, "_tokenizer", None)
    if path is None and inner is not None:
        path = getattr(inner, "name_or_path", None)
    if path:
        file = Path(str(path)) / "tokenizer.json"
        if file.is_file():
            try:
                decoder: Any = json.loads(file.read_text()).get("decoder") or {}
            except ValueError:
                return False
            kinds = [decoder.get("type")] + [d.get("type") for d in decoder.get("decoders", [])]
            return "ByteLevel" in kinds
    return False


def token_bytes_table(tokenizer: Any) -> list[bytes]:
    """The bytes each token id stands for. Special tokens map to their text; for byte-level BPE
    vocabularies the bytes are exact, otherwise they come from decoding each id alone."""
    vocab = cast(dict[str, int], tokenizer.get_vocab())
    size = max(vocab.values()) + 1 if vocab else 0
    table: list[bytes] = [b""] * size
    special: set[int] = set(cast(Iterable[int], getattr(tokenizer, "all_special_ids", []) or []))
    added = cast(dict[int, Any], getattr(tokenizer, "added_tokens_decoder", {}) or {})
    special.update(added)
    decoder = _byte_decoder() if _is_byte_level(tokenizer) else None
    for text, index in vocab.items():
        if index in special:
            table[index] = text.encode("utf-8")
        elif decoder is not None and all(ch in decoder for ch in text):
            table[index] = bytes(decoder[ch] for ch in text)
        else:
            table[index] = str(tokenizer.decode([index])).encode("utf-8")
    return table


@dataclass
class _Node:
    children: dict[int, _Node] = field(default_factory=lambda: {})
    ids: list[int] = field(default_factory=lambda: [])
    terminal: bool = False


def _insert(root: _Node, key: bytes) -> _Node:
    node = root
    for b in key:
        node = node.children.setdefault(b, _Node())
    return node


class Vocabulary:
    """A tokenizer's token bytes and their trie: built once per model (the costly part of a
    constraint, ~50k tokens), shared by the constraint of every turn."""

    def __init__(self, tokenizer: Any, token_bytes: list[bytes] | None = None) -> None:
        self.token_bytes = token_bytes if token_bytes is not None else token_bytes_table(tokenizer)
        special = set(cast(Iterable[int], getattr(tokenizer, "all_special_ids", []) or []))
        special.update(cast(dict[int, Any], getattr(tokenizer, "added_tokens_decoder", {}) or {}))
        self.tokens = _Node()
        for index, data in enumerate(self.token_bytes):
            if data and index not in special:
                _insert(self.tokens, data).ids.append(index)
        self.subtree: dict[int, list[int]] = {}
        """Token ids under each trie node (keyed by node id), filled as constraints ask."""

    def ids_under(self, node: _Node) -> list[int]:
        """Every token id at or below ``node`` of :attr:`tokens` (cached per node)."""
        key = id(node)
        found = self.subtree.get(key)
        if found is None:
            found = list(node.ids)
            for child in node.children.values():
                found.extend(self.ids_under(child))
            self.subtree[key] = found
        return found


class SymbolConstraint:
    """``(tokens, logits) -> logits``: restricts navigation-call string arguments to ``symbols``.

    Set :attr:`enabled` to False to switch it off (logits then pass through unchanged).
    """

    def __init__(
        self,
        tokenizer: Any,
        symbols: Iterable[str],
        *,
        functions: Sequence[str] = DEFAULT_FUNCTIONS,
        keywords: Sequence[str] = ("symbol", "name"),
        enabled: bool = True,
        token_bytes: list[bytes] | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.enabled = enabled
        self.symbols = sorted({s for s in symbols if s})
        vocab = vocabulary or Vocabulary(tokenizer, token_bytes)
        self._vocab = vocab
        self._token_bytes = vocab.token_bytes
        self._tokens = vocab.tokens
        self._symbols = _Node()
        for symbol in self.symbols:
            _insert(self._symbols, symbol.encode("utf-8")).terminal = True
        names = "|".join(re.escape(f) for f in functions)
        kw = "|".join(re.escape(k) for k in keywords)
        kw_part = rf"(?:(?:{kw})\s*=\s*)?" if kw else ""
        self._trigger = re.compile(rf"\b(?:{names})\(\s*{kw_part}([\"'])".encode())
        self._masks: dict[tuple[bytes, int, int], mx.array] = {}
        self.calls = 0
        self.constrained_steps = 0

    def active_prefix(self, tail: bytes) -> tuple[bytes, int] | None:
        """(argument written so far, closing quote byte) when ``tail`` ends inside a navigation
        call's string argument, else None."""
        matches = list(self._trigger.finditer(tail))
        if not matches:
            return None
        last = matches[-1]
        quote = last.group(1)[0]
        rest = tail[last.end() :]
        if quote in rest or b"\n" in rest:
            return None
        return rest, quote

    def allowed_tokens(self, prefix: bytes, quote: int) -> list[int]:
        """Token ids that may follow the argument ``prefix`` (empty if no symbol has it)."""
        node = self._symbols
        for b in prefix:
            child = node.children.get(b)
            if child is None:
                return []
            node = child
        allowed: list[int] = []
        stack: list[tuple[_Node, _Node, int]] = [(node, self._tokens, 0)]
        while stack:
            snode, tnode, depth = stack.pop()
            if depth > 0:
                allowed.extend(tnode.ids)
            if snode.terminal:
                closing = tnode.children.get(quote)
                if closing is not None:
                    allowed.extend(self._vocab.ids_under(closing))
            for b, schild in snode.children.items():
                tchild = tnode.children.get(b)
                if tchild is not None:
                    stack.append((schild, tchild, depth + 1))
        return allowed

    def _mask(self, prefix: bytes, quote: int, width: int) -> mx.array | None:
        key = (prefix, quote, width)
        mask = self._masks.get(key)
        if mask is None:
            allowed = [i for i in self.allowed_tokens(prefix, quote) if i < width]
            if not allowed:
                return None
            values = np.full((width,), -np.inf, dtype=np.float32)
            values[np.asarray(allowed, dtype=np.int64)] = 0.0
            mask = mx.array(values)
            self._masks[key] = mask
        return mask

    def tail_bytes(self, tokens: Sequence[int]) -> bytes:
        table = self._token_bytes
        return b"".join(table[t] if 0 <= t < len(table) else b"" for t in tokens)

    def __call__(self, tokens: mx.array, logits: mx.array) -> mx.array:
        self.calls += 1
        if not self.enabled or not self.symbols:
            return logits
        tail = cast(list[int], tokens[-_TAIL_TOKENS:].tolist())
        state = self.active_prefix(self.tail_bytes(tail))
        if state is None:
            return logits
        mask = self._mask(state[0], state[1], int(logits.shape[-1]))
        if mask is None:
            return logits
        self.constrained_steps += 1
        return logits + mask.astype(logits.dtype)


def make_symbol_constraint(
    tokenizer: Any,
    symbols: Iterable[str],
    *,
    enabled: bool = True,
    functions: Sequence[str] = DEFAULT_FUNCTIONS,
    vocabulary: Vocabulary | None = None,
) -> list[SymbolConstraint]:
    """``logits_processors`` for ``stream_generate``: one constraint, or none when disabled."""
    if not enabled:
        return []
    return [SymbolConstraint(tokenizer, symbols, functions=functions, vocabulary=vocabulary)]
