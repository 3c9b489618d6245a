"""The bridge: a warm language server that restarts itself and never serves a stale view.

:class:`LspBridge` owns an :class:`LspClient`. Before every query it compares file mtimes with
what the server was last told and sends ``workspace/didChangeWatchedFiles`` (and ``didChange`` for
documents it has open). A request that times out or finds the server dead restarts the server and
is retried once; a second failure raises :class:`LspUnavailable`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from lsprotocol import types as lsp

from punie.lsp_bridge import DefinitionIndex
from punie.lsp_bridge.client import LspClient
from punie.lsp_bridge.config import ServerConfig
from punie.lsp_bridge.diagnostics import Diagnostic
from punie.lsp_bridge.errors import LspError, LspUnavailable, RequestTimeout, ServerCrashed
from punie.workspace import Workspace

__all__ = ["LspBridge"]

_SEVERITY = {1: "error", 2: "warning", 3: "information", 4: "hint"}


class LspBridge:
    """A warm, self-healing language server for one workspace."""

    def __init__(self, workspace: Workspace, config: ServerConfig | None = None) -> None:
        self.workspace = workspace
        self.config = config or ServerConfig()
        self.index = DefinitionIndex(workspace.root)
        """Definitions and imports of every file, kept current with the server's view."""
        self._client: LspClient | None = None
        self._closed = False
        self._mtimes: dict[str, int] = {}
        self._open: dict[str, tuple[int, str]] = {}
        self._lock = anyio.Lock()
        self.ready_seconds: float | None = None
        self.ready_state = "starting"
        """``proven`` (a cross-file reference came back), ``unproven`` (nothing could prove
        it within the bound; requests are served anyway) or ``starting``."""
        self.ready_note = ""
        self.restarts = 0
        self.failed_restarts = 0
        self.events: deque[str] = deque(maxlen=50)
        """What happened to the server (restarts, failed attempts, unproven readiness)."""
        self.on_event: Callable[[str], None] | None = None
        self.generation = 0
        """Bumped whenever the server is told that a file changed (caches key on it)."""
        self.changed_at = 0.0
        """``time.monotonic()`` of the last change sent (the server indexes it lazily)."""

    def _event(self, message: str) -> None:
        self.events.append(message)
        if self.on_event is not None:
            self.on_event(message)

    def status_line(self) -> str:
        """``pyright ready (proven) · 2 restarts``: for status lines and ``serve``'s status."""
        state = "down" if self._client is None else f"ready ({self.ready_state})"
        restarts = f" · {self.restarts} restart{'s' if self.restarts != 1 else ''}"
        failed = f" · {self.failed_restarts} failed" if self.failed_restarts else ""
        return f"{self.config.name} {state}{restarts if self.restarts else ''}{failed}"

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
        self._closed = False
        self._mtimes = self.workspace.mtimes()
        client = LspClient(self.workspace, self.config)
        self._client = client
        try:
            failure: Exception | None = None
            async with anyio.create_task_group() as group:  # the index builds meanwhile
                group.start_soon(anyio.to_thread.run_sync, self.index.update, self._mtimes)
                try:
                    await client.start()
                except Exception as exc:  # raised plainly below, not as an exception group
                    failure = exc
            if failure is not None:
                raise failure
            for path, (version, text) in self._open.items():
                client.notify(
                    "textDocument/didOpen",
                    lsp.DidOpenTextDocumentParams(
                        lsp.TextDocumentItem(Path(path).as_uri(), "python", version, text)
                    ),
                )
            await self._wait_ready(client)
        except BaseException:
            await client.close(polite=False)
            if self._client is client:
                self._client = None
            raise

    async def _ask(self, client: LspClient, method: str, params: Any, timeout: float) -> Any:
        """A probe request; no answer in time, or an LSP error (pyright was seen answering a
        re-sent probe with one), counts as no answer. A dead server raises."""
        try:
            return await client.request(method, params, timeout)
        except (RequestTimeout, LspError):
            return None

    async def _wait_ready(self, client: LspClient) -> None:
        """Prove readiness with a real references query for a name that one module defines and
        another imports (an ``ast`` fact): the answer must include the importing file. With
        nothing to prove it by, or no proof within the bound, the server is "ready, unproven"
        once it answers at all: requests are served, never failed for it."""
        deadline = time.perf_counter() + self.config.ready_timeout
        proofs = self.index.import_proofs()
        self.ready_state, self.ready_note = "starting", ""
        # pyright rebuilds its workspace on didChangeConfiguration and silently drops a request
        # that arrived just before: each probe gets a short timeout and is re-sent
        attempt = 1.0
        while proofs and time.perf_counter() < deadline:
            for definition, importer in proofs:
                params = lsp.ReferenceParams(
                    text_document=lsp.TextDocumentIdentifier(definition.path.as_uri()),
                    position=lsp.Position(definition.line, definition.character),
                    context=lsp.ReferenceContext(include_declaration=True),
                )
                refs = await self._ask(client, "textDocument/references", params, attempt)
                if importer.as_uri() in {loc.uri for loc in _locations(refs)}:
                    self.ready_state = "proven"
                    self.ready_seconds = time.perf_counter() - client.started_at
                    return
            attempt = min(attempt * 2, self.config.request_timeout)
            await anyio.sleep(0.1)
        if proofs:
            names = ", ".join(sorted({d.name for d, _ in proofs}))
            self.ready_note = (
                f"no cross-file references to {names} within {self.config.ready_timeout:g}s; "
                f"stderr: {client.stderr_tail(3)}"
            )
        else:
            self.ready_note = "no name is defined in one module and imported by another"
        if await self._outline_names(client, deadline):
            self.ready_note += "; its outline of a file lists that file's definitions"
        self.ready_state = "unproven"
        self.ready_seconds = time.perf_counter() - client.started_at
        self._event(f"{self.config.name} ready, unproven: {self.ready_note}")

    async def _outline_names(self, client: LspClient, deadline: float) -> bool:
        """Wait (bounded) until the server's documentSymbol of a file names a definition the
        index found there (pyright first answers an empty outline while it loads); True
        when it did. No cross-file proof: the first cross-file answer may still be short."""
        known = self.index.any_definition()
        if known is None:
            return False
        params = lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(known.path.as_uri()))
        bound = min(deadline, time.perf_counter() + 10.0)
        while time.perf_counter() < bound:
            answer = await self._ask(client, "textDocument/documentSymbol", params, 1.0)
            if any(getattr(s, "name", None) == known.name for s in answer or ()):
                return True
            await anyio.sleep(0.1)
        return False

    async def restart(self) -> None:
        """Kill the current server (it failed us, so no polite shutdown) and start a new one,
        retrying a start that fails (the new server dies, hangs or answers the probe with an
        error) with exponential backoff, up to ``config.restart_attempts`` times."""
        old, self._client = self._client, None
        if old is not None:
            await old.close(polite=False)
        delay = self.config.restart_backoff
        last: Exception | None = None
        for attempt in range(1, self.config.restart_attempts + 1):
            try:
                await self.start()
            except (ServerCrashed, RequestTimeout, LspError) as exc:
                last = exc
                self.failed_restarts += 1
                self._event(f"{self.config.name} restart attempt {attempt} failed: {exc}")
                await anyio.sleep(delay)
                delay *= 2
                continue
            self.restarts += 1
            self._event(f"{self.config.name} restarted (attempt {attempt})")
            return
        raise LspUnavailable(
            f"{self.config.name} could not be restarted in {self.config.restart_attempts} "
            f"attempts: {last}"
        )

    async def close(self) -> None:
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def _live(self) -> LspClient:
        """The running client; after a failed restart the next request starts a new server."""
        if self._client is None and not self._closed:
            async with self._lock:
                if self._client is None and not self._closed:
                    await self.restart()
        return self.client

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
        self.index.update(now)
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
    def refresh(self) -> None:
        """Tell the server (and the index) about files changed on disk since the last call."""
        if self._client is not None:
            self._refresh(self._client)

    async def request(self, method: str, params: Any, *, refresh: bool = True) -> Any:
        """A fresh, timed request; on a timeout or a crash: restart (with retries) and retry
        the request once. ``refresh=False`` when the caller just called :meth:`refresh`."""
        client = await self._live()
        try:
            if refresh:
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
        client = await self._live()
        self._refresh(client)
        version = self._send_change(client, path, text)
        self.generation += 1
        self.changed_at = time.monotonic()
        try:
            self._mtimes[str(path)] = mtime = path.stat().st_mtime_ns
        except OSError:
            self._mtimes.pop(str(path), None)
        else:
            self.index.set_text(path, text, mtime)
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

    async def definition(
        self, path: Path, line: int, character: int, *, refresh: bool = True
    ) -> list[lsp.Location]:
        pos = self._position(path, line, character)
        result = await self.request(
            "textDocument/definition",
            lsp.DefinitionParams(pos.text_document, pos.position),
            refresh=refresh,
        )
        return _locations(result)

    async def references(
        self,
        path: Path,
        line: int,
        character: int,
        include_declaration: bool = True,
        *,
        refresh: bool = True,
    ) -> list[lsp.Location]:
        pos = self._position(path, line, character)
        params = lsp.ReferenceParams(
            context=lsp.ReferenceContext(include_declaration=include_declaration),
            text_document=pos.text_document,
            position=pos.position,
        )
        return _locations(await self.request("textDocument/references", params, refresh=refresh))

    async def hover(
        self, path: Path, line: int, character: int, *, refresh: bool = True
    ) -> str | None:
        pos = self._position(path, line, character)
        result = await self.request(
            "textDocument/hover", lsp.HoverParams(pos.text_document, pos.position), refresh=refresh
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
