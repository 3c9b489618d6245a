"""Values crossing the sandbox boundary: tool results going in, tool arguments coming out."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, cast

from pydantic_monty import ClassInstance

from punie.agent.executor.shapes import class_shape

if TYPE_CHECKING:
    from punie.tools.catalogue import ToolSpec

__all__ = ["bind_arguments", "to_sandbox"]


class _ResultView(ClassInstance):
    """A result dataclass as the sandbox sees it: its public fields and properties are copied in
    up front (nested results wrapped the same way); its public methods run on the host."""

    def convert_value(self, /, name: str, value: Any) -> Any:
        return to_sandbox(value)


def to_sandbox(value: Any) -> Any:
    """``value`` made ready to cross into the sandbox: result dataclasses are wrapped (at any
    depth inside tuples, lists and dicts), enums become their values and paths strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        shape = class_shape(type(value))
        return _ResultView(
            value,
            eager_attrs=shape.attribute_names,
            allowed_methods=shape.method_names or None,
        )
    if isinstance(value, enum.Enum):
        return to_sandbox(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, tuple):
        return tuple(to_sandbox(v) for v in cast("tuple[Any, ...]", value))
    if isinstance(value, list):
        return [to_sandbox(v) for v in cast("list[Any]", value)]
    if isinstance(value, dict):
        return {k: to_sandbox(v) for k, v in cast("dict[Any, Any]", value).items()}
    if isinstance(value, set | frozenset):
        members = cast("set[Any] | frozenset[Any]", value)
        return type(members)(to_sandbox(v) for v in members)
    return value


def bind_arguments(
    spec: ToolSpec, args: Sequence[Any], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """The call's arguments by parameter name, or a ``TypeError`` worded like Python's."""
    names = [p.name for p in spec.params]
    if len(args) > len(names):
        raise TypeError(
            f"{spec.name}() takes {len(names)} positional argument"
            f"{'' if len(names) == 1 else 's'} but {len(args)} were given"
        )
    bound = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError(f"{spec.name}() got an unexpected keyword argument {key!r}")
        if key in bound:
            raise TypeError(f"{spec.name}() got multiple values for argument {key!r}")
        bound[key] = value
    missing = [p.name for p in spec.params if p.required and p.name not in bound]
    if missing:
        raise TypeError(
            f"{spec.name}() missing required argument"
            f"{'' if len(missing) == 1 else 's'}: {', '.join(repr(m) for m in missing)}"
        )
    return bound
