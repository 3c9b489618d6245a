"""Result conventions shared by every tool.

Every tool returns a frozen dataclass with a ``success`` flag, an ``error`` message (``None`` on
success), counts where they make sense, and a ``render()`` method giving the compact text that is
shown to the model as the tool response. Positions are 1-based, paths are relative to the
workspace root, and every location carries the text of its source line (``preview``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from punie.lsp_bridge.diagnostics import Diagnostic

__all__ = ["Diagnostic", "Location", "SymbolInfo", "ToolResult", "result_to_json"]


@runtime_checkable
class ToolResult(Protocol):
    """What every tool result offers."""

    @property
    def success(self) -> bool: ...

    @property
    def error(self) -> str | None: ...

    def render(self) -> str: ...


@dataclass(frozen=True)
class Location:
    """A span in a workspace file; ``line``/``column`` are 1-based."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    preview: str

    def render(self) -> str:
        return f"{self.file}:{self.line}:{self.column}  {self.preview.strip()}"


@dataclass(frozen=True)
class SymbolInfo:
    """A named symbol: ``qualified`` is its dotted path inside the file (``Cart.add_item``)."""

    name: str
    kind: str
    file: str
    line: int
    end_line: int
    container: str | None
    qualified: str

    def render(self) -> str:
        return f"{self.kind} {self.qualified}  {self.file}:{self.line}"


def result_to_json(result: object) -> dict[str, Any]:
    """A JSON-ready dict of a result dataclass, with its type name under ``"type"``."""
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        raise TypeError(f"not a result dataclass: {result!r}")
    data: dict[str, Any] = {"type": type(result).__name__}
    data.update(dataclasses.asdict(result))
    return data
