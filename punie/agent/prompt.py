"""The prompt: a system message generated from the tool catalogue, and the one function that
turns messages into the text a model sees.

:func:`render_prompt` is the single source of truth for prompt text: the agent loop renders
every generation through it, and the dataset exporter renders traces through it, so the text a
model is trained on is byte-for-byte the text it sees when it runs.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol

from punie.agent.executor.limits import ALLOWED_IMPORTS
from punie.agent.messages import EXECUTE_CODE_TOOL, Message

__all__ = [
    "SYSTEM_INTRO",
    "ChatTokenizer",
    "catalogue_text",
    "initial_messages",
    "render_prompt",
    "system_prompt",
]

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


def _dataclass_in(annotation: Any) -> list[type]:
    """Dataclass types mentioned in an annotation (``tuple[Location, ...]``, ``X | None``)."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return [annotation]
    found: list[type] = []
    for arg in typing.get_args(annotation):
        found.extend(_dataclass_in(arg))
    return found


def _field_text(name: str, annotation: Any) -> str:
    nested = _dataclass_in(annotation)
    if not nested:
        return name
    origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        return f"{name}: list[{nested[0].__name__}]"
    if origin in (typing.Union, types.UnionType):
        return f"{name}: {nested[0].__name__} | None"
    return f"{name}: {nested[0].__name__}"


@cache
def catalogue_text() -> str:
    """The tools as the model sees them: one line per function, one line per result type.

    Compact on purpose (a few hundred tokens): every training sample carries it, and a small
    model trains and runs several times faster on a short prompt. The executor's type checker
    still uses the full stubs.
    """
    from punie.tools.catalogue import tool_specs

    specs = tool_specs()
    lines = ["Functions (call them directly, no await; each returns a result object):"]
    lines += [spec.signature_text() for spec in specs]
    lines.append("final_answer(text: str) -> None  # ends the turn with this answer")
    lines.append("")
    lines.append("Result fields (every result also has success: bool and error: str | None):")
    seen: set[type] = set()
    queue: list[type] = [spec.result_type for spec in specs]
    while queue:
        cls = queue.pop(0)
        if cls in seen or not dataclasses.is_dataclass(cls):
            continue
        seen.add(cls)
        hints = typing.get_type_hints(cls)
        fields = [
            _field_text(f.name, hints.get(f.name, Any))
            for f in dataclasses.fields(cls)
            if f.name not in {"success", "error"}
        ]
        lines.append(f"{cls.__name__}: {', '.join(fields)}")
        for f in dataclasses.fields(cls):
            queue.extend(_dataclass_in(hints.get(f.name, Any)))
    lines.append("")
    lines.append(f"Imports allowed: {', '.join(sorted(ALLOWED_IMPORTS))}. No files, os or network.")
    return "\n".join(lines)


def system_prompt() -> str:
    """The system message: the intro and the tool catalogue, generated from the catalogue."""
    return f"{SYSTEM_INTRO}\n\n{catalogue_text()}"


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
