"""What the sandbox sees of a result class: its public fields and properties (read as
attributes) and its public methods (called on the host), with their type hints."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from dataclasses import dataclass
from types import FunctionType
from typing import Any

__all__ = ["ClassShape", "MethodShape", "class_shape", "is_result_class"]


@dataclass(frozen=True)
class MethodShape:
    name: str
    params: tuple[inspect.Parameter, ...]
    hints: dict[str, Any]
    doc: str


@dataclass(frozen=True)
class ClassShape:
    cls: type
    attributes: tuple[tuple[str, Any], ...]
    """(name, annotation) of public dataclass fields, then public properties."""
    methods: tuple[MethodShape, ...]
    doc: str

    @property
    def attribute_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.attributes)

    @property
    def method_names(self) -> frozenset[str]:
        return frozenset(m.name for m in self.methods)


def is_result_class(value: object) -> bool:
    return isinstance(value, type) and dataclasses.is_dataclass(value)


def _hints(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj)
    except Exception:  # unresolvable annotation: show it as Any rather than fail
        return {}


def _first_paragraph(doc: str | None) -> str:
    text = inspect.cleandoc(doc or "").split("\n\n", 1)[0]
    return " ".join(text.split())


@functools.cache
def class_shape(cls: type) -> ClassShape:
    """The shape of a result dataclass (cached per class)."""
    if not is_result_class(cls):
        raise TypeError(f"not a dataclass: {cls!r}")
    hints = _hints(cls)
    attributes: list[tuple[str, Any]] = [
        (f.name, hints.get(f.name, Any))
        for f in dataclasses.fields(cls)
        if not f.name.startswith("_")
    ]
    methods: list[MethodShape] = []
    seen = {name for name, _ in attributes}
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name, raw in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(raw, property) and raw.fget is not None:
                attributes.append((name, _hints(raw.fget).get("return", Any)))
            elif isinstance(raw, functools.cached_property):
                getter: Any = raw.func
                attributes.append((name, _hints(getter).get("return", Any)))
            elif isinstance(raw, FunctionType):
                params = tuple(inspect.signature(raw).parameters.values())[1:]
                methods.append(
                    MethodShape(name, params, _hints(raw), _first_paragraph(raw.__doc__))
                )
    doc = (
        _first_paragraph(cls.__doc__)
        if cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}(")
        else ""
    )
    return ClassShape(cls, tuple(attributes), tuple(methods), doc)
