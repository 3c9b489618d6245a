"""Per-context memo for tools whose result depends only on the workspace's files.

A result is reused only while the workspace fingerprint (every Python file's mtime plus the
project's config files) is unchanged; an edit makes the next call run the real program again.
Results served from the memo say so (``cached=True``). The memo dies with its context.
"""

from __future__ import annotations

import weakref
from typing import Generic, TypeVar

from punie.tools._context import ToolContext

__all__ = ["Fingerprint", "WorkspaceMemo", "fingerprint"]

T = TypeVar("T")
Fingerprint = frozenset[tuple[str, int]]

_CONFIG_FILES = ("pyrightconfig.json", "pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini")


def fingerprint(ctx: ToolContext) -> Fingerprint:
    stamps = ctx.workspace.mtimes()
    for name in _CONFIG_FILES:
        config = ctx.workspace.root / name
        if config.exists():
            stamps[str(config)] = config.stat().st_mtime_ns
    return frozenset(stamps.items())


class WorkspaceMemo(Generic[T]):
    """``key -> (fingerprint, result)`` per context."""

    def __init__(self) -> None:
        self._by_context: dict[int, dict[str, tuple[Fingerprint, T]]] = {}

    def _entries(self, ctx: ToolContext) -> dict[str, tuple[Fingerprint, T]]:
        key = id(ctx)
        if key not in self._by_context:
            self._by_context[key] = {}
            weakref.finalize(ctx, self._by_context.pop, key, None)
        return self._by_context[key]

    def get(self, ctx: ToolContext, key: str, stamp: Fingerprint) -> T | None:
        hit = self._entries(ctx).get(key)
        return hit[1] if hit is not None and hit[0] == stamp else None

    def put(self, ctx: ToolContext, key: str, stamp: Fingerprint, value: T) -> None:
        self._entries(ctx)[key] = (stamp, value)
