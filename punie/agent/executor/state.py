"""The mutable state of one run, frozen into an :class:`ExecutionResult` at the end."""

from __future__ import annotations

from typing import Literal

import anyio
from pydantic_monty import ExternalSettledResult

from punie.agent.executor.errors import limit_error
from punie.agent.executor.limits import ExecutorLimits
from punie.agent.executor.result import (
    ExecutionError,
    ExecutionResult,
    LimitName,
    ToolCallRecord,
)

__all__ = ["OutputLimitReached", "RunState"]


class OutputLimitReached(Exception):
    """Raised from the print callback to stop a sandbox that printed too much."""


class RunState:
    """The mutable state of one run; frozen into an :class:`ExecutionResult` at the end."""

    def __init__(self, limits: ExecutorLimits) -> None:
        self.limits = limits
        self.output: list[str] = []
        self.output_chars = 0
        self.records: list[ToolCallRecord] = []
        self.call_count = 0
        self.final_answer: str | None = None
        self.error: ExecutionError | None = None
        self.futures: set[int] = set()
        self.settled: dict[int, ExternalSettledResult] = {}
        self.changed = anyio.Event()

    def fail(self, error: ExecutionError) -> None:
        if self.error is None and self.final_answer is None:  # the first reason wins
            self.error = error

    def limit(self, limit: LimitName, line: int | None = None) -> None:
        self.fail(limit_error(limit, self.limits, line))

    def on_print(self, stream: Literal["stdout", "stderr"], text: str) -> None:
        room = self.limits.max_output_chars - self.output_chars
        if len(text) > room:
            self.output.append(text[: max(room, 0)])
            self.output_chars += max(room, 0)
            self.limit("output")
            raise OutputLimitReached("printed output limit reached")
        self.output.append(text)
        self.output_chars += len(text)

    def settle(self, call_id: int, result: ExternalSettledResult) -> None:
        self.settled[call_id] = result
        self.changed.set()

    def result(self, code: str, duration: float) -> ExecutionResult:
        calls = tuple(sorted(self.records, key=lambda r: r.index))
        return ExecutionResult(
            code=code,
            final_answer=self.final_answer,
            output="".join(self.output),
            tool_calls=calls,
            error=self.error,
            duration_s=duration,
        )
