"""One language-server process: start, handshake, timed requests, diagnostics, teardown.

Built on pygls' ``LanguageClient``. Every request carries an id chosen here so that a request that
times out can be cancelled with ``$/cancelRequest``. The server's stderr is drained into a ring
buffer (an undrained pipe blocks a chatty server). The process runs in its own process group, and
:meth:`LspClient.close` kills the whole group if a polite shutdown does not end it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import anyio
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.protocol import default_converter

from punie.confinement import Confinement, ConfinementUnavailable
from punie.lsp_bridge.config import ServerConfig
from punie.lsp_bridge.errors import LspError, RequestTimeout, ServerCrashed
from punie.workspace import Workspace

__all__ = ["LspClient", "PublishedDiagnostics"]


@dataclass(frozen=True)
class PublishedDiagnostics:
    version: int | None
    diagnostics: tuple[lsp.Diagnostic, ...]


def _capabilities() -> lsp.ClientCapabilities:
    return lsp.ClientCapabilities(
        workspace=lsp.WorkspaceClientCapabilities(
            configuration=True,
            workspace_folders=True,
            did_change_configuration=lsp.DidChangeConfigurationClientCapabilities(
                dynamic_registration=True
            ),
            did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True, relative_pattern_support=True
            ),
            symbol=lsp.WorkspaceSymbolClientCapabilities(dynamic_registration=False),
        ),
        text_document=lsp.TextDocumentClientCapabilities(
            synchronization=lsp.TextDocumentSyncClientCapabilities(did_save=True),
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
            definition=lsp.DefinitionClientCapabilities(link_support=True),
            references=lsp.ReferenceClientCapabilities(),
            hover=lsp.HoverClientCapabilities(
                content_format=[lsp.MarkupKind.Markdown, lsp.MarkupKind.PlainText]
            ),
            document_symbol=lsp.DocumentSymbolClientCapabilities(
                hierarchical_document_symbol_support=True
            ),
        ),
        window=lsp.WindowClientCapabilities(work_done_progress=True),
        general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf16]),
    )


def _converter() -> Any:
    """pygls' converter, plus a hook lsprotocol lacks: ty and pyrefly announce notebook sync
    with a selector that has no ``notebook`` key, which lsprotocol 2025.0.0 cannot structure (and
    then ``initialize`` never returns). punie does not sync notebooks, so the options are dropped.
    """
    converter = default_converter()

    def no_notebooks(obj: Any, _type: Any) -> lsp.NotebookDocumentSyncOptions:
        return lsp.NotebookDocumentSyncOptions(notebook_selector=[])

    for cls in (lsp.NotebookDocumentSyncOptions, lsp.NotebookDocumentSyncRegistrationOptions):
        converter.register_structure_hook(cls, no_notebooks)
    return converter


def _ignore(params: Any) -> None:
    return None


def _plain(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """pygls tags handlers with attributes, which bound methods refuse: wrap in a function."""

    def call(params: Any) -> Any:
        return handler(params)

    return call


class LspClient:
    """A single language-server process bound to one workspace."""

    def __init__(self, workspace: Workspace, config: ServerConfig) -> None:
        self.workspace = workspace
        self.config = config
        self._client = LanguageClient("punie", "0.1.0", converter_factory=_converter)
        self._process: asyncio.subprocess.Process | None = None
        self._ids = itertools.count(1)
        self._stderr: deque[str] = deque(maxlen=200)
        self._log: deque[str] = deque(maxlen=200)
        self._diagnostics: dict[str, PublishedDiagnostics] = {}
        self._diag_events: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.server_info: str = config.name
        self.started_at = 0.0
        self.configuration_requests = 0
        self._register_handlers()

    # -- server -> client -------------------------------------------------------------------
    def _register_handlers(self) -> None:
        register = cast(
            Callable[[str], Callable[[Callable[[Any], Any]], Any]], self._client.feature
        )
        handlers: dict[str, Callable[[Any], Any]] = {
            lsp.WORKSPACE_CONFIGURATION: self._on_configuration,
            lsp.CLIENT_REGISTER_CAPABILITY: _ignore,
            lsp.CLIENT_UNREGISTER_CAPABILITY: _ignore,
            lsp.WINDOW_WORK_DONE_PROGRESS_CREATE: _ignore,
            lsp.PROGRESS: _ignore,
            lsp.WINDOW_LOG_MESSAGE: self._on_log_message,
            lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: self._on_diagnostics,
        }
        for method, handler in handlers.items():
            register(method)(_plain(handler))

    def _on_configuration(self, params: lsp.ConfigurationParams) -> list[Any]:
        """One answer per requested item (pyright waits for exactly that many)."""
        self.configuration_requests += 1
        return [self.config.configuration_for(item.section) for item in params.items]

    def _on_log_message(self, params: lsp.LogMessageParams) -> None:
        self._log.append(params.message)

    def _on_diagnostics(self, params: lsp.PublishDiagnosticsParams) -> None:
        self._diagnostics[params.uri] = PublishedDiagnostics(
            params.version, tuple(params.diagnostics)
        )
        event = self._diag_events.pop(params.uri, None)
        if event is not None:
            event.set()

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def stderr_tail(self, lines: int = 20) -> str:
        return "\n".join(list(self._stderr)[-lines:])

    async def start(self) -> lsp.InitializeResult:
        """Spawn the server and do the handshake that works with pyright.

        ``workspaceFolders`` in ``initialize`` (without it nothing is analysed), then
        ``initialized`` and ``workspace/didChangeConfiguration`` (with the workspaceFolders client
        capability, pyright waits for it before analysing anything).
        """
        command = self.config.command
        self.started_at = time.perf_counter()
        try:
            # the server reads every file the model can write: it runs in the OS sandbox too
            confined = Confinement(self.workspace.root, self.config.confinement)
            argv, env = confined.wrap(command, self.workspace.root)
            start_io = cast(Callable[..., Awaitable[None]], self._client.start_io)  # pyright: ignore[reportUnknownMemberType]
            await start_io(
                argv[0], *argv[1:], cwd=str(self.workspace.root), env=env, start_new_session=True
            )
        except (OSError, ConfinementUnavailable) as exc:
            raise ServerCrashed(
                f"could not start language server {' '.join(command)!r}: {exc}"
            ) from exc
        self._process = self._client._server  # pyright: ignore[reportPrivateUsage]
        if self._process is not None and self._process.stderr is not None:
            self._tasks.append(asyncio.create_task(self._drain(self._process.stderr)))
        root = self.workspace.root
        params = lsp.InitializeParams(
            # the server watches this pid and exits when it is gone; inside the sandbox's PID
            # namespace the host's pid does not exist (bwrap --die-with-parent covers it)
            process_id=None if self.config.confinement == "bwrap" else os.getpid(),
            root_uri=root.as_uri() if self.config.send_workspace_folders else None,
            root_path=str(root) if self.config.send_workspace_folders else None,
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)]
            if self.config.send_workspace_folders
            else None,
            capabilities=_capabilities(),
            client_info=lsp.ClientInfo(name="punie", version="0.1.0"),
        )
        result = await self.request("initialize", params, timeout=self.config.start_timeout)
        if not isinstance(result, lsp.InitializeResult):
            raise LspError(f"unexpected initialize reply from {self.config.name}: {result!r}")
        if result.server_info is not None:
            version = result.server_info.version or ""
            self.server_info = f"{result.server_info.name} {version}".strip()
        self.notify("initialized", lsp.InitializedParams())
        if self.config.send_configuration_change:
            self.notify(
                "workspace/didChangeConfiguration",
                lsp.DidChangeConfigurationParams(settings=self.config.configuration_for(None)),
            )
        return result

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        with contextlib.suppress(Exception):
            while True:
                line = await stream.readline()
                if not line:
                    return
                self._stderr.append(line.decode("utf-8", "replace").rstrip())

    def notify(self, method: str, params: Any = None) -> None:
        if not self.alive:
            raise ServerCrashed(f"{self.config.name} is not running (wanted to send {method})")
        self._client.protocol.notify(method, params)

    async def request(self, method: str, params: Any = None, timeout: float | None = None) -> Any:
        """Send ``method`` and wait at most ``timeout`` seconds (default: the configured one).

        On timeout the server is sent ``$/cancelRequest`` and :class:`RequestTimeout` is raised;
        if the process dies meanwhile, :class:`ServerCrashed`.
        """
        if not self.alive:
            raise ServerCrashed(self._dead_message(method))
        limit = self.config.request_timeout if timeout is None else timeout
        # String ids: pygls keeps the server's requests to us and ours to it in one table keyed
        # by id, so plain integers collide with the server's own 0, 1, 2, ...
        msg_id = f"punie-{next(self._ids)}"
        future = self._client.protocol.send_request_async(method, params, msg_id=msg_id)
        try:
            with anyio.fail_after(limit):
                # shielded: pygls resolves the future when the late answer (or the server's
                # "cancelled" error) arrives; cancelling it here makes pygls log errors
                return await asyncio.shield(future)
        except TimeoutError:
            if self.alive:
                with contextlib.suppress(Exception):
                    self._client.protocol.notify("$/cancelRequest", lsp.CancelParams(id=msg_id))
                raise RequestTimeout(
                    f"{self.config.name} did not answer {method} within {limit:g}s"
                ) from None
            raise ServerCrashed(self._dead_message(method)) from None
        except Exception as exc:
            if not self.alive:
                raise ServerCrashed(self._dead_message(method)) from exc
            if isinstance(exc, (RequestTimeout, ServerCrashed)):
                raise
            raise LspError(f"{self.config.name} failed {method}: {exc}") from exc

    def _dead_message(self, method: str) -> str:
        code = self._process.returncode if self._process is not None else None
        tail = self.stderr_tail(5)
        detail = f"; stderr: {tail}" if tail else ""
        return f"{self.config.name} is not running (exit code {code}) during {method}{detail}"

    # -- diagnostics --------------------------------------------------------------------------
    def diagnostics(self, uri: str) -> PublishedDiagnostics | None:
        return self._diagnostics.get(uri)

    async def wait_for_diagnostics(
        self, uri: str, version: int, timeout: float
    ) -> PublishedDiagnostics | None:
        """Wait until diagnostics for ``version`` (or later) of ``uri`` are published."""
        with anyio.move_on_after(timeout):
            while True:
                current = self._diagnostics.get(uri)
                if current is not None and (current.version or 0) >= version:
                    return current
                event = self._diag_events.setdefault(uri, asyncio.Event())
                await event.wait()
        return None

    # -- teardown -----------------------------------------------------------------------------
    def kill(self) -> None:
        """Kill the server's whole process group at once."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()

    async def close(self, polite: bool = True) -> None:
        """Ask politely (shutdown + exit), then kill the process group; never leaves a process.

        ``polite=False`` skips the shutdown request (for a server that already stopped answering).
        """
        process = self._process
        if process is None:
            return
        try:
            if polite and self.alive:
                with contextlib.suppress(Exception):
                    await self.request("shutdown", None, timeout=self.config.shutdown_timeout)
                    self.notify("exit", None)
                with anyio.move_on_after(self.config.shutdown_timeout):
                    await process.wait()
        finally:
            self.kill()  # also when cancelled: never leave the server behind
        with anyio.move_on_after(5):
            await process.wait()
        with anyio.move_on_after(2), contextlib.suppress(Exception):
            await self._client.stop()
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
