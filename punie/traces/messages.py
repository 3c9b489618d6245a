"""The one check of a chat sample's messages, shared by ``dataset audit`` and ``train``.

A message has a ``role`` (the agent's :data:`punie.agent.messages.Role`), a string ``content``
(``None`` only on an assistant message that carries ``tool_calls``) and no other keys but
``tool_calls``: a non-empty list of ``{"type": "function", "function": {"name": str,
"arguments": {...}}}`` on an assistant message (arguments an object, never a JSON string). With
``tool_names``, a call must name one of them and, for ``execute_code``, carry its ``code``. The
last message is the assistant turn being trained on, and there is a user message.
"""

from __future__ import annotations

import typing
from typing import Any, Final, cast

from punie.agent.messages import EXECUTE_CODE_TOOL, Role

__all__ = ["ROLES", "message_problems"]

ROLES: Final = frozenset(typing.get_args(Role))


def _call_problem(call: Any, tool_names: frozenset[str] | None) -> str | None:
    if not isinstance(call, dict) or cast(dict[str, Any], call).get("type") != "function":
        return 'a tool call must be {"type": "function", "function": {...}}'
    function: Any = cast(dict[str, Any], call).get("function")
    if not isinstance(function, dict):
        return "a tool call has no function object"
    fn = cast(dict[str, Any], function)
    name, arguments = fn.get("name"), fn.get("arguments")
    if not isinstance(name, str):
        return "a tool call has no function name"
    if not isinstance(arguments, dict):
        return "tool call arguments must be an object, not a JSON string"
    if tool_names is not None and name not in tool_names:
        return f"a tool call names {name!r}; expected one of {sorted(tool_names)}"
    code = cast(dict[str, Any], arguments).get("code")
    if name == EXECUTE_CODE_TOOL["function"]["name"] and not isinstance(code, str):
        return f'a {name} call must carry {{"code": str}} in its arguments'
    return None


def _message_problems(index: int, message: Any, tool_names: frozenset[str] | None) -> list[str]:
    if not isinstance(message, dict):
        return [f"message {index} is not an object"]
    msg = cast(dict[str, Any], message)
    problems: list[str] = []
    role, content, calls = msg.get("role"), msg.get("content"), msg.get("tool_calls")
    if role not in ROLES:
        problems.append(f"message {index} has role {role!r}; expected one of {sorted(ROLES)}")
    if content is None and not (role == "assistant" and calls):
        problems.append(f"message {index} ({role}) has no content")
    elif content is not None and not isinstance(content, str):
        problems.append(
            f"message {index} ({role}) content must be a string, not {type(content).__name__}"
        )
    unknown = sorted(set(msg) - {"role", "content", "tool_calls"})
    if unknown:
        problems.append(f"message {index} has unknown key(s) {unknown}")
    if calls is None:
        return problems
    if role != "assistant" or not isinstance(calls, list) or not calls:
        problems.append(f"message {index}: tool_calls must be a non-empty list on an assistant")
        return problems
    for call in cast(list[Any], calls):
        problem = _call_problem(call, tool_names)
        if problem is not None:
            problems.append(f"message {index}: {problem}")
            break
    return problems


def message_problems(messages: Any, *, tool_names: frozenset[str] | None = None) -> list[str]:
    """Everything wrong with a sample's ``messages`` (empty: it is well formed)."""
    if not isinstance(messages, list) or not messages:
        return ["'messages' must be a non-empty list"]
    items = cast(list[Any], messages)
    problems: list[str] = []
    for index, message in enumerate(items):
        found = _message_problems(index, message, tool_names)
        problems.extend(found)
        if found and not isinstance(message, dict):
            return problems
    if problems:
        return problems
    last = cast(dict[str, Any], items[-1])
    if last.get("role") != "assistant":
        problems.append(
            f"the last message is {last.get('role')!r}; it must be the assistant turn to train "
            "on (prompts are masked)"
        )
    if "user" not in [cast(dict[str, Any], m).get("role") for m in items]:
        problems.append("no user message")
    return problems
