"""``SynthesizerTeacher``: a Backend that answers known questions with the teacher's program."""

from __future__ import annotations

import time
from collections.abc import Sequence

from punie.agent.backends.base import Generation
from punie.agent.messages import Message
from punie.agent.prompt import PromptStyle
from punie.model.chat_template import code_block
from punie.training.queries.model import Query
from punie.training.queries.programs import direct_answer, synthesize

__all__ = ["SynthesizerTeacher", "tool_call_text"]


def tool_call_text(code: str) -> str:
    """An ``execute_code`` call as punie's chat template renders it: a Python block."""
    return code_block(code)


class SynthesizerTeacher:
    """Finds the query by the last user message's text and replies with its program (or, for
    ``direct`` questions, the answer text). A recovery query (``first_try``) is first answered
    with its flawed program, and after that program's tool response with the teacher's own.
    After any other tool response (the program did not end with ``final_answer``), it answers
    with that response's text, so the turn ends."""

    def __init__(self, queries: Sequence[Query]) -> None:
        self._by_question: dict[str, Query] = {}
        for query in queries:
            self._by_question.setdefault(query.question.strip(), query)

    prompt_style: PromptStyle = "catalogue"

    @property
    def identity(self) -> str:
        return "teacher:synthesizer/v1"

    def generate(self, messages: Sequence[Message]) -> Generation:
        started = time.perf_counter()
        users = [m for m in messages if m["role"] == "user"]
        if not users:
            raise ValueError("no user message to answer")
        question = users[-1]["content"].strip()
        query = self._by_question.get(question)
        if query is None:
            raise KeyError(f"the teacher knows no query for {question!r}")
        last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
        tools = [m for m in messages[last_user:] if m["role"] == "tool"]
        replies = sum(1 for m in messages[last_user:] if m["role"] == "assistant")
        if query.first_try is not None and replies == 0:
            text = tool_call_text(query.first_try)
        elif query.first_try is not None and replies == 1:
            text = tool_call_text(synthesize(query))
        elif tools:
            text = tools[-1]["content"].strip() or "I could not find the answer."
        elif query.category == "direct":
            text = direct_answer(query)
        else:
            text = tool_call_text(synthesize(query))
        return Generation(
            text=text,
            latency_s=time.perf_counter() - started,
            extra={"query_uid": query.uid},
        )
