"""The one message format: OpenAI-style chat messages with a single tool, ``execute_code``.

An assistant turn that acts carries one ``tool_calls`` entry calling ``execute_code`` with a
``code`` argument; the program's output comes back as a ``tool`` message. The model's own chat
template renders these (for Qwen3-Coder: ``<tool_call><function=execute_code><parameter=code>``
and ``<tool_response>`` turns). Serving and training data both go through this module.
"""

from __future__ import annotations

from typing import Any, Final, Literal, NotRequired, TypedDict

__all__ = [
    "EXECUTE_CODE_TOOL",
    "Message",
    "ToolCall",
    "assistant_code_message",
    "tool_message",
]

Role = Literal["system", "user", "assistant", "tool"]


class FunctionCall(TypedDict):
    name: str
    arguments: dict[str, Any]


class ToolCall(TypedDict):
    type: Literal["function"]
    function: FunctionCall


class Message(TypedDict):
    role: Role
    content: str
    tool_calls: NotRequired[list[ToolCall]]


EXECUTE_CODE_TOOL: Final[dict[str, Any]] = {
    "type": "function",
    "function": {
        "name": "execute_code",
        "description": (
            "Run a short Python program in the sandbox. The program calls the typed tools listed "
            "in the system prompt and reads fields of their results; call final_answer(text) to "
            "answer, or print() to see values and continue."
        ),
        "parameters": {
            "type": "object",
            "properties": {"code": {"type": "string", "description": "The Python program to run."}},
            "required": ["code"],
        },
    },
}


def assistant_code_message(code: str, preamble: str = "") -> Message:
    """An assistant turn that runs ``code`` through ``execute_code``."""
    return {
        "role": "assistant",
        "content": preamble,
        "tool_calls": [
            {"type": "function", "function": {"name": "execute_code", "arguments": {"code": code}}}
        ],
    }


def tool_message(output: str) -> Message:
    """The program's output, returned to the model as the tool response."""
    return {"role": "tool", "content": output}
