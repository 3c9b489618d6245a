"""What a REPL session is configured with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from punie.agent.loop import CONSTRAIN

if TYPE_CHECKING:
    from punie.lsp_bridge import ServerConfig

__all__ = ["ReplConfig"]


@dataclass(frozen=True)
class ReplConfig:
    """``repo`` is the project (copied to a disposable sandbox unless ``sandbox`` is false);
    ``traces`` the trace database every turn is recorded in; ``history_tokens`` bounds the
    conversation carried from turn to turn."""

    repo: Path
    traces: Path
    sandbox: bool = True
    max_steps: int = 3
    history_tokens: int = 6000
    server: ServerConfig | None = None
    input_history: Path | None = None
    constrain: bool = CONSTRAIN
    """Symbol-constrained decoding (:mod:`punie.agent.symbols`), as ``ask`` and validation."""

    @property
    def input_history_path(self) -> Path:
        """The prompt's history file: next to the trace database unless given."""
        if self.input_history is not None:
            return self.input_history
        return self.traces.parent / "repl_history"
