"""The prompt: a system message generated from the tool catalogue, and the one function that
turns messages into the text a model sees.

:func:`render_prompt` is the single source of truth for prompt text: the agent loop renders
every generation through it, and the dataset exporter renders traces through it, so the text a
model is trained on is byte-for-byte the text it sees when it runs.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal, Protocol, cast

from punie.agent.executor.limits import ALLOWED_IMPORTS
from punie.agent.messages import EXECUTE_CODE_TOOL, Message
from punie.errors import PunieError

__all__ = [
    "BRIEF_SYSTEM",
    "PROBE_MESSAGES",
    "PROMPT_STYLES",
    "SYSTEM_INTRO",
    "ChatTokenizer",
    "PromptStyle",
    "catalogue_text",
    "initial_messages",
    "model_prompt_style",
    "prompt_tools",
    "punie_config",
    "render_prompt",
    "style_of",
    "system_prompt",
    "template_problem",
]

PromptStyle = Literal["catalogue", "brief", "bare"]
"""How a model is prompted. ``catalogue``: the intro, the tool catalogue and the chat template's
tool block (~1.1k tokens), for models that read instructions. ``brief``: one short system line
and no tool block, for punie's own small models, which learn the catalogue from their training
data; every sample then trains on ~100 tokens instead of ~1.2k. ``bare``: an empty system
message, which the chat template does not render at all, for a trained model that needs no
instruction (the pretrained base's recipe: the brief line was 18 of a sample's 88 tokens, and
a training step on a CPU costs in proportion to its tokens). A model directory names its
style in ``config.json`` (``{"punie": {"prompt_style": ...}}``); run time and dataset export
both read it, so a model is trained on exactly the prompt it is run with."""

PROMPT_STYLES: Final[tuple[PromptStyle, ...]] = ("catalogue", "brief", "bare")

SYSTEM_INTRO = (
    "You answer questions about a Python repository by writing short Python programs. "
    "Run a program with the execute_code tool; it runs in a sandbox where the functions below "
    "are already defined. Each function calls a real tool (language server, type checker, "
    "linter, tests, files, git) on the repository and returns a typed result: read its fields. "
    "Call final_answer(text) as soon as you know the answer; otherwise print() what you need "
    "and you will see the output in the next turn. Keep programs short."
)

BRIEF_SYSTEM = "Answer questions about this Python repository with programs calling punie tools."


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


def system_prompt(style: PromptStyle = "catalogue") -> str:
    """The system message of ``style``: for ``catalogue``, the intro and the tool catalogue,
    generated from the catalogue."""
    if style == "brief":
        return BRIEF_SYSTEM
    if style == "bare":
        return ""
    return f"{SYSTEM_INTRO}\n\n{catalogue_text()}"


def style_of(sample: dict[str, Any]) -> PromptStyle:
    """The style a dataset sample was written in: ``catalogue`` when it carries ``tools``,
    ``bare`` when its system message is empty, else ``brief``."""
    if sample.get("tools"):
        return "catalogue"
    messages: Any = sample.get("messages") or [{}]
    first: Any = messages[0]
    if isinstance(first, dict):
        head = cast(dict[str, Any], first)
        if head.get("role") == "system" and head.get("content") == "":
            return "bare"
    return "brief"


def prompt_tools(style: PromptStyle = "catalogue") -> list[dict[str, Any]] | None:
    """The ``tools`` passed to the chat template (``None``: no tool block)."""
    return [EXECUTE_CODE_TOOL] if style == "catalogue" else None


def punie_config(model_dir: Path) -> dict[str, Any]:
    """The ``punie`` block of a model directory's ``config.json`` (empty when there is none)."""
    try:
        config: Any = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    punie: Any = cast(dict[str, Any], config).get("punie") if isinstance(config, dict) else None
    return cast(dict[str, Any], punie) if isinstance(punie, dict) else {}


def model_prompt_style(model_dir: Path) -> PromptStyle:
    """The style a model directory asks for (``catalogue`` when it names none)."""
    path = Path(model_dir) / "config.json"
    style: Any = punie_config(model_dir).get("prompt_style")
    if style is None:
        return "catalogue"
    for known in PROMPT_STYLES:
        if style == known:
            return known
    raise PunieError(
        f"{path}: punie.prompt_style is {style!r}; expected one of {', '.join(PROMPT_STYLES)}"
    )


def initial_messages(
    question: str, system: str | None = None, style: PromptStyle = "catalogue"
) -> list[Message]:
    """``[system, user]`` for a new turn (``system`` overrides the style's system prompt)."""
    return [
        {"role": "system", "content": system_prompt(style) if system is None else system},
        {"role": "user", "content": question},
    ]


def render_prompt(
    tokenizer: ChatTokenizer, messages: Sequence[Message], style: PromptStyle = "catalogue"
) -> str:
    """The prompt text for the next assistant turn, rendered by the model's chat template."""
    text = tokenizer.apply_chat_template(
        [dict(m) for m in messages],
        tools=prompt_tools(style),
        add_generation_prompt=True,
        tokenize=False,
    )
    if not isinstance(text, str):
        raise TypeError(f"apply_chat_template returned {type(text).__name__}, not str")
    return text


def _call_code(message: Message) -> list[str]:
    """The program text of each ``execute_code`` call in an assistant message."""
    found: list[str] = []
    calls: Any = message.get("tool_calls") or []
    for call in cast(list[Any], calls):
        entry = cast(dict[str, Any], call) if isinstance(call, dict) else {}
        function: Any = entry.get("function", entry)
        arguments: Any = (
            cast(dict[str, Any], function).get("arguments") if isinstance(function, dict) else None
        )
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except ValueError:
                arguments = None
        code: Any = (
            cast(dict[str, Any], arguments).get("code") if isinstance(arguments, dict) else None
        )
        if isinstance(code, str):
            found.append(code)
    return found


def template_problem(
    tokenizer: ChatTokenizer, messages: Sequence[Message], style: PromptStyle = "catalogue"
) -> str | None:
    """Why the model's chat template cannot carry ``messages``, or None when it can.

    Renders them through the template (as training and run time do) and checks that every
    program of an assistant tool call, every tool result and every user message appears in
    the text. A template that renders ``content`` only (SmolLM2's own, for one) drops tool
    calls, and a model trained on its output learns to reply with nothing."""
    text = tokenizer.apply_chat_template(
        [dict(m) for m in messages], tools=prompt_tools(style), tokenize=False
    )
    if not isinstance(text, str):
        return f"apply_chat_template returned {type(text).__name__}, not str"
    for index, message in enumerate(messages):
        role = message.get("role")
        wanted: list[tuple[str, str]] = []
        if role == "assistant":
            wanted += [("the program of its tool call", code) for code in _call_code(message)]
        content: Any = message.get("content")
        if role in ("tool", "user") and isinstance(content, str) and content.strip():
            wanted.append(("its content", content.strip()))
        for what, needle in wanted:
            if needle.strip() not in text:
                return f"message {index} ({role}): {what} is missing from the rendered text"
    return None


PROBE_MESSAGES: Final[tuple[Message, ...]] = (
    {"role": "system", "content": BRIEF_SYSTEM},
    {"role": "user", "content": "Where is Cart defined?"},
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "type": "function",
                "function": {
                    "name": "execute_code",
                    "arguments": {"code": 'r = goto_definition("Cart")\nprint(r.locations)'},
                },
            }
        ],
    },
    {"role": "tool", "content": "[Location(file='shop/cart.py', line=3)]"},
)
"""A tool call and its result: what every chat template punie runs must carry."""
