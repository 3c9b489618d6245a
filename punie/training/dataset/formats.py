"""Shared reading of samples: action formats, tag balance, tools a program calls, hashing."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal, cast

from punie.pysyntax import parse as parse_python

__all__ = [
    "ActionFormat",
    "action_format",
    "canonical",
    "max_run_flags",
    "sample_key",
    "tag_problems",
    "tools_in_code",
]

ActionFormat = Literal["tool_calls", "inline_xml", "fenced", "text"]

_FENCE: Final = re.compile(r"^\s*```", re.MULTILINE)
_XML: Final = re.compile(r"<tool_call>|</tool_call>|<function=|<parameter=")
_TAGS: Final = ("tool_call", "tool_response")
_TAG_RE: Final = re.compile(r"</?(tool_call|tool_response)>")


def canonical(value: Any) -> str:
    """Key-sorted compact JSON: equal values give equal strings."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def action_format(message: dict[str, Any]) -> ActionFormat:
    """How an assistant message acts: a structured ``tool_calls`` entry, a tool call written as
    inline XML in the content, a fenced code block in the content, or plain text (an answer)."""
    if message.get("tool_calls"):
        return "tool_calls"
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    if _XML.search(text):
        return "inline_xml"
    if _FENCE.search(text):
        return "fenced"
    return "text"


def tag_problems(text: str) -> list[str]:
    """Unbalanced ``<tool_call>``/``<tool_response>`` tags and unclosed code fences in ``text``."""
    problems: list[str] = []
    stack: list[str] = []
    for match in _TAG_RE.finditer(text):
        name = match.group(1)
        if match.group(0).startswith("</"):
            if not stack or stack[-1] != name:
                problems.append(f"</{name}> without a matching <{name}>")
            else:
                stack.pop()
        else:
            stack.append(name)
    problems.extend(f"<{name}> is never closed" for name in stack)
    fences = len(_FENCE.findall(text))
    if fences % 2:
        problems.append(f"{fences} code fence lines (```): one is never closed")
    return problems


def tools_in_code(code: str, known: Iterable[str]) -> list[str]:
    """Names of ``known`` tools the program calls, in first-call order (static reading)."""
    names = set(known)
    try:
        tree = parse_python(code)
    except SyntaxError:
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in names and name not in found:
                found.append(name)
    return found


def calls_final_answer(code: str) -> bool:
    return "final_answer" in tools_in_code(code, ("final_answer",))


def last_code(messages: Sequence[dict[str, Any]]) -> str | None:
    """The ``code`` argument of the last message's first tool call, if it has one."""
    if not messages:
        return None
    calls = messages[-1].get("tool_calls")
    if not isinstance(calls, list) or not calls:
        return None
    first = cast(list[Any], calls)[0]
    function: Any = cast(dict[str, Any], first).get("function") if isinstance(first, dict) else None
    if not isinstance(function, dict):
        return None
    arguments: Any = cast(dict[str, Any], function).get("arguments")
    if not isinstance(arguments, dict):
        return None
    code: Any = cast(dict[str, Any], arguments).get("code")
    return code if isinstance(code, str) else None


def sample_key(messages: Sequence[dict[str, Any]]) -> str:
    """The leakage key: the first user question and the trained (last) message."""
    question = next((m.get("content") for m in messages if m.get("role") == "user"), None)
    return canonical([question, messages[-1] if messages else None])


def max_run_flags(
    labels: Sequence[str], *, min_run: int = 3, chance: float = 0.01
) -> list[tuple[int, int, str]]:
    """Runs of one label that a random shuffle would produce with probability below ``chance``:
    ``(start index, length, label)``. A run of length L of a label with share p appears in a random
    order of n items about ``n * (1 - p) * p**L`` times; runs rarer than ``chance`` are flagged."""
    n = len(labels)
    if n == 0:
        return []
    shares = {label: labels.count(label) / n for label in set(labels)}
    flags: list[tuple[int, int, str]] = []
    start = 0
    for index in range(1, n + 1):
        if index == n or labels[index] != labels[start]:
            length, label = index - start, labels[start]
            p = shares[label]
            if p < 1.0 and length >= min_run and n * (1.0 - p) * p**length < chance:
                flags.append((start, length, label))
            start = index
    return flags
