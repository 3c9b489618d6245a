"""The client side of the tool server: ``punie tool ... --server HOST:PORT``."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, cast

from punie.errors import PunieError
from punie.serve._framing import FrameError, encode, read_message
from punie.serve.token import read_token, token_file

__all__ = ["RemoteTools", "parse_address"]

_MAX_REPLY = 64 << 20


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise PunieError(f"--server wants HOST:PORT, got {address!r}")
    return host or "127.0.0.1", int(port)


class RemoteTools:
    """Calls tools on a running ``punie serve`` over TCP. The token is read from the server's
    token file (:func:`punie.serve.token.token_file`) unless given."""

    def __init__(self, address: str, token: str | None = None) -> None:
        self.host, self.port = parse_address(address)
        self.token = token
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> RemoteTools:
        if self.token is None:
            self.token = read_token(self.host, self.port)
            if self.token is None:
                where = token_file(self.host, self.port)
                raise PunieError(
                    f"no token for the tool server at {self.host}:{self.port} ({where} is "
                    "missing: is `punie serve` running as this user?)"
                )
        try:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            raise PunieError(f"no tool server at {self.host}:{self.port}: {exc}") from exc
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()

    async def _request(self, method: str, params: dict[str, Any]) -> Any:
        if self._reader is None or self._writer is None:
            raise PunieError("RemoteTools is not connected: use `async with RemoteTools(...)`")
        async with self._lock:
            request_id = next(self._ids)
            message = {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": method,
                "params": {**params, "token": self.token},
            }
            try:
                self._writer.write(encode(message))
                await self._writer.drain()
                body = await read_message(self._reader, _MAX_REPLY)
            except (OSError, FrameError, asyncio.IncompleteReadError) as exc:
                raise PunieError(f"tool server {self.host}:{self.port}: {exc}") from exc
        if body is None:
            raise PunieError(f"tool server {self.host}:{self.port} closed the connection")
        reply = cast(dict[str, Any], json.loads(body))
        error = reply.get("error")
        if isinstance(error, dict):
            detail = cast(dict[str, Any], error)
            raise PunieError(
                f"tool server {self.host}:{self.port} failed {method}: {detail.get('message')}"
            )
        return reply.get("result")

    async def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        return await self._request("punie/call", {"tool": tool, "args": args})

    async def tools(self) -> list[dict[str, str]]:
        return await self._request("punie/tools", {})

    async def status(self) -> dict[str, Any]:
        return await self._request("punie/status", {})
