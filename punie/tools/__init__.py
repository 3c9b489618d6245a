"""The typed tool catalogue: ``async def tool(ctx: ToolContext, ...) -> <frozen result>``.

The public face is small: the context every tool runs in, the result conventions, and the
catalogue (:mod:`punie.tools.catalogue`, imported on its own because it loads every tool).
"""

from punie.tools._context import ToolConfig, ToolContext
from punie.tools._types import Diagnostic, Location, SymbolInfo, ToolResult, result_to_json

__all__ = [
    "Diagnostic",
    "Location",
    "SymbolInfo",
    "ToolConfig",
    "ToolContext",
    "ToolResult",
    "result_to_json",
]
