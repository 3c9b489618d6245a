"""The bridge: a warm language server that restarts itself and never serves a stale view.

:class:`LspBridge` owns an :class:`LspClient`. Before every query it compares file mtimes with
what the server was last told and sends ``workspace/didChangeWatchedFiles`` (and ``didChange`` for
documents it has open). A request that times out or finds the server dead restarts the server and
is retried once; a second failure raises :class:`LspUnavailable`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
from lsprotocol import types as lsp

from punie.lsp_bridge._probe import find_probe
from punie.lsp_bridge.client import LspClient
from punie.lsp_bridge.config import ServerConfig
from punie.lsp_bridge.errors import LspNotReady, LspUnavailable, RequestTimeout, ServerCrashed
from punie.tools._types import Diagnostic
from punie.workspace import Workspace

__all__ = ["LspBridge"]

_SEVERITY = {1: "error", 2: "warning", 3: "information", 4: "hint"}


class LspBridge:
    """A warm, self-healing language server for one workspace."""

    def __init__(self, workspace: Workspace, config: ServerConfig | None = None) -> None:
        self.workspace = workspace
        self.config = config or ServerConfig()
        self._client: LspClient | None = None
        self._mtimes: dict[str, int] = {}
        self._open: dict[str, tuple[int, str]] = {}
        self._lock = anyio.Lock()
        self.ready_seconds: float | None = None
        self.restarts = 0
        self.generation = 0
        """Bumped whenever the server is told that a file changed (caches key on it)."""
        self.changed_at = 0.0
        """``time.monotonic()`` of the last change sent (the server indexes it lazily)."""

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def client(self) -> LspClient:
        if self._client is None:
            raise ServerCrashed(f"{self.config.name} bridge for {self.workspace.root} is closed")
        return self._client

    @property
    def server_info(self) -> str:
        return self._client.server_info if self._client is not None else self.config.name

    async def start(self) -> None:
        self._mtimes = self.workspace.mtimes()
        client = LspClient(self.workspace, self.config)
        self._client = client
        try:
            await client.start()
            for path, (version, text) in self._open.items():
                client.notify(
                    "textDocument/didOpen",
                    lsp.DidOpenTextDocumentParams(
                        lsp.TextDocumentItem(Path(path).as_uri(), "python", version, text)
                    ),
                )
            await self._wait_ready(client)
        except BaseException:
            await client.close()
            self._client = None
            raise

    async def _wait_ready(self, client: LspClient) -> None:
        """Probe with a real references query until it answers across files."""
        probe = find_probe([Path(p) for p in sorted(self._mtimes)])
        deadline = time.perf_counter() + self.config.ready_timeout
        if probe is None:
            self.ready_seconds = time.perf_counter() - client.started_at
            return
        params = lsp.ReferenceParams(
            text_document=lsp.TextDocumentIdentifier(probe.file.as_uri()),
            position=lsp.Position(probe.line, probe.character),
            context=lsp.ReferenceContext(include_declaration=True),
        )
        attempt_timeout = 1.0
        while True:
            # pyright rebuilds its workspace on didChangeConfiguration and silently drops a
            # request that arrived just before: each probe gets a short timeout and is re-sent.
            try:
                refs = await client.request("textDocument/references", params, attempt_timeout)
            except RequestTimeout:
                refs = None
                attempt_timeout = min(attempt_timeout * 2, self.config.request_timeout)
            files = {loc.uri for loc in _locations(refs)}
            if files and (len(files) > 1 or not probe.used_elsewhere):
                self.ready_seconds = time.perf_counter() - client.started_at
                return
            if time.perf_counter() > deadline:
                raise LspNotReady(
                    f"{self.config.name} answered no cross-file references to {probe.name!r} "
                    f"within {self.config.ready_timeout:g}s; stderr: {client.stderr_tail(5)}"
                )
            await anyio.sleep(0.1)

    async def restart(self) -> None:
        """Kill the current server (it failed us, so no polite shutdown) and start a new one."""
        old, self._client = self._client, None
        if old is not None:
            await old.close(polite=False)
        self.restarts += 1
        await self.start()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # -- freshness ------------------------------------------------------------------------------
    def _refresh(self, client: LspClient) -> None:
        """Tell the server about files changed on disk by anything other than punie."""
        now = self.workspace.mtimes()
        if now == self._mtimes:
            return
        events: list[lsp.FileEvent] = []
        for path, mtime in now.items():
            old = self._mtimes.get(path)
            if old is None:
                events.append(lsp.FileEvent(Path(path).as_uri(), lsp.FileChangeType.Created))
            elif old != mtime:
                events.append(lsp.FileEvent(Path(path).as_uri(), lsp.FileChangeType.Changed))
            else:
                continue
            # pyright applies watched-file events on a timer, so a query sent right after them
            # can miss the change; an opened document is current as soon as didOpen arrives
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            self._send_change(client, Path(path), text)
        for path in self._mtimes.keys() - now.keys():
            events.append(lsp.FileEvent(Path(path).as_uri(), lsp.FileChangeType.Deleted))
            if path in self._open:
                del self._open[path]
                client.notify(
                    "textDocument/didClose",
                    lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(Path(path).as_uri())),
                )
        self._mtimes = now
        self.generation += 1
        self.changed_at = time.monotonic()
        if events:
            client.notify(
                "workspace/didChangeWatchedFiles", lsp.DidChangeWatchedFilesParams(events)
            )

    def _send_change(self, client: LspClient, path: Path, text: str) -> int:
        uri = path.as_uri()
        key = str(path)
        if key in self._open:
            version = self._open[key][0] + 1
            client.notify(
                "textDocument/didChange",
                lsp.DidChangeTextDocumentParams(
                    lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [lsp.TextDocumentContentChangeWholeDocument(text=text)],
                ),
            )
        else:
            version = 1
            client.notify(
                "textDocument/didOpen",
                lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", version, text)),
            )
        self._open[key] = (version, text)
        return version

    # -- requests -------------------------------------------------------------------------------
    async def request(self, method: str, params: Any) -> Any:
        """A fresh, timed request; on a timeout or a crash: restart and retry once."""
        client = self.client
        try:
            self._refresh(client)
            return await client.request(method, params)
        except (RequestTimeout, ServerCrashed) as first:
            async with self._lock:
                if self._client is None or self._client is client or not self._client.alive:
                    await self.restart()
            try:
                return await self.client.request(method, params)
            except (RequestTimeout, ServerCrashed) as second:
                raise LspUnavailable(
                    f"{method} failed ({first}); after a restart it failed again ({second})"
                ) from second

    async def sync_edit(self, path: Path, text: str, timeout: float) -> tuple[Diagnostic, ...]:
        """Send an edit punie made (didOpen/didChange) and return the diagnostics the server
        published for exactly this version of the document (empty if none came in time)."""
        client = self.client
        self._refresh(client)
        version = self._send_change(client, path, text)
        self.generation += 1
        self.changed_at = time.monotonic()
        try:
            self._mtimes[str(path)] = path.stat().st_mtime_ns
        except OSError:
            self._mtimes.pop(str(path), None)
        published = await client.wait_for_diagnostics(path.as_uri(), version, timeout)
        if published is None:
            return ()
        return tuple(self.to_diagnostic(path, d) for d in published.diagnostics)

    def to_diagnostic(self, path: Path, diag: lsp.Diagnostic) -> Diagnostic:
        start, end = diag.range.start, diag.range.end
        code = diag.code
        return Diagnostic(
            file=self.workspace.relative(path),
            line=start.line + 1,
            column=start.character + 1,
            end_line=end.line + 1,
            end_column=end.character + 1,
            severity=_SEVERITY.get(int(diag.severity or 1), "error"),
            rule=str(code) if code is not None else None,
            message=diag.message,
        )

    def _position(self, path: Path, line: int, character: int) -> lsp.TextDocumentPositionParams:
        return lsp.TextDocumentPositionParams(
            lsp.TextDocumentIdentifier(path.as_uri()), lsp.Position(line, character)
        )

    async def definition(self, path: Path, line: int, character: int) -> list[lsp.Location]:
        pos = self._position(path, line, character)
        result = await self.request(
            "textDocument/definition", lsp.DefinitionParams(pos.text_document, pos.position)
        )
        return _locations(result)

    async def references(
        self, path: Path, line: int, character: int, include_declaration: bool = True
    ) -> list[lsp.Location]:
        pos = self._position(path, line, character)
        params = lsp.ReferenceParams(
            context=lsp.ReferenceContext(include_declaration=include_declaration),
            text_document=pos.text_document,
            position=pos.position,
        )
        return _locations(await self.request("textDocument/references", params))

    async def hover(self, path: Path, line: int, character: int) -> str | None:
        pos = self._position(path, line, character)
        result = await self.request(
            "textDocument/hover", lsp.HoverParams(pos.text_document, pos.position)
        )
        if not isinstance(result, lsp.Hover):
            return None
        contents: Any = result.contents
        if isinstance(contents, lsp.MarkupContent):
            return contents.value
        if isinstance(contents, str):
            return contents
        return str(contents)

    async def document_symbols(
        self, path: Path
    ) -> list[lsp.DocumentSymbol] | list[lsp.SymbolInformation]:
        params = lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(path.as_uri()))
        result = await self.request("textDocument/documentSymbol", params)
        return list(result or [])

    async def workspace_symbols(self, query: str) -> list[lsp.SymbolInformation]:
        result = await self.request("workspace/symbol", lsp.WorkspaceSymbolParams(query=query))
        symbols: list[lsp.SymbolInformation] = []
        items: list[Any] = list(result or [])
        for item in items:
            if isinstance(item, lsp.SymbolInformation):
                symbols.append(item)
            elif isinstance(item, lsp.WorkspaceSymbol) and isinstance(item.location, lsp.Location):
                symbols.append(
                    lsp.SymbolInformation(
                        name=item.name,
                        kind=item.kind,
                        location=item.location,
                        container_name=item.container_name,
                    )
                )
        return symbols


def _locations(result: Any) -> list[lsp.Location]:
    if result is None:
        return []
    items: list[Any] = [result] if not isinstance(result, list | tuple) else list(result)  # pyright: ignore[reportUnknownArgumentType]
    out: list[lsp.Location] = []
    for item in items:
        if isinstance(item, lsp.Location):
            out.append(item)
        elif isinstance(item, lsp.LocationLink):
            out.append(lsp.Location(item.target_uri, item.target_selection_range))
    return out
