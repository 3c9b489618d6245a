"""What one run of a snippet produced: the answer or the printed output, every tool call with
its genuine result, and the error (if any) in a form that goes back to the model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["ErrorKind", "ExecutionError", "ExecutionResult", "LimitName", "ToolCallRecord"]

ErrorKind = Literal["syntax", "import", "type_check", "runtime", "limit_exceeded", "internal"]
LimitName = Literal[
    "wall_time", "compute_time", "memory", "recursion", "tool_calls", "output", "suspensions"
]

_NO_OUTPUT = "(no output: print() the values you need, or call final_answer(text))"


@dataclass(frozen=True)
class ExecutionError:
    """Why a snippet did not run to the end.

    ``message`` is one line (``NameError: name 'x' is not defined``); ``detail`` is what the
    model sees in addition (a traceback, or the type checker's diagnostics); ``line`` is the
    1-based snippet line where known; ``limit`` names the limit for ``limit_exceeded``.
    """

    kind: ErrorKind
    message: str
    line: int | None = None
    limit: LimitName | None = None
    detail: str | None = None

    def render(self) -> str:
        return self.detail if self.detail else self.message


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call made by a snippet, in call order.

    ``result`` is the tool's own result object and ``result_json`` its
    :func:`punie.tools._types.result_to_json` form; both are ``None`` when the tool raised
    (``error`` then holds the message the snippet saw). ``concurrent`` is true for a call that
    was awaited (``await tool(...)`` or inside ``asyncio.gather``)."""

    index: int
    name: str
    arguments: dict[str, Any]
    result: object | None
    result_json: dict[str, Any] | None
    error: str | None
    duration_s: float
    concurrent: bool = False


@dataclass(frozen=True)
class ExecutionResult:
    """The outcome of :meth:`punie.agent.executor.Executor.run`."""

    code: str
    final_answer: str | None
    output: str
    tool_calls: tuple[ToolCallRecord, ...]
    error: ExecutionError | None
    duration_s: float

    @property
    def success(self) -> bool:
        return self.error is None

    def render(self) -> str:
        """The text that goes back to the model: the final answer, or the printed output
        followed by the error."""
        if self.final_answer is not None and self.error is None:
            return self.final_answer
        parts = [self.output.rstrip("\n")] if self.output.strip() else []
        if self.error is not None:
            parts.append(self.error.render())
        return "\n".join(parts) if parts else _NO_OUTPUT
