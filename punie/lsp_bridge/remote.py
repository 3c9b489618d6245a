"""The client side of the tool server: ``punie tool ... --server HOST:PORT``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from pygls.io_ import run_async
from pygls.protocol import JsonRPCProtocol, default_converter
from pygls.server import JsonRPCServer

from punie.errors import PunieError
from punie.lsp_bridge.server import plain

__all__ = ["RemoteTools", "parse_address"]


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise PunieError(f"--server wants HOST:PORT, got {address!r}")
    return host or "127.0.0.1", int(port)


class RemoteTools:
    """Calls tools on a running ``punie serve`` over TCP."""

    def __init__(self, address: str) -> None:
        self.host, self.port = parse_address(address)
        self._endpoint = JsonRPCServer(JsonRPCProtocol, default_converter)
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RemoteTools:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            raise PunieError(f"no tool server at {self.host}:{self.port}: {exc}") from exc
        self._writer = writer
        self._endpoint.protocol.set_writer(writer)  # pyright: ignore[reportArgumentType]
        self._reader_task = asyncio.create_task(
            run_async(
                stop_event=threading.Event(),
                reader=reader,
                protocol=self._endpoint.protocol,
                logger=logging.getLogger(__name__),
            )
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        # pygls' own client waits for the reader loop, which never ends while the socket is
        # open: close the socket and stop the loop here instead.
        if self._writer is not None:
            self._writer.close()
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader_task

    async def _request(self, method: str, params: Any) -> Any:
        try:
            future = self._endpoint.protocol.send_request_async(method, params)
            return plain(await future)
        except Exception as exc:
            raise PunieError(f"tool server {self.host}:{self.port} failed {method}: {exc}") from exc

    async def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        return await self._request("punie/call", {"tool": tool, "args": args})

    async def status(self) -> dict[str, Any]:
        return await self._request("punie/status", {})
