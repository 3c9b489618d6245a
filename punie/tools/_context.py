"""The context every tool runs in: one workspace, its configuration, and its language server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import anyio

from punie.confinement import Confinement, Mode, mode_from_env
from punie.tools._types import Diagnostic
from punie.workspace import Workspace

if TYPE_CHECKING:
    from punie.lsp_bridge import LspBridge, ServerConfig

__all__ = ["ToolConfig", "ToolContext"]


@dataclass(frozen=True)
class ToolConfig:
    """Limits and allow-lists for the tools (one place, passed down explicitly)."""

    pytest_timeout: float = 60.0
    command_timeout: float = 60.0
    allowed_commands: tuple[str, ...] = ()
    max_read_lines: int = 400
    max_grep_matches: int = 200
    edit_diagnostics_timeout: float = 15.0
    confinement: Mode = field(default_factory=mode_from_env)
    """``bwrap``: every tool process runs in an OS sandbox (refused where bubblewrap is
    missing); ``off`` (``PUNIE_UNCONFINED=1``): unconfined."""


@dataclass
class ToolContext:
    """Binds tools to a workspace. The language server starts on first use and is kept warm."""

    workspace: Workspace
    config: ToolConfig = field(default_factory=ToolConfig)
    server: ServerConfig | None = None
    _bridge: LspBridge | None = field(default=None, init=False, repr=False)

    @classmethod
    def at(
        cls, root: str | Path, config: ToolConfig | None = None, server: ServerConfig | None = None
    ) -> ToolContext:
        return cls(Workspace.at(root), config or ToolConfig(), server)

    async def lsp(self) -> LspBridge:
        """The warm language-server bridge for this workspace (started on first call)."""
        if self._bridge is None:
            from punie.lsp_bridge import LspBridge, ServerConfig

            bridge = LspBridge(self.workspace, self.server or ServerConfig())
            await bridge.start()
            self._bridge = bridge
        return self._bridge

    def confinement(self, *writable: Path, readable: tuple[Path, ...] = ()) -> Confinement:
        """The OS sandbox for a tool process on this workspace (``writable``: scratch dirs)."""
        return Confinement(self.workspace.root, self.config.confinement, tuple(writable), readable)

    @property
    def lsp_running(self) -> bool:
        return self._bridge is not None

    @property
    def bridge(self) -> LspBridge | None:
        """The bridge if it was started (no start here)."""
        return self._bridge

    async def after_edit(self, path: Path, text: str) -> tuple[Diagnostic, ...]:
        """Tell the language server that ``path`` now holds ``text``; return the diagnostics it
        published for exactly this edit. Starts the server if it is not running."""
        bridge = await self.lsp()
        return await bridge.sync_edit(path, text, timeout=self.config.edit_diagnostics_timeout)

    async def aclose(self) -> None:
        if self._bridge is not None:
            bridge, self._bridge = self._bridge, None
            with anyio.CancelScope(shield=True):  # also when the caller is being cancelled
                await bridge.close()

    async def __aenter__(self) -> ToolContext:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
