"""The prompt: a system message generated from the tool catalogue, and the one function that
turns messages into the text a model sees.

:func:`render_prompt` is the single source of truth for prompt text: the agent loop renders
every generation through it, and the dataset exporter renders traces through it, so the text a
model is trained on is byte-for-byte the text it sees when it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from punie.agent.executor import stubs_text
from punie.agent.messages import EXECUTE_CODE_TOOL, Message

__all__ = ["SYSTEM_INTRO", "ChatTokenizer", "initial_messages", "render_prompt", "system_prompt"]

SYSTEM_INTRO = (
    "You answer questions about a Python repository by writing short Python programs. "
    "Run a program with the execute_code tool; it runs in a sandbox where the functions below "
    "are already defined. Each function calls a real tool (language server, type checker, "
    "linter, tests, files, git) on the repository and returns a typed result: read its fields. "
    "Call final_answer(text) as soon as you know the answer; otherwise print() what you need "
    "and you will see the output in the next turn. Keep programs short."
)


class ChatTokenizer(Protocol):
    """What :func:`render_prompt` needs: a Hugging Face-style ``apply_chat_template``."""

    def apply_chat_template(self, conversation: Any, /, *args: Any, **kwargs: Any) -> Any: ...


def system_prompt() -> str:
    """The system message: the intro and the tool stubs, generated from the catalogue."""
    return f"{SYSTEM_INTRO}\n\n{stubs_text()}"


def initial_messages(question: str, system: str | None = None) -> list[Message]:
    """``[system, user]`` for a new turn."""
    return [
        {"role": "system", "content": system_prompt() if system is None else system},
        {"role": "user", "content": question},
    ]


def render_prompt(tokenizer: ChatTokenizer, messages: Sequence[Message]) -> str:
    """The prompt text for the next assistant turn, rendered by the model's chat template."""
    text = tokenizer.apply_chat_template(
        [dict(m) for m in messages],
        tools=[EXECUTE_CODE_TOOL],
        add_generation_prompt=True,
        tokenize=False,
    )
    if not isinstance(text, str):
        raise TypeError(f"apply_chat_template returned {type(text).__name__}, not str")
    return text
