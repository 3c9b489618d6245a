"""The live tool server: one warm bridge, shared by many punie processes over JSON-RPC.

``punie serve --repo PATH`` starts the language server once, proves it ready, and then serves the
tool catalogue over pygls' JSON-RPC protocol on stdio or on TCP (127.0.0.1 only). Each TCP
connection gets its own protocol object; all share one :class:`ToolContext`, so a second process's
first request does not pay pyright's cold start.

Methods: ``punie/call`` ``{tool, args}`` -> ``{result, rendered}``; ``punie/tools``;
``punie/status``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, cast

from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.protocol import JsonRPCProtocol, default_converter
from pygls.server import JsonRPCServer

from punie.errors import PunieError
from punie.tools._context import ToolContext
from punie.tools._types import result_to_json
from punie.tools.catalogue import get_spec, tool_specs

__all__ = ["ToolService", "plain", "serve_stdio", "serve_tcp"]

logger = logging.getLogger(__name__)


def plain(value: Any) -> Any:
    """pygls hands untyped params over as namedtuples: turn them back into JSON values."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in cast(dict[str, Any], value._asdict()).items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in cast(dict[Any, Any], value).items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in cast(list[Any], value)]
    return value


class ToolService:
    """What the server exposes, independent of transport."""

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self.calls = 0

    async def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            spec = get_spec(tool)
        except KeyError as exc:
            raise PunieError(str(exc.args[0])) from None
        self.calls += 1
        result = await spec.call(self.ctx, **args)
        return {"result": result_to_json(result), "rendered": result.render()}

    def tools(self) -> list[dict[str, str]]:
        return [{"name": s.name, "signature": s.signature_text()} for s in tool_specs()]

    async def status(self) -> dict[str, Any]:
        bridge = await self.ctx.lsp()
        return {
            "root": str(self.ctx.workspace.root),
            "server": bridge.server_info,
            "ready_seconds": bridge.ready_seconds,
            "ready": bridge.ready_state,
            "restarts": bridge.restarts,
            "failed_restarts": bridge.failed_restarts,
            "status": bridge.status_line(),
            "events": list(bridge.events)[-10:],
            "calls": self.calls,
        }


def _rpc(service: ToolService) -> JsonRPCServer:
    rpc = JsonRPCServer(JsonRPCProtocol, default_converter)
    feature = cast(Callable[[str], Callable[[Callable[..., Any]], Any]], rpc.feature)

    async def call(params: Any) -> dict[str, Any]:
        data: dict[str, Any] = plain(params) or {}
        tool = str(data.get("tool", ""))
        args: Any = data.get("args") or {}
        if not isinstance(args, dict):
            raise PunieError(f"args for {tool!r} must be an object, got {args!r}")
        return await service.call(tool, cast(dict[str, Any], args))

    async def tools(params: Any) -> list[dict[str, str]]:
        return service.tools()

    async def status(params: Any) -> dict[str, Any]:
        return await service.status()

    feature("punie/call")(call)
    feature("punie/tools")(tools)
    feature("punie/status")(status)
    return rpc


async def serve_tcp(
    ctx: ToolContext,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[int], None] | None = None,
) -> None:
    """Warm the bridge, then accept connections until cancelled. ``port=0`` picks a free one."""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise PunieError(f"the tool server only listens on loopback, not {host!r}")
    service = ToolService(ctx)
    await ctx.lsp()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        rpc = _rpc(service)
        rpc.protocol.set_writer(writer)  # pyright: ignore[reportArgumentType]
        try:
            await run_async(
                stop_event=threading.Event(), reader=reader, protocol=rpc.protocol, logger=logger
            )
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, host, port)
    bound = server.sockets[0].getsockname()[1]
    if on_ready is not None:
        on_ready(int(bound))
    async with server:
        await server.serve_forever()


async def serve_stdio(ctx: ToolContext) -> None:
    """Serve one client on stdin/stdout until it closes the stream."""
    service = ToolService(ctx)
    await ctx.lsp()
    rpc = _rpc(service)
    rpc.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    await run_async(
        stop_event=threading.Event(),
        reader=StdinAsyncReader(sys.stdin.buffer),
        protocol=rpc.protocol,
        logger=logger,
    )
