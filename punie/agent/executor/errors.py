"""Turning sandbox failures into :class:`ExecutionError` values the model can act on."""

from __future__ import annotations

import re

from pydantic_monty import (
    Frame,
    MontyCrashedError,
    MontyError,
    MontyRuntimeError,
    MontySyntaxError,
)

from punie.agent.executor.limits import ExecutorLimits
from punie.agent.executor.result import ExecutionError, LimitName

__all__ = ["classify", "limit_error"]

_FEED_NAME = re.compile(r'"<python-input-\d+>"')
_AWAIT_HINT = (
    "Hint: a tool call returns its result directly. Use await only as `await tool(...)` or "
    "in `await asyncio.gather(tool(...), tool(...))`."
)


def limit_error(
    limit: LimitName, limits: ExecutorLimits, line: int | None = None
) -> ExecutionError:
    text = {
        "wall_time": f"the program ran longer than {limits.wall_time_s:g}s "
        "(wall time, tool calls included)",
        "compute_time": f"the program computed for more than {limits.compute_time_s:g}s "
        "(an endless loop?)",
        "memory": f"the program used more than {limits.max_memory_bytes // 2**20} MiB of memory",
        "recursion": f"recursion deeper than {limits.max_recursion_depth} calls",
        "tool_calls": f"more than {limits.max_tool_calls} tool calls",
        "output": f"more than {limits.max_output_chars} characters printed (the rest was cut)",
        "suspensions": "too many calls into the host (tools and result methods)",
    }[limit]
    where = f" (line {line})" if line is not None else ""
    message = f"LimitExceeded: {text}{where}"
    return ExecutionError("limit_exceeded", message, line=line, limit=limit)


def _snippet_line(frames: list[Frame]) -> int | None:
    for frame in reversed(frames):
        if frame.filename.startswith("<python-input"):
            return frame.line
    return frames[-1].line if frames else None


def _traceback(exc: MontyRuntimeError | MontySyntaxError) -> str:
    return _FEED_NAME.sub('"snippet"', exc.display("traceback")).strip()


def classify(exc: MontyError, limits: ExecutorLimits) -> ExecutionError:
    """The error for a failed feed (limits recognised by the exception monty raised)."""
    if isinstance(exc, MontyCrashedError):
        if exc.timed_out:
            return limit_error("compute_time", limits)
        return ExecutionError("internal", f"SandboxCrashed: {exc}")
    if isinstance(exc, MontySyntaxError):
        line = _snippet_line(exc.traceback())
        return ExecutionError("syntax", exc.display("type-msg"), line=line, detail=_traceback(exc))
    if not isinstance(exc, MontyRuntimeError):
        return ExecutionError("internal", f"{type(exc).__name__}: {exc}")
    inner = exc.exception()
    text = str(inner)
    line = _snippet_line(exc.traceback())
    if isinstance(inner, TimeoutError) and "time limit" in text:
        return limit_error("compute_time", limits, line)
    if isinstance(inner, MemoryError) and "memory limit" in text:
        return limit_error("memory", limits, line)
    if isinstance(inner, RecursionError):
        return limit_error("recursion", limits, line)
    if isinstance(inner, RuntimeError) and "suspension limit" in text:
        return limit_error("suspensions", limits, line)
    detail = _traceback(exc)
    if "can't be awaited" in text:
        detail += "\n" + _AWAIT_HINT
    return ExecutionError("runtime", exc.display("type-msg"), line=line, detail=detail)
