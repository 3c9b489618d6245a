"""``punie tool`` and ``punie serve`` as a user runs them: real processes, real pyright."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from punie.lsp_bridge import ServerConfig
from punie.tools import ToolContext
from punie.tools import navigation as nav
from tests import oracle
from tests.conftest import group_processes

PUNIE = [sys.executable, "-m", "punie"]


def punie(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PUNIE, *args], capture_output=True, text=True, timeout=timeout)


def test_tool_json_agrees_with_the_oracle(shop_copy: Path) -> None:
    done = punie("tool", "find_references", "calculate_total", "--repo", str(shop_copy), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["type"] == "ReferencesResult" and data["success"]
    got = {(loc["file"], loc["line"]) for loc in data["locations"]}
    assert oracle.usage_lines(shop_copy, "calculate_total") <= got
    assert data["reference_count"] == len(data["locations"])


def test_tool_errors_name_the_input(shop_copy: Path) -> None:
    outside = punie("tool", "read_file", "../../etc/passwd", "--repo", str(shop_copy))
    assert outside.returncode == 1 and "../../etc/passwd" in outside.stdout + outside.stderr
    unknown = punie("tool", "no_such_tool", "--repo", str(shop_copy))
    assert unknown.returncode == 2 and "no_such_tool" in unknown.stderr
    bad_int = punie("tool", "read_file", "shop/cart.py", "start=abc", "--repo", str(shop_copy))
    assert bad_int.returncode == 2 and "start='abc'" in bad_int.stderr


def test_serve_shares_one_warm_pyright(shop_copy: Path) -> None:
    server = subprocess.Popen(
        [*PUNIE, "serve", "--repo", str(shop_copy), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        address = server.stdout.readline().strip()
        assert address.startswith("127.0.0.1:"), server.stderr.read() if server.stderr else ""
        first = punie("tool", "find_references", "calculate_total", "--server", address, "--json")
        second = punie("tool", "goto_definition", "Cart.add_item", "--server", address, "--json")
        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        refs = json.loads(first.stdout)
        assert refs["reference_count"] >= len(oracle.usage_lines(shop_copy, "calculate_total"))
        assert json.loads(second.stdout)["locations"][0]["file"] == "shop/cart.py"
        pyright = [
            pid
            for pid in os.listdir("/proc")
            if pid.isdigit() and _is_child_pyright(int(pid), server.pid)
        ]
        assert len(pyright) == 1, "both clients must have used the one warm pyright"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    assert group_processes(server.pid) == []
    leftover = [p for p in os.listdir("/proc") if p.isdigit() and _mentions(int(p), shop_copy)]
    details = [Path(f"/proc/{p}/stat").read_text()[:80] + _cmdline(int(p)) for p in leftover]
    assert leftover == [], f"the language server must stop with punie serve: {details}"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def _is_child_pyright(pid: int, parent: int) -> bool:
    return "pyright-langserver" in _cmdline(pid) and _ppid(pid) == parent


def _mentions(pid: int, repo: Path) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/cwd") == str(repo) and "langserver" in _cmdline(pid)
    except OSError:
        return False


@pytest.mark.anyio
async def test_ty_server_by_configuration(shop_copy: Path) -> None:
    """`ty server` instead of pyright, through the same bridge and tools."""
    async with ToolContext.at(shop_copy, server=ServerConfig.ty()) as ctx:
        bridge = await ctx.lsp()
        assert bridge.server_info.startswith("ty")
        definition = await nav.goto_definition(ctx, "calculate_total")
        assert [(loc.file, loc.line) for loc in definition.locations] == [("shop/pricing.py", 27)]
        refs = await nav.find_references(ctx, "calculate_total")
        calls = {(f, n) for f, n in oracle.usage_lines(shop_copy, "calculate_total")}
        got = {(loc.file, loc.line) for loc in refs.locations}
        assert got and got <= calls  # ty reports the call sites (not the imports)
