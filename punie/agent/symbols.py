"""What symbol-constrained decoding allows for one question: the names of the workspace the
question mentions, from the language-server bridge's ``ast`` index (no server round trip).

The constraint (:class:`punie.model.constrained.SymbolConstraint`) keeps a navigation call's
string argument to one of these names while the model writes it, so the model cannot name
something the user did not ask about ("Locate" in "Locate the source of open_tasks"). The
model still chooses the tool, the program and the fields. ``ask``, ``repl`` and validation use
it by default (:data:`punie.agent.loop.CONSTRAIN`), so what a user gets is what was measured.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Sequence
from typing import Any

from punie.agent.executor.shapes import class_shape, is_result_class
from punie.model.program_shape import Attribute, ResultTypes
from punie.tools import ToolContext
from punie.tools.catalogue import tool_specs

__all__ = ["allowed_names", "constrain_backend", "known_symbols", "result_types"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_PATH = re.compile(r"[A-Za-z0-9_./-]+\.py\b")


def allowed_names(question: str, known: set[str]) -> set[str]:
    """The known names and files the question mentions, or, when it mentions none, every
    known name plus the question's identifiers."""
    words = set(_IDENTIFIER.findall(question)) | set(_PATH.findall(question))
    return (words & known) or (known | words)


async def known_symbols(ctx: ToolContext) -> set[str]:
    """Every Python file of the workspace, and every definition's name and its class-qualified
    name (``Cart.add_item``), as the bridge's index holds them now."""
    bridge = await ctx.lsp()
    bridge.refresh()
    names: set[str] = {ctx.workspace.relative(p) for p in ctx.workspace.python_files()}
    for definition in bridge.index.definitions():
        names.add(definition.name)
        if definition.container:
            names.add(f"{definition.container}.{definition.name}")
    return names


async def constrain_backend(backend: Any, ctx: ToolContext, question: str) -> bool:
    """Switch on the constraint for ``question`` on a backend that supports it (an mlx
    model); False when it does not (a remote OpenAI-compatible server, the teacher)."""
    constrain = getattr(backend, "constrain", None)
    if constrain is None:
        return False
    constrain(allowed_names(question, await known_symbols(ctx)))
    return True


def _result_class(annotation: object) -> type | None:
    return annotation if isinstance(annotation, type) and is_result_class(annotation) else None


def _attribute(annotation: object) -> tuple[Attribute, type | None]:
    """The attribute an annotation makes, and the result class it reaches (if any)."""
    direct = _result_class(annotation)
    if direct is not None:
        return Attribute(direct=direct.__name__), direct
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _attribute(args[0])
    element = _result_class(args[0]) if origin in (list, tuple, Sequence) and args else None
    if element is not None:
        return Attribute(element=element.__name__), element
    return Attribute(), None


def result_types() -> ResultTypes:
    """The catalogue's tools, their result classes and every result class those reach."""
    specs = tool_specs()
    attributes: dict[str, dict[str, Attribute]] = {}
    pending: list[type] = [spec.result_type for spec in specs]
    while pending:
        cls = pending.pop()
        if cls.__name__ in attributes:
            continue
        shape = class_shape(cls)
        table: dict[str, Attribute] = {name: Attribute() for name in shape.method_names}
        for name, annotation in shape.attributes:
            table[name], reached = _attribute(annotation)
            if reached is not None:
                pending.append(reached)
        attributes[cls.__name__] = table
    return ResultTypes({spec.name: spec.result_type.__name__ for spec in specs}, attributes)
