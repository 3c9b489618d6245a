"""``punie serve`` against a hostile local client: a token on every request (from a 0600 file),
a cap on message size, JSON-RPC errors for bad input, no tracebacks in replies, and the server
still serving afterwards. Real pyright, real TCP."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from punie.errors import PunieError
from punie.serve import MAX_MESSAGE_BYTES, RemoteTools, serve_tcp, token_file
from punie.tools import ToolContext

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def server(
    shop_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    monkeypatch.setenv("PUNIE_CACHE", str(tmp_path / "cache"))
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    async with ToolContext.at(shop_copy) as ctx, anyio.create_task_group() as group:
        group.start_soon(lambda: serve_tcp(ctx, on_ready=ready.set_result))
        port = await ready
        yield f"127.0.0.1:{port}"
        group.cancel_scope.cancel()


async def _raw(address: str, payload: bytes) -> dict[str, Any]:
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(payload)
        await writer.drain()
        header = await reader.readline()
        await reader.readline()
        length = int(header.split(b":")[1])
        return json.loads(await reader.readexactly(length))
    finally:
        writer.close()


def _frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def test_the_token_file_is_private_and_required(server: str) -> None:
    host, port = server.split(":")
    path = token_file(host, int(port))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    async with RemoteTools(server) as remote:  # reads the file
        result = await remote.call("goto_definition", {"symbol": "Cart"})
        assert result["result"]["success"]
    async with RemoteTools(server, token="wrong") as remote:
        with pytest.raises(PunieError, match="unauthorized"):
            await remote.call("read_file", {"path": "shop/cart.py"})
    request = {"jsonrpc": "2.0", "id": 1, "method": "punie/status", "params": {}}
    reply = await _raw(server, _frame(json.dumps(request).encode()))
    assert reply["error"]["code"] == -32001 and "result" not in reply


async def test_bad_input_gets_json_rpc_errors_and_no_tracebacks(server: str) -> None:
    host, port = server.split(":")
    token = token_file(host, int(port)).read_text().strip()
    garbage = await _raw(server, _frame(b"{not json"))
    assert garbage["error"]["code"] == -32700 and garbage["id"] is None
    huge = await _raw(server, b"Content-Length: %d\r\n\r\n" % (MAX_MESSAGE_BYTES + 1))
    assert huge["error"]["code"] == -32600 and "limit" in huge["error"]["message"]
    unknown = {"jsonrpc": "2.0", "id": 7, "method": "punie/nope", "params": {"token": token}}
    reply = await _raw(server, _frame(json.dumps(unknown).encode()))
    assert reply["error"]["code"] == -32601 and reply["id"] == 7
    bad_args = {
        "jsonrpc": "2.0",
        "id": 8,
        "method": "punie/call",
        "params": {"token": token, "tool": "read_file", "args": {"no_such_arg": 1}},
    }
    reply = await _raw(server, _frame(json.dumps(bad_args).encode()))
    assert reply["error"]["code"] == -32602
    assert "Traceback" not in json.dumps(reply) and "data" not in reply["error"]
    # and the server still serves
    async with RemoteTools(server) as remote:
        status = await remote.status()
        assert status["ready"] == "proven" and "pyright" in status["status"]
