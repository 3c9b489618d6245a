"""Flawed first programs for recovery traces.

A recovery query's teacher first writes its own program with one slip a small model makes
(seen in validation: ``res.symbol`` for ``r.symbols``): a result field misspelled, or a result
read through a name that was never assigned. The harvest runs that program in the real
executor, so the error the model is shown next is genuine (the type checker's diagnostics, or
a ``NameError``), and the teacher's correct program follows it. The build trains only that
second reply, with the failed attempt and its error as context: what to write after a failure.
A slip that happens to run is not a recovery trace; the harvest rejects it (``flaw-ran``).
"""

from __future__ import annotations

import io
import re
import tokenize

__all__ = ["flawed"]

_VARS = ("r", "res", "result", "where")
_ASSIGN = re.compile(r"^(\w+) = \w+\(", re.MULTILINE)
_SLIPS = {
    "file_count": "files_count",
    "match_count": "matches",
    "error_count": "errors_count",
    "violation_count": "violations_count",
    "fixable_count": "fixable",
    "matches": "match",
    "qualified": "qualname",
    "end_line": "end",
    "node_id": "nodeid",
    "docstring": "doc",
    "signature": "sig",
}


def _misspelt(name: str) -> str:
    if name in _SLIPS:
        return _SLIPS[name]
    return name[:-1] if name.endswith("s") else name + "s"


def _field_reads(program: str) -> list[tuple[int, str]]:
    """``(offset, name)`` of each ``x.name`` read that is not a method call (``x.name(``),
    found by the tokenizer, so text inside string literals (``"shop/cart.py"``) is skipped."""
    starts = [0]
    for line in program.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(program).readline)
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    reads: list[tuple[int, str]] = []
    for before, token, after in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if before.string == "." and token.type == tokenize.NAME and after.string != "(":
            reads.append((starts[token.start[0] - 1] + token.start[1], token.string))
    return reads


def _field_slip(program: str, key: int) -> str | None:
    reads = _field_reads(program)
    if not reads:
        return None
    offset, name = reads[key % len(reads)]
    return program[:offset] + _misspelt(name) + program[offset + len(name) :]


def _name_slip(program: str, key: int) -> str | None:
    """The first later read of an assigned result through another (unassigned) name."""
    assigned = _ASSIGN.findall(program)
    others = [v for v in _VARS if v not in assigned]
    for name in assigned:
        after = program.index(f"{name} = ") + len(name)
        use = re.compile(rf"\b{re.escape(name)}\.").search(program, after)
        if use is None or not others:
            continue
        other = others[key % len(others)]
        return program[: use.start()] + other + program[use.start() + len(name) :]
    return None


def flawed(program: str, key: int) -> str | None:
    """``program`` with one slip (chosen by ``key``), or ``None`` when it has nothing to slip
    on. Even keys misspell a field read, odd keys read a result through the wrong name; each
    falls back to the other."""
    first, second = (_field_slip, _name_slip) if key % 2 == 0 else (_name_slip, _field_slip)
    out = first(program, key // 2) or second(program, key // 2)
    return out if out is not None and out != program else None
