"""Is a harvested turn worth keeping? The code ran, the intended tools were called, and the
final answer agrees with the ground truth computed independently of the tools."""

from __future__ import annotations

from punie.agent.loop import TurnResult
from punie.training.queries import Query, check_answer

__all__ = ["tools_called", "verify_turn"]


def tools_called(turn: TurnResult) -> list[str]:
    names: list[str] = []
    for step in turn.steps:
        if step.execution is not None:
            names.extend(call.name for call in step.execution.tool_calls)
    return names


def verify_turn(query: Query, turn: TurnResult) -> tuple[bool, str]:
    """``(True, "ok")`` or ``(False, reason)``; reasons are short and countable."""
    if turn.error:
        return False, "turn-error"
    for step in turn.steps:
        if step.action == "malformed":
            return False, "malformed-output"
        if step.execution is not None and step.execution.error is not None:
            return False, f"code-error:{step.execution.error.kind}"
    called = set(tools_called(turn))
    missing = [t for t in query.expected_tools if t not in called]
    if missing:
        return False, "wrong-tool"
    if turn.final_answer is None:
        return False, "no-answer"
    verdict = check_answer(query, turn.final_answer)
    if not verdict.ok:
        return False, "wrong-answer"
    return True, "ok"
