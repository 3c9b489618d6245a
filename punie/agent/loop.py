"""The turn loop: a question in, an answer out, through model-written programs.

``messages = [system, user]``; each step the backend replies, :func:`~punie.agent.parse.
parse_reply` reads the reply, and the code runs in the :class:`~punie.agent.executor.Executor`.
A program that calls ``final_answer`` ends the turn; otherwise the assistant's call
(``execute_code``) and the program's output (a ``tool`` message) are appended and the model
goes again, up to ``max_steps``. A reply that cannot be read is appended as plain assistant text
followed by a ``tool`` message telling the model how to reply; it counts as a step. A reply
without code is the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import anyio

from punie.agent.backends.base import Backend, Generation
from punie.agent.executor import ExecutionResult, Executor
from punie.agent.messages import Message, assistant_code_message, tool_message
from punie.agent.parse import CodeAction, DirectAnswer, ParseFailure, parse_reply
from punie.agent.prompt import initial_messages

__all__ = ["CONSTRAIN", "MAX_STEPS", "MAX_TOKENS", "Step", "StopReason", "TurnResult", "run_turn"]

MAX_STEPS: Final = 3
"""Model replies per turn a user gets by default (``ask``, ``repl``) and validation measures."""
MAX_TOKENS: Final = 256
"""Tokens per reply, likewise: a program is rarely longer than 120."""
CONSTRAIN: Final = True
"""Symbol-constrained decoding (:mod:`punie.agent.symbols`), likewise on by default."""

StopReason = Literal["final_answer", "direct_answer", "max_steps", "backend_error"]
ActionKind = Literal["code", "direct_answer", "malformed"]


@dataclass(frozen=True)
class Step:
    """One model reply and what came of it.

    ``message_count`` is how many messages of the turn's ``messages`` the model saw for this
    reply (the prompt is ``render_prompt(tokenizer, messages[:message_count])``).
    """

    index: int
    message_count: int
    generation: Generation
    action: ActionKind
    code: str | None = None
    recovered: str | None = None
    correction: str | None = None
    execution: ExecutionResult | None = None

    @property
    def execution_s(self) -> float:
        return self.execution.duration_s if self.execution is not None else 0.0


@dataclass
class TurnResult:
    question: str
    messages: list[Message]
    steps: list[Step] = field(default_factory=list[Step])
    final_answer: str | None = None
    stop_reason: StopReason = "max_steps"
    error: str | None = None
    max_steps: int = 0
    duration_s: float = 0.0
    started_at: float = 0.0

    @property
    def generation_s(self) -> float:
        return sum(s.generation.latency_s for s in self.steps)

    @property
    def execution_s(self) -> float:
        return sum(s.execution_s for s in self.steps)

    @property
    def overhead_s(self) -> float:
        """Wall time not spent generating: parsing, tools, sandbox, bookkeeping."""
        return self.duration_s - self.generation_s


def _step_with_code(
    index: int, count: int, gen: Generation, action: CodeAction, result: ExecutionResult
) -> Step:
    return Step(index, count, gen, "code", action.code, action.recovered, None, result)


async def run_turn(
    question: str,
    backend: Backend,
    executor: Executor,
    *,
    max_steps: int = MAX_STEPS,
    system: str | None = None,
    on_step: Callable[[Step], None] | None = None,
    history: Sequence[Message] = (),
    generate_in_thread: bool = False,
) -> TurnResult:
    """Answer ``question`` with ``backend`` running code in ``executor`` (already started).

    ``history`` is earlier conversation (user/assistant/tool messages, no system message) that
    goes between the system message and the question. With ``generate_in_thread`` each
    ``backend.generate`` runs in a worker thread, so the event loop stays responsive and a
    cancelled turn stops waiting for it at once (the abandoned call finishes on its own).
    """
    if max_steps < 1:
        raise ValueError("max_steps must be at least 1")
    started = time.perf_counter()
    first = initial_messages(question, system, backend.prompt_style)
    turn = TurnResult(
        question, [first[0], *history, *first[1:]], max_steps=max_steps, started_at=time.time()
    )
    messages = turn.messages
    try:
        for index in range(max_steps):
            count = len(messages)
            try:
                if generate_in_thread:
                    gen = await anyio.to_thread.run_sync(
                        backend.generate, list(messages), abandon_on_cancel=True
                    )
                else:
                    gen = backend.generate(messages)
            except Exception as exc:
                turn.stop_reason, turn.error = "backend_error", f"{type(exc).__name__}: {exc}"
                break
            parsed = parse_reply(
                gen.text, gen.tool_calls, truncated=gen.truncated, looped=gen.looped
            )
            step: Step
            if isinstance(parsed, DirectAnswer):
                step = Step(index, count, gen, "direct_answer")
                messages.append({"role": "assistant", "content": parsed.text})
                turn.final_answer, turn.stop_reason = parsed.text, "direct_answer"
            elif isinstance(parsed, ParseFailure):
                step = Step(index, count, gen, "malformed", correction=parsed.message)
                messages.append({"role": "assistant", "content": gen.text})
                messages.append(tool_message(parsed.message))
            else:
                result = await executor.run(parsed.code)
                step = _step_with_code(index, count, gen, parsed, result)
                messages.append(assistant_code_message(parsed.code, parsed.preamble))
                if result.final_answer is not None and result.error is None:
                    turn.final_answer, turn.stop_reason = result.final_answer, "final_answer"
                else:
                    messages.append(tool_message(result.render()))
            turn.steps.append(step)
            if on_step is not None:
                on_step(step)
            if turn.final_answer is not None:
                break
    finally:
        turn.duration_s = time.perf_counter() - started
    return turn


def prompts_seen(turn: TurnResult) -> Sequence[str | None]:
    """The exact prompt text of each step, where the backend rendered it."""
    return [s.generation.prompt for s in turn.steps]
