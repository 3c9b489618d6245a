"""Type-checks snippets against the tool stubs in one warm sandbox session.

Monty type-checks a fed snippet with ty before running it. A fresh session pays ~20-60 ms for
that (the checker loads the stubs and typeshed); a warm one answers in ~1 ms. So one session is
kept for checking only, and the snippet is fed wrapped so that it cannot run:

    async def __punie_snippet__():
        <snippet, indented>
    raise SystemExit

The body is checked (``await`` is legal in it) but never executed; the trailing ``raise``
makes every feed fail, so nothing accumulates in the session's type-checking context.
Diagnostics are mapped back to the snippet's own lines and columns.
"""

from __future__ import annotations

import re
from contextlib import AsyncExitStack

import anyio
from pydantic_monty import AsyncMonty, MontyCrashedError, MontyError, MontyTypingError

from punie.agent.executor.result import ExecutionError

__all__ = ["TypeChecker"]

_INDENT = "    "
_WRAP_HEAD = "async def __punie_snippet__():\n"
_WRAP_TAIL = f"\n{_INDENT}pass\nraise SystemExit\n"
_SCRIPT = "snippet.py"
_DIAGNOSTIC = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<column>\d+): (?P<rest>\w+\[[\w-]+\] .*)$"
)


def _wrap(code: str) -> str:
    body = "".join(_INDENT + line for line in code.splitlines(keepends=True))
    return _WRAP_HEAD + body + _WRAP_TAIL


def _unwrap(text: str) -> tuple[str, int | None]:
    """Diagnostics with snippet coordinates, and the first line they name."""
    lines: list[str] = []
    first: int | None = None
    for raw in text.strip().splitlines():
        match = _DIAGNOSTIC.match(raw)
        if match is None or match["file"] != _SCRIPT:
            lines.append(raw)
            continue
        line = int(match["line"]) - 1
        column = max(int(match["column"]) - len(_INDENT), 1)
        first = line if first is None else first
        lines.append(f"line {line}, column {column}: {match['rest']}")
    return "\n".join(lines), first


class TypeChecker:
    """Owns one checking session of ``pool``; reopened if its worker dies."""

    def __init__(self, pool: AsyncMonty, stubs: str) -> None:
        self._pool = pool
        self._stubs = stubs
        self._stack: AsyncExitStack | None = None
        self._session = None
        self._lock = anyio.Lock()

    async def _open(self) -> None:
        stack = AsyncExitStack()
        checkout = self._pool.checkout(
            script_name=_SCRIPT,
            type_check=True,
            type_check_stubs=self._stubs,
            type_check_format="concise",
        )
        self._session = await stack.enter_async_context(checkout)
        self._stack = stack

    async def aclose(self) -> None:
        stack, self._stack, self._session = self._stack, None, None
        if stack is not None:
            with anyio.CancelScope(shield=True):
                await stack.aclose()

    async def check(self, code: str) -> ExecutionError | None:
        """``None`` when ``code`` type-checks, else a ``type_check`` error listing the
        diagnostics (``line L, column C: error[rule] message``)."""
        async with self._lock:
            for attempt in (1, 2):
                if self._session is None:
                    await self._open()
                assert self._session is not None
                try:
                    await self._session.feed_start(_wrap(code))
                except MontyTypingError as exc:
                    return self._error(exc.display())
                except MontyCrashedError:
                    await self.aclose()
                    if attempt == 2:
                        raise
                    continue
                except MontyError:
                    return None  # the trailing ``raise SystemExit``: the snippet checked
                # Fed without an error (should not happen): the session is mid-feed, replace it.
                await self.aclose()
                return None
        return None

    @staticmethod
    def _error(display: str) -> ExecutionError:
        text, line = _unwrap(display)
        count = sum(1 for raw in text.splitlines() if raw.startswith("line "))
        noun = "error" if count == 1 else "errors"
        message = f"TypeCheckError: {count or 'some'} {noun} in the program; it was not run"
        where = f" (first at line {line})" if line is not None else ""
        return ExecutionError(
            "type_check", message + where, line=line, detail=f"{message}{where}:\n{text}"
        )
