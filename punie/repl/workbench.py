"""The workspace a REPL session works on: a disposable sandbox copy of the repo (or the repo
itself), its warm language server and the sandboxed executor bound to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio

from punie.agent.executor import Executor
from punie.lsp_bridge import ServerConfig
from punie.sandboxes import discard, materialize
from punie.tools import ToolContext

__all__ = ["Workbench"]


class Workbench:
    """``await open()`` before use, ``await close()`` after; ``reset()`` is close + open."""

    def __init__(self, repo: Path, *, sandbox: bool, server: ServerConfig | None = None) -> None:
        self.repo = repo.resolve()
        self.sandbox = sandbox
        self.server = server
        self._copy: Path | None = None
        self._ctx: ToolContext | None = None
        self._executor: Executor | None = None
        self.on_server_event: Callable[[str], None] | None = None
        """Told what happens to the language server (a restart, a failed attempt)."""
        self.server_status = "starting"

    @property
    def root(self) -> Path:
        return self.ctx.workspace.root

    @property
    def ctx(self) -> ToolContext:
        if self._ctx is None:
            raise RuntimeError("the workbench is not open")
        return self._ctx

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            raise RuntimeError("the workbench is not open")
        return self._executor

    async def open(self) -> None:
        if self.sandbox:
            self._copy = await anyio.to_thread.run_sync(materialize, self.repo)
        root = self._copy or self.repo
        ctx = ToolContext.at(root, server=self.server)
        self._ctx = ctx
        try:
            executor = Executor(ctx)
            await executor.__aenter__()
            self._executor = executor
            bridge = await ctx.lsp()  # warm now: /refs and completion answer at once
            bridge.on_event = self._server_event
            self.server_status = bridge.status_line()
        except BaseException:
            await self.close()
            raise

    def _server_event(self, message: str) -> None:
        if self._ctx is not None and self._ctx.lsp_running:
            bridge = self._ctx.bridge
            if bridge is not None:
                self.server_status = bridge.status_line()
        if self.on_server_event is not None:
            self.on_server_event(message)

    async def close(self) -> None:
        executor, ctx, copy = self._executor, self._ctx, self._copy
        self._executor = self._ctx = self._copy = None
        with anyio.CancelScope(shield=True):
            if executor is not None:
                await executor.__aexit__(None, None, None)
            if ctx is not None:
                await ctx.aclose()
        if copy is not None:
            discard(copy)

    async def reset(self) -> None:
        await self.close()
        await self.open()
