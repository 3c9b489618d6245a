"""Parsing Python source, safe to call from any thread.

CPython 3.11's ``ast.parse`` keeps its AST-building recursion counter in per-interpreter state,
so two threads parsing at once can corrupt it and fail with ``SystemError: AST constructor
recursion depth mismatch`` (python/cpython#106905, fixed in 3.12/3.13). punie parses in worker
threads (the definition index, while a bridge starts) and on the event loop (a model's program)
at the same time, e.g. when a harvest runs two repositories concurrently. Every parse in punie
goes through :func:`parse`, which holds one process-wide lock: the lock guards a process-wide
resource, so it is module state on purpose.
"""

from __future__ import annotations

import ast
import threading

__all__ = ["parse"]

_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source, filename)`` in ``exec`` mode, serialised with every other parse."""
    with _LOCK:
        return ast.parse(source, filename=filename, mode="exec")
