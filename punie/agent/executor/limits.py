"""The executor's limits: one frozen value, passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["ALLOWED_IMPORTS", "ExecutorLimits"]

ALLOWED_IMPORTS: Final[frozenset[str]] = frozenset(
    {
        "asyncio",
        "collections",
        "dataclasses",
        "functools",
        "itertools",
        "json",
        "math",
        "re",
        "typing",
    }
)
"""Modules a snippet may import. All are implemented inside the sandbox by monty; none of them
reaches the host (monty's ``os``/``pathlib``/``sys`` exist too, but are refused here, and every
file-system or environment call they could make is refused at run time anyway)."""


@dataclass(frozen=True)
class ExecutorLimits:
    """Limits for one snippet. Each one, when exceeded, ends the run with a ``limit_exceeded``
    error whose message names the limit (``LimitExceeded: more than 20 tool calls``)."""

    wall_time_s: float = 60.0
    """Wall-clock time for the whole program, tool calls included."""
    compute_time_s: float = 5.0
    """Time spent executing sandboxed code (waiting for tools excluded): catches busy loops."""
    max_memory_bytes: int = 128 * 1024 * 1024
    """Sandbox heap."""
    max_recursion_depth: int = 200
    """Depth of the sandbox's call stack."""
    max_tool_calls: int = 20
    """Tool calls per program (``final_answer`` is not counted)."""
    max_output_chars: int = 20_000
    """Characters printed; output past this is cut and the run stops."""
    max_answer_chars: int = 20_000
    """Characters of the ``final_answer`` text; a longer one is an error the program sees."""
    check_time_s: float = 15.0
    """Time the type check of a program may take before the program is refused."""

    def __post_init__(self) -> None:
        for name in ("wall_time_s", "compute_time_s", "check_time_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"ExecutorLimits.{name} must be positive")
        for name in (
            "max_memory_bytes",
            "max_recursion_depth",
            "max_output_chars",
            "max_answer_chars",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"ExecutorLimits.{name} must be at least 1")
        if self.max_tool_calls < 0:
            raise ValueError("ExecutorLimits.max_tool_calls must not be negative")
