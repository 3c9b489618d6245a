"""``punie mcp`` driven as a subprocess by the MCP SDK's own stdio client: initialize,
list_tools, call_tool for a navigation tool and for execute_code (checked against the ``ast``
oracle), the trace rows read back from SQLite, bad input answered with MCP errors while the
server lives on, and the calls becoming training samples."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests import oracle
from tests._tool_repo import git

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(shop_copy: Path, tmp_path: Path) -> AsyncIterator[tuple[ClientSession, Path]]:
    db = tmp_path / "traces.db"
    git(shop_copy, "init", "-q")  # a workspace commit to tag the traces with
    git(shop_copy, "add", ".")
    git(shop_copy, "commit", "-q", "-m", "shop")
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "punie", "mcp", "--repo", str(shop_copy), "--traces", str(db)],
        env={**os.environ},
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session, db


def _data(result: Any) -> dict[str, Any]:
    assert not result.isError, result.content
    return dict(result.structuredContent)


async def test_tools_and_code_mode_with_every_call_a_trace(
    client: tuple[ClientSession, Path], shop_copy: Path
) -> None:
    session, db = client
    listed = {t.name: t for t in (await session.list_tools()).tools}
    assert {"goto_definition", "find_references", "pytest_run", "execute_code", "rate"} <= set(
        listed
    )
    assert listed["goto_definition"].inputSchema["required"] == ["symbol"]

    truth = {d.qualified: d for d in oracle.definitions(shop_copy)}["Cart.add_item"]
    found = _data(await session.call_tool("goto_definition", {"symbol": "Cart.add_item"}))
    assert (found["locations"][0]["file"], found["locations"][0]["line"]) == (
        truth.file,
        truth.line,
    )

    expected_files = {f for f, _ in oracle.usage_lines(shop_copy, "calculate_total")}
    code = 'r = find_references("calculate_total")\nfinal_answer(", ".join(r.files))'
    ran = await session.call_tool(
        "execute_code", {"question": "Which files use calculate_total?", "code": code}
    )
    data = _data(ran)
    assert expected_files <= set(data["answer"].split(", "))
    assert data["error"] is None and data["tool_calls"][0]["name"] == "find_references"

    rated = _data(await session.call_tool("rate", {"turn_id": data["turn_id"], "rating": "good"}))
    assert rated["rating"] == "good"

    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM turns ORDER BY id").fetchall()
        assert [json.loads(r["source"])["kind"] for r in rows] == ["mcp-tool", "mcp"]
        turn = rows[1]
        source = json.loads(turn["source"])
        assert source["client"] == "mcp" and source["session"]  # the SDK client's name
        assert turn["model"].startswith("mcp:mcp") and turn["git_commit"]
        assert turn["question"] == "Which files use calculate_total?" and turn["label"] == "good"
        call = conn.execute(
            "SELECT name, result FROM tool_calls WHERE turn_id = ?", (turn["id"],)
        ).fetchone()
        assert call["name"] == "find_references"
        assert set(json.loads(call["result"])["files"]) >= expected_files  # the genuine result

    from punie.tools.catalogue import tool_specs
    from punie.traces.reader import read_traces
    from punie.training.dataset.select import select_samples

    unrated = await session.call_tool(
        "execute_code",
        {
            "question": "Where is Cart defined?",
            "code": 'r = goto_definition("Cart")\n'
            'final_answer(f"{r.locations[0].file}:{r.locations[0].line}")',
        },
    )
    assert _data(unrated)["answer"] == "shop/cart.py:12"
    failed = await session.call_tool("execute_code", {"question": "x?", "code": "1/0"})
    assert _data(failed)["error"]
    traces = read_traces(db).traces
    selection = select_samples(traces, tuple(s.name for s in tool_specs()))
    used = {t.question for t in selection.used}
    # good-rated and unrated-but-verified execute_code turns; not the failed one, not direct calls
    assert used == {"Which files use calculate_total?", "Where is Cart defined?"}
    assert selection.excluded["a direct tool call through punie mcp"] == 1
    assert selection.excluded["mcp call, unlabelled and not verified"] == 1


async def test_bad_input_is_an_mcp_error_never_a_dead_server(
    client: tuple[ClientSession, Path], shop_copy: Path
) -> None:
    session, _ = client
    repo = shop_copy
    unknown = await session.call_tool("no_such_tool", {})
    assert unknown.isError and "unknown tool" in str(unknown.content[0]), unknown
    bad_args = await session.call_tool("goto_definition", {"symbol": 3})
    assert bad_args.isError and "validation" in str(bad_args.content[0]).lower(), bad_args
    raising = _data(await session.call_tool("execute_code", {"question": "boom?", "code": "1/0"}))
    assert raising["answer"] is None and "ZeroDivisionError" in raising["error"], raising
    outside = _data(await session.call_tool("read_file", {"path": "../../etc/passwd"}))
    assert outside["success"] is False and "outside the workspace" in outside["error"], outside
    # kill the language server: the next call restarts it
    pyright = [p for p in map(int, filter(str.isdigit, os.listdir("/proc"))) if _serves(p, repo)]
    assert pyright, "no language server found for the workspace"
    for pid in pyright:
        os.kill(pid, signal.SIGKILL)
    first = await session.call_tool("find_references", {"symbol": "calculate_total"})
    assert first.content  # an answer (the restarted server's, or a readable failure)
    again = _data(await session.call_tool("find_references", {"symbol": "calculate_total"}))
    assert again["success"] and again["reference_count"] > 0, again


def _serves(pid: int, repo: Path) -> bool:
    """The language server (its bwrap wrapper) working on ``repo``."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return b"pyright-langserver" in cmdline and cwd == str(repo)
