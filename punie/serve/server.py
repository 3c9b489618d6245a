"""The live tool server: one warm bridge, shared by many punie processes over JSON-RPC.

``punie serve --repo PATH`` starts the language server once, proves it ready, then serves the
tool catalogue on TCP (loopback only) or stdio. Methods: ``punie/call`` ``{tool, args}`` ->
``{result, rendered}``; ``punie/tools``; ``punie/status``.

On TCP every request carries ``token`` (the server writes it to a 0600 file that only its user
can read, see :mod:`punie.serve.token`). A message over :data:`MAX_MESSAGE_BYTES` is refused and
its connection closed, invalid JSON is answered with ``-32700``, and a failure inside the server
is answered with its message only: no traceback leaves the process.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, cast

from punie.errors import PunieError
from punie.serve._framing import FrameError, Reader, encode, read_message
from punie.serve.token import new_token_file
from punie.tools import ToolContext, result_to_json
from punie.tools.catalogue import get_spec, tool_specs

__all__ = ["MAX_MESSAGE_BYTES", "ToolService", "serve_stdio", "serve_tcp"]

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1 << 20
PARSE_ERROR, INVALID_REQUEST, NO_METHOD, INVALID_PARAMS = -32700, -32600, -32601, -32602
INTERNAL, TOOL_ERROR, UNAUTHORIZED = -32603, -32000, -32001

Write = Callable[[bytes], Awaitable[None]]


class _RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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

    async def dispatch(self, method: str, params: dict[str, Any]) -> Any:
        if method == "punie/call":
            tool: Any = params.get("tool")
            args: Any = params.get("args") or {}
            if not isinstance(tool, str) or not isinstance(args, dict):
                raise _RpcError(INVALID_PARAMS, "punie/call wants {tool: str, args: object}")
            try:
                return await self.call(tool, cast(dict[str, Any], args))
            except TypeError as exc:  # wrong arguments for the tool
                raise _RpcError(INVALID_PARAMS, f"{tool}: {exc}") from None
        if method == "punie/tools":
            return self.tools()
        if method == "punie/status":
            return await self.status()
        raise _RpcError(NO_METHOD, f"no method {method!r}")


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


async def _answer(service: ToolService, body: bytes, token: str | None) -> dict[str, Any] | None:
    """The reply to one message (None for a notification)."""
    try:
        message: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return _error(None, PARSE_ERROR, f"Parse error: {exc}")
    if not isinstance(message, dict):
        return _error(None, INVALID_REQUEST, "Invalid Request: expected a JSON-RPC object")
    request = cast(dict[str, Any], message)
    if not isinstance(request.get("method"), str):
        return _error(request.get("id"), INVALID_REQUEST, "Invalid Request: no method")
    request_id = request.get("id")
    params: Any = request.get("params") or {}
    try:
        if not isinstance(params, dict):
            raise _RpcError(INVALID_PARAMS, "params must be an object")
        params = cast(dict[str, Any], params)
        if token is not None:
            given = params.pop("token", None)
            if not isinstance(given, str) or not hmac.compare_digest(given, token):
                raise _RpcError(UNAUTHORIZED, "unauthorized: a valid server token is required")
        result = await service.dispatch(str(request["method"]), params)
    except _RpcError as exc:
        reply = _error(request_id, exc.code, exc.message)
    except PunieError as exc:
        reply = _error(request_id, TOOL_ERROR, str(exc))
    except Exception as exc:  # a bug: the client gets its message, the log gets the traceback
        logger.exception("punie serve: %s failed", request.get("method"))
        reply = _error(request_id, INTERNAL, f"internal error: {type(exc).__name__}: {exc}")
    else:
        reply = {"jsonrpc": "2.0", "id": request_id, "result": result}
    return None if "id" not in request else reply


async def serve_connection(
    service: ToolService, reader: Reader, write: Write, token: str | None
) -> None:
    """Answer messages one after another until the stream ends or a frame is unreadable."""
    while True:
        try:
            body = await read_message(reader, MAX_MESSAGE_BYTES)
        except FrameError as exc:
            await write(encode(_error(None, INVALID_REQUEST, f"Invalid Request: {exc}")))
            return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        if body is None:
            return
        reply = await _answer(service, body, token)
        if reply is not None:
            await write(encode(reply))


async def serve_tcp(
    ctx: ToolContext,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[int], None] | None = None,
) -> None:
    """Warm the bridge, then accept connections until cancelled. ``port=0`` picks a free one.
    The token file is written before ``on_ready`` and removed when the server stops."""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise PunieError(f"the tool server only listens on loopback, not {host!r}")
    service = ToolService(ctx)
    await ctx.lsp()
    token: str | None = None

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def write(data: bytes) -> None:
            writer.write(data)
            await writer.drain()

        try:
            await serve_connection(service, reader, write, token)
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, host, port)
    bound = int(server.sockets[0].getsockname()[1])
    token, path = new_token_file(host, bound)
    try:
        if on_ready is not None:
            on_ready(bound)
        async with server:
            await server.serve_forever()
    finally:
        path.unlink(missing_ok=True)


async def serve_stdio(ctx: ToolContext) -> None:
    """Serve one client (the parent process) on stdin/stdout until it closes the stream."""
    service = ToolService(ctx)
    await ctx.lsp()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_MESSAGE_BYTES * 2)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.buffer

    async def write(data: bytes) -> None:
        out.write(data)
        out.flush()

    await serve_connection(service, reader, write, None)
