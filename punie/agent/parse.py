"""Turn a model's reply into an action: code to run, a direct answer, or a correction.

Accepted forms, in order:

1. OpenAI ``tool_calls`` (from an HTTP server): ``execute_code`` with ``arguments`` as a JSON
   string or a mapping.
2. Qwen3-Coder XML: ``<tool_call>\\n<function=execute_code>\\n<parameter=code>\\n...\\n
   </parameter>\\n</function>\\n</tool_call>``. Near-misses are recovered: closing tags missing
   at the end of the text, a missing ``<tool_call>`` opener, a body without ``<parameter=code>``,
   a JSON body (``{"name": "execute_code", "arguments": {"code": ...}}``), stray whitespace.
3. A fenced block: ```` ```python ````, ```` ```py ````, or an untagged fence holding valid
   Python; a missing closing fence at the end of the text is recovered.

A reply with none of these is a direct final answer, unless it is empty, was cut off by the
token limit, or holds tool-call markup that could not be read: those become a
:class:`ParseFailure` whose ``message`` tells the model how to reply. ``<think>`` blocks are
ignored.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from punie.model.chat_template import EXAMPLE_PROGRAM, PYTHON_FENCE_TAGS, code_block
from punie.pysyntax import parse as parse_python

__all__ = [
    "CALL_FORMAT",
    "CodeAction",
    "DirectAnswer",
    "ParseFailure",
    "ParseResult",
    "parse_reply",
]

TOOL_NAME: Final = "execute_code"
CALL_FORMAT: Final = code_block(EXAMPLE_PROGRAM)
"""The form punie's chat template renders a program in, and so the one its models learn."""
_HOW_TO_REPLY: Final = (
    f"To run code, reply with exactly this format:\n{CALL_FORMAT}\n"
    "To answer directly, reply with the answer text only."
)

Form = Literal["openai", "xml", "json", "fence"]


@dataclass(frozen=True)
class CodeAction:
    """Code to run. ``preamble`` is the text before the call; ``recovered`` names the near-miss
    that was repaired (``None`` for a well-formed reply)."""

    code: str
    form: Form
    preamble: str = ""
    recovered: str | None = None


@dataclass(frozen=True)
class DirectAnswer:
    """A reply without code: the answer itself."""

    text: str


@dataclass(frozen=True)
class ParseFailure:
    """A reply that is neither code nor an answer; ``message`` goes back to the model."""

    message: str


ParseResult = CodeAction | DirectAnswer | ParseFailure

_TOOL_CALL_OPEN = re.compile(r"<\s*tool_call\s*>")
_TOOL_CALL_CLOSE = re.compile(r"<\s*/\s*tool_call\s*>")
_FUNCTION_OPEN = re.compile(r"<\s*function\s*=\s*([^>\s]*)\s*>")
_FUNCTION_CLOSE = re.compile(r"<\s*/\s*function\s*>")
_PARAM_OPEN = re.compile(r"<\s*parameter\s*=\s*([^>\s]*)\s*>")
_PARAM_CLOSE = re.compile(r"<\s*/\s*parameter\s*>")
_FENCE = re.compile(
    r"^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.S | re.M
)
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S)
_MARKUP = re.compile(r"<\s*/?\s*(tool_call|function|parameter)\b")


def _strip_value(text: str) -> str:
    """A parameter value without the newline the template puts on each side."""
    text = text.strip("\r\n")
    if text.strip() == "":
        return ""
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return textwrap.dedent("\n".join(line.rstrip() for line in lines))


def _arguments(raw: object) -> Mapping[str, Any] | str:
    """Tool-call arguments as a mapping, or an error message."""
    if isinstance(raw, Mapping):
        return cast(Mapping[str, Any], raw)
    if isinstance(raw, str):
        try:
            loaded: object = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            return f"the arguments of {TOOL_NAME} are not valid JSON ({exc.msg})"
        if isinstance(loaded, dict):
            return cast(dict[str, Any], loaded)
        return f"the arguments of {TOOL_NAME} must be a JSON object with a 'code' string"
    return f"the arguments of {TOOL_NAME} must be a JSON object with a 'code' string"


def _code_from_arguments(args: Mapping[str, Any] | str, form: Form, preamble: str) -> ParseResult:
    if isinstance(args, str):
        return ParseFailure(f"Could not read your tool call: {args}. {_HOW_TO_REPLY}")
    code = args.get("code")
    if not isinstance(code, str):
        return ParseFailure(f"Your {TOOL_NAME} call has no 'code' argument. {_HOW_TO_REPLY}")
    return _checked(CodeAction(_strip_value(code), form, preamble))


def _checked(action: CodeAction) -> ParseResult:
    if not action.code.strip():
        return ParseFailure(f"Your {TOOL_NAME} call has empty code. {_HOW_TO_REPLY}")
    return action


def _unknown_function(name: str) -> ParseFailure:
    shown = name or "(no name)"
    return ParseFailure(
        f"Unknown function {shown!r}: the only function is {TOOL_NAME}, with one parameter, "
        f"code. {_HOW_TO_REPLY}"
    )


def _from_openai(calls: Sequence[Mapping[str, Any]], preamble: str) -> ParseResult:
    call = calls[0]
    raw_function: object = call.get("function", call)
    empty: dict[str, Any] = {}
    function = cast(Mapping[str, Any], raw_function) if isinstance(raw_function, Mapping) else empty
    name = str(function.get("name", ""))
    if name != TOOL_NAME:
        return _unknown_function(name)
    return _code_from_arguments(_arguments(function.get("arguments")), "openai", preamble)


def _first(pattern: re.Pattern[str], text: str, start: int = 0) -> re.Match[str] | None:
    return pattern.search(text, start)


def _end_of(body: str, *patterns: re.Pattern[str]) -> tuple[int, bool]:
    """Where the first closing tag among ``patterns`` starts in ``body`` (or its end), and
    whether one was found."""
    ends = [m.start() for p in patterns if (m := p.search(body)) is not None]
    return (min(ends), True) if ends else (len(body), False)


def _from_xml(text: str) -> ParseResult | None:
    opener = _first(_TOOL_CALL_OPEN, text)
    function = _first(_FUNCTION_OPEN, text, opener.end() if opener else 0)
    if opener is None and function is None:
        return None
    notes: list[str] = []
    start = opener.start() if opener else function.start() if function else 0
    preamble = text[:start].strip()
    if opener is None:
        notes.append("missing <tool_call>")
    if function is None:
        assert opener is not None
        body = text[opener.end() :]
        end, closed = _end_of(body, _TOOL_CALL_CLOSE)
        if not closed:
            notes.append("unclosed tool call")
        payload = body[:end].strip()
        try:
            loaded: object = json.loads(payload)
        except json.JSONDecodeError:
            return ParseFailure(
                f"Your <tool_call> has no <function=execute_code> inside. {_HOW_TO_REPLY}"
            )
        if not isinstance(loaded, dict):
            return ParseFailure(f"Your <tool_call> is not a function call. {_HOW_TO_REPLY}")
        call = cast(dict[str, Any], loaded)
        name = str(call.get("name", ""))
        if name != TOOL_NAME:
            return _unknown_function(name)
        result = _code_from_arguments(_arguments(call.get("arguments")), "json", preamble)
        return _noted(result, ["JSON tool call", *notes])
    name = function.group(1)
    if name != TOOL_NAME:
        return _unknown_function(name)
    body = text[function.end() :]
    param = _first(_PARAM_OPEN, body)
    if param is not None and param.group(1) != "code":
        return ParseFailure(
            f"Unknown parameter {param.group(1)!r}: {TOOL_NAME} takes one parameter, code. "
            f"{_HOW_TO_REPLY}"
        )
    if param is None:
        notes.append("missing <parameter=code>")
        value_start = body
    else:
        value_start = body[param.end() :]
    end, closed = _end_of(value_start, _PARAM_CLOSE, _FUNCTION_CLOSE, _TOOL_CALL_CLOSE)
    if not closed:
        notes.append("unclosed tool call")
    elif param is not None and not _PARAM_CLOSE.search(value_start[: end + 20]):
        notes.append("missing </parameter>")
    return _noted(_checked(CodeAction(_strip_value(value_start[:end]), "xml", preamble)), notes)


def _noted(result: ParseResult, notes: list[str]) -> ParseResult:
    if isinstance(result, CodeAction) and notes:
        return CodeAction(result.code, result.form, result.preamble, "; ".join(notes))
    return result


def _is_python(code: str) -> bool:
    try:
        parse_python(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False  # deeply nested input exhausts the parser: not a program we can run
    return True


def _from_fence(text: str) -> ParseResult | None:
    untagged: CodeAction | None = None
    for match in _FENCE.finditer(text):
        tag, body = match.group(1).lower(), match.group(2)
        closed = match.end() < len(text) or text.rstrip().endswith("```")
        code = _strip_value(body)
        preamble = text[: match.start()].strip()
        notes: list[str] = []
        if tag and tag != "python":
            notes.append(f"```{match.group(1)} fence")
        if not closed:
            notes.append("unclosed fence")
        if tag in PYTHON_FENCE_TAGS:
            return _noted(_checked(CodeAction(code, "fence", preamble)), notes)
        if not tag and untagged is None and code.strip() and _is_python(code):
            untagged = CodeAction(code, "fence", preamble, "; ".join(["untagged fence", *notes]))
    return untagged


def parse_reply(
    text: str,
    tool_calls: Sequence[Mapping[str, Any]] | None = None,
    *,
    truncated: bool = False,
    looped: bool = False,
) -> ParseResult:
    """Read one model reply. ``tool_calls`` are the OpenAI-style calls a server returned;
    ``truncated`` says the reply stopped at the token limit, ``looped`` that it was stopped
    repeating itself (never an answer, though it holds no code). ``<think>`` blocks are
    skipped."""
    text = _THINK.sub("", text)
    if tool_calls:
        return _from_openai(tool_calls, text.strip())
    if looped:
        return ParseFailure(
            "Your reply kept repeating the same few words and was stopped. Reply again with a "
            f"short program or a short answer. {_HOW_TO_REPLY}"
        )
    for reader in (_from_xml, _from_fence):
        found = reader(text)
        if found is not None:
            cut = isinstance(found, CodeAction) and "unclosed" in (found.recovered or "")
            if truncated and cut:
                return ParseFailure(
                    "Your reply was cut off by the token limit inside the code. Reply again "
                    f"with a shorter program. {_HOW_TO_REPLY}"
                )
            return found
    stripped = text.strip()
    if truncated:
        return ParseFailure(
            "Your reply was cut off by the token limit and holds no code. Reply with a short "
            f"program or a short answer. {_HOW_TO_REPLY}"
        )
    if not stripped:
        return ParseFailure(f"Your reply was empty. {_HOW_TO_REPLY}")
    if _MARKUP.search(stripped):
        return ParseFailure(f"Could not read the tool call in your reply. {_HOW_TO_REPLY}")
    return DirectAnswer(stripped)
