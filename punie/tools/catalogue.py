"""The tool catalogue: one list of async tool functions, and specs derived from their signatures.

A tool is ``async def name(ctx: ToolContext, <args>) -> <Result dataclass>``. Everything else (the
prompt's signatures, the CLI's arguments, the sandbox's host functions, the JSON-RPC tool server)
is derived from these signatures, so adding a tool is adding a function to :data:`TOOLS`.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from punie.tools import edits, files, git, navigation, quality, testing
from punie.tools._context import ToolContext

__all__ = ["TOOLS", "ParamSpec", "ToolSpec", "get_spec", "tool_specs"]

ToolFunction = Callable[..., Awaitable[Any]]

TOOLS: tuple[ToolFunction, ...] = (
    navigation.goto_definition,
    navigation.find_references,
    navigation.hover,
    navigation.document_symbols,
    navigation.workspace_symbols,
    files.read_file,
    files.grep,
    quality.typecheck,
    quality.ruff_check,
    quality.ruff_format,
    testing.pytest_run,
    edits.write_file,
    edits.replace_in_file,
    git.git_status,
    git.git_diff,
    git.git_log,
    files.run_command,
)


@dataclass(frozen=True)
class ParamSpec:
    name: str
    annotation: Any
    type_text: str
    default: Any
    required: bool


@dataclass(frozen=True)
class ToolSpec:
    name: str
    function: ToolFunction
    params: tuple[ParamSpec, ...]
    result_type: type
    doc: str

    def signature_text(self) -> str:
        parts: list[str] = []
        for p in self.params:
            text = f"{p.name}: {p.type_text}"
            parts.append(text if p.required else f"{text} = {p.default!r}")
        return f"{self.name}({', '.join(parts)}) -> {self.result_type.__name__}"

    async def call(self, ctx: ToolContext, **kwargs: Any) -> Any:
        return await self.function(ctx, **kwargs)


def _type_text(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("NoneType", "None")


def _spec(function: ToolFunction) -> ToolSpec:
    hints = typing.get_type_hints(function)
    sig = inspect.signature(function)
    params: list[ParamSpec] = []
    for name, param in list(sig.parameters.items())[1:]:  # skip ctx
        annotation = hints.get(name, Any)
        required = param.default is inspect.Parameter.empty
        params.append(
            ParamSpec(
                name=name,
                annotation=annotation,
                type_text=_type_text(annotation),
                default=None if required else param.default,
                required=required,
            )
        )
    result_type = hints["return"]
    doc = inspect.getdoc(function) or ""
    return ToolSpec(function.__name__, function, tuple(params), result_type, doc)


@cache
def tool_specs() -> tuple[ToolSpec, ...]:
    return tuple(_spec(f) for f in TOOLS)


def get_spec(name: str) -> ToolSpec:
    for spec in tool_specs():
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in tool_specs())
    raise KeyError(f"unknown tool {name!r}; known tools: {known}")
