"""Stubs generated from the tool catalogue: the one description of the tools that both the
model (in its prompt, :func:`stubs_text`) and the type checker (:func:`type_check_stubs`) see.

Tools are plain functions in the sandbox: ``r = find_references("X")`` returns the result
object itself. The type checker's version additionally makes every result class awaitable, so
that ``await tool(...)`` and ``asyncio.gather(tool(...), ...)`` check too (the executor runs
those calls concurrently); the prompt's version leaves that noise out.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal

from punie.agent.executor.limits import ALLOWED_IMPORTS
from punie.agent.executor.shapes import ClassShape, MethodShape, class_shape, is_result_class

if TYPE_CHECKING:
    from punie.tools.catalogue import ToolSpec

__all__ = ["FINAL_ANSWER", "stubs_text", "type_check_stubs"]

FINAL_ANSWER = "final_answer"
_FINAL_ANSWER_STUB = (
    f"def {FINAL_ANSWER}(text: str) -> None:\n"
    '    """End the program and answer the question with ``text``."""\n'
)
_FINAL_ANSWER_CHECKED = (
    f"def {FINAL_ANSWER}(text: object) -> None:\n"
    '    """End the program and answer the question with ``str(text)``."""\n'
)
"""The checker's ``final_answer``: the runtime turns any value into text (``final_answer(n)``
answers ``str(n)``), so the checker must not refuse what would run. The model is still shown
``text: str``, the form its training programs use."""
_AWAITABLE_BASE = "_Awaitable"
_TYPE_CHECK_HEADER = (
    "from collections.abc import Generator, Mapping, Sequence\n"
    "from typing import Any, Literal, Self\n\n"
    f"class {_AWAITABLE_BASE}:\n"
    "    def __await__(self) -> Generator[Any, None, Self]: ...\n"
)


class _Renderer:
    """Renders annotations as stub text, collecting the result classes they mention."""

    def __init__(self) -> None:
        self.classes: dict[type, None] = {}  # insertion-ordered set, dependencies first
        self._visiting: set[type] = set()

    def add_class(self, cls: type) -> None:
        if cls in self.classes or cls in self._visiting:
            return
        shape = class_shape(cls)
        self._visiting.add(cls)
        for _, annotation in shape.attributes:
            self.type_text(annotation)
        for method in shape.methods:
            self.signature(method.params, method.hints)
        self._visiting.discard(cls)
        self.classes[cls] = None

    def type_text(self, tp: Any) -> str:
        if tp is None or tp is type(None):
            return "None"
        if tp is Any:
            return "Any"
        if tp is Ellipsis:
            return "..."
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Union or origin is types.UnionType:
            return " | ".join(self.type_text(a) for a in args)
        if origin is Literal:
            return f"Literal[{', '.join(repr(a) for a in args)}]"
        if origin is not None:
            name = getattr(origin, "__name__", None) or str(origin).replace("typing.", "")
            if not args:
                return name
            return f"{name}[{', '.join(self.type_text(a) for a in args)}]"
        if isinstance(tp, type):
            if is_result_class(tp):
                self.add_class(tp)
                return tp.__name__
            if issubclass(tp, enum.Enum):
                values: list[Any] = [member.value for member in tp]
                return f"Literal[{', '.join(repr(v) for v in values)}]"
            if issubclass(tp, PurePath):
                return "str"  # paths reach the sandbox as strings
            return tp.__name__
        return str(tp).replace("typing.", "").replace("NoneType", "None")

    def signature(self, params: Sequence[inspect.Parameter], hints: dict[str, Any]) -> str:
        parts: list[str] = []
        for p in params:
            text = p.name
            if p.name in hints:
                text += f": {self.type_text(hints[p.name])}"
            if p.default is not inspect.Parameter.empty:
                text += f" = {_default_text(p.default)}"
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                text = "*" + text
            elif p.kind is inspect.Parameter.VAR_KEYWORD:
                text = "**" + text
            parts.append(text)
        return ", ".join(parts)


def _default_text(value: object) -> str:
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    return "..."


def _doc_line(text: str, indent: str) -> str:
    return f'{indent}"""{text}"""\n' if text else ""


def _is_plain_render(m: MethodShape) -> bool:
    return m.name == "render" and not m.params and m.hints.get("return") is str


def _class_stub(r: _Renderer, shape: ClassShape, for_checker: bool) -> str:
    base = f"({_AWAITABLE_BASE})" if for_checker else ""
    lines = [f"class {shape.cls.__name__}{base}:\n", _doc_line(shape.doc, "    ")]
    lines += [f"    {name}: {r.type_text(tp)}\n" for name, tp in shape.attributes]
    # The prompt states once that results have render(); the checker needs each declaration.
    lines += [_method_stub(r, m) for m in shape.methods if for_checker or not _is_plain_render(m)]
    if len(lines) == 2 and not shape.doc:
        lines.append("    pass\n")
    return "".join(lines)


def _method_stub(r: _Renderer, m: MethodShape) -> str:
    params = r.signature(m.params, m.hints)
    ret = r.type_text(m.hints["return"]) if "return" in m.hints else "Any"
    sig = f"self, {params}" if params else "self"
    return f"    def {m.name}({sig}) -> {ret}: ...\n"


def _tool_stub(r: _Renderer, spec: ToolSpec) -> str:
    parts: list[str] = []
    for p in spec.params:
        text = f"{p.name}: {r.type_text(p.annotation)}"
        parts.append(text if p.required else f"{text} = {_default_text(p.default)}")
    ret = r.type_text(spec.result_type)
    doc = " ".join(inspect.cleandoc(spec.doc).split("\n\n", 1)[0].split())
    body = _doc_line(doc, "    ") or "    ...\n"
    return f"def {spec.name}({', '.join(parts)}) -> {ret}:\n{body}"


def _render(specs: Sequence[ToolSpec], for_checker: bool) -> tuple[str, str, bool]:
    """(classes, functions, whether every class has a plain ``render() -> str``)."""
    r = _Renderer()
    functions = [_tool_stub(r, spec) for spec in specs]  # collects the result classes
    shapes = [class_shape(cls) for cls in r.classes]
    classes = [_class_stub(r, shape, for_checker) for shape in shapes]
    all_render = all(any(_is_plain_render(m) for m in shape.methods) for shape in shapes)
    final = _FINAL_ANSWER_CHECKED if for_checker else _FINAL_ANSWER_STUB
    return "\n".join(classes), "\n".join([*functions, final]), all_render


def _usage(specs: Sequence[ToolSpec], all_render: bool) -> str:
    names = [s.name for s in specs]
    first, second = [*names, "tool_a", "tool_b"][:2]
    lines = [
        "# The tools are plain functions that return result objects; read their fields:",
        f"#     r = {first}(...)",
        "#     print(r.success, r.error)",
    ]
    if all_render:
        lines.append("# Every class below also has .render() -> str: its text for reading.")
    lines += [
        "# Independent calls can run at the same time:",
        f"#     a, b = await asyncio.gather({first}(...), {second}(...))",
        "# End with final_answer(text), or print() what you need to see next.",
        f"# Imports allowed: {', '.join(sorted(ALLOWED_IMPORTS))}.",
        "# No files, os or network: only the tools.",
    ]
    return "".join(line + "\n" for line in lines)


def _specs(specs: Sequence[ToolSpec] | None) -> Sequence[ToolSpec]:
    if specs is not None:
        return specs
    from punie.tools.catalogue import tool_specs

    return tool_specs()


def stubs_text(specs: Sequence[ToolSpec] | None = None) -> str:
    """The tools as the model sees them: usage notes, the result classes with their fields, and
    one signature per tool (plus ``final_answer``). ``specs`` defaults to the catalogue."""
    chosen = _specs(specs)
    classes, functions, all_render = _render(chosen, for_checker=False)
    return f"{_usage(chosen, all_render)}\n{classes}\n\n{functions}"


def type_check_stubs(specs: Sequence[ToolSpec] | None = None) -> str:
    """The same stubs as a ``.pyi`` module for the sandbox's type checker."""
    classes, functions, _ = _render(_specs(specs), for_checker=True)
    return f"{_TYPE_CHECK_HEADER}\n{classes}\n\n{functions}"
