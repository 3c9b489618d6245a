"""What symbol-constrained decoding allows for one question: the names of the workspace the
question mentions, from the language-server bridge's ``ast`` index (no server round trip).

The constraint (:class:`punie.training.constrained.SymbolConstraint`) keeps a navigation call's
string argument to one of these names while the model writes it, so the model cannot name
something the user did not ask about ("Locate" in "Locate the source of open_tasks"). The
model still chooses the tool, the program and the fields. ``ask``, ``repl`` and validation use
it by default (:data:`punie.agent.loop.CONSTRAIN`), so what a user gets is what was measured.
"""

from __future__ import annotations

import re
from typing import Any

from punie.tools._context import ToolContext

__all__ = ["allowed_names", "constrain_backend", "known_symbols"]

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
