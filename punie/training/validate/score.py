"""Scoring one validation case by what the model's code did against the real tools."""

from __future__ import annotations

import re
from dataclasses import dataclass

from punie.agent.loop import TurnResult
from punie.training.harvest.verify import tools_called
from punie.training.queries import Query, check_answer

__all__ = ["CaseResult", "score_case"]


@dataclass(frozen=True)
class CaseResult:
    uid: str
    repo: str
    category: str
    intent: str
    question: str
    expected_tools: tuple[str, ...]
    tools_called: tuple[str, ...]
    tool_ok: bool
    """The expected tools were called (for a direct question: no tool was called)."""
    ran: bool
    """At least one program ran to the end without an error (direct answers count as ran)."""
    fields_ok: bool
    """The program read the result fields a right program reads."""
    answer: str | None
    answer_ok: bool
    reason: str
    steps: int
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    replies: tuple[str, ...] = ()
    """The model's raw reply at each step, so a failure can be read, not just counted."""
    program_errors: tuple[str | None, ...] = ()
    """Per program run: its error (``None`` when it ran to the end)."""


def _fields_read(code: str, fields: tuple[str, ...]) -> bool:
    return all(re.search(rf"\.{re.escape(f)}\b", code) for f in fields)


def score_case(query: Query, turn: TurnResult) -> CaseResult:
    called = tuple(tools_called(turn))
    codes = [s.code for s in turn.steps if s.code]
    expected = query.expected_tools
    tool_ok = all(t in called for t in expected) if expected else not called
    executions = [s.execution for s in turn.steps if s.execution is not None]
    if query.category == "direct":
        ran = not codes or any(e.error is None for e in executions)
    else:
        ran = any(e.error is None for e in executions)
    fields_ok = (
        _fields_read("\n".join(codes), query.expected_fields)
        if codes
        else not (query.expected_fields)
    )
    verdict = check_answer(query, turn.final_answer)
    return CaseResult(
        uid=query.uid,
        repo=query.repo,
        category=query.category,
        intent=query.intent,
        question=query.question,
        expected_tools=query.expected_tools,
        tools_called=called,
        tool_ok=tool_ok,
        ran=ran,
        fields_ok=fields_ok,
        answer=turn.final_answer,
        answer_ok=verdict.ok,
        reason=verdict.reason if turn.error is None else f"turn error: {turn.error}",
        steps=len(turn.steps),
        prompt_tokens=sum(s.generation.prompt_tokens for s in turn.steps),
        completion_tokens=sum(s.generation.completion_tokens for s in turn.steps),
        latency_s=turn.duration_s,
        replies=tuple(s.generation.text for s in turn.steps),
        program_errors=tuple(None if e.error is None else e.error.message for e in executions),
    )
