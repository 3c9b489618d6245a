"""Is a harvested turn worth keeping? The code ran, the intended tools were called, and the
final answer agrees with the ground truth computed independently of the tools. In a recovery
turn the first program must have failed (genuinely), and everything after it must hold."""

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
    steps = list(turn.steps)
    if query.first_try is not None:  # a recovery turn: the first try must have failed for real
        first = steps[0].execution if steps else None
        if first is None or first.error is None:
            return False, "flaw-ran"
        steps = steps[1:]
    for step in steps:
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
