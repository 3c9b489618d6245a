"""LSP bridge latency: cold start, warm p50/p95 per navigation tool, and the floor.

The floor is a bare JSON-RPC request for the same LSP method and position, sent through the same
pyright process in the same run (pygls protocol, no punie code around it). The ratio is punie's
warm p50 over the floor's p50 (target: within 1.2x). The last rows compare a second process's
first request through `punie serve` with a cold one-shot `punie tool`.

    uv run python benchmarks/lsp_bridge.py [--repo sandboxes/shop] [--runs 100]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _table import table
from lsprotocol import types as lsp

from punie.tools import navigation as nav
from punie.tools._context import ToolContext
from punie.tools._symbols import Resolved, resolve_symbol

REPO = Path(__file__).resolve().parent.parent


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(fn: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    out: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


async def cold_first_answer(repo: Path, call: Callable[[ToolContext], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    async with ToolContext.at(repo) as ctx:
        await call(ctx)
        return (time.perf_counter() - start) * 1000


async def measure(repo: Path, runs: int, symbol: str, file: str) -> list[tuple[str, ...]]:
    cases: dict[str, tuple[Callable[[ToolContext], Awaitable[Any]], str]] = {
        "goto_definition": (lambda c: nav.goto_definition(c, symbol), "textDocument/definition"),
        "find_references": (lambda c: nav.find_references(c, symbol), "textDocument/references"),
        "hover": (lambda c: nav.hover(c, symbol), "textDocument/hover"),
        "document_symbols": (
            lambda c: nav.document_symbols(c, file),
            "textDocument/documentSymbol",
        ),
        "workspace_symbols": (lambda c: nav.workspace_symbols(c, symbol), "workspace/symbol"),
    }
    rows: list[tuple[str, ...]] = []
    colds = {name: await cold_first_answer(repo, call) for name, (call, _) in cases.items()}
    async with ToolContext.at(repo) as ctx:
        bridge = await ctx.lsp()
        resolved = await resolve_symbol(bridge, symbol)
        assert isinstance(resolved, Resolved), resolved
        doc = lsp.TextDocumentIdentifier(uri=resolved.path.as_uri())
        pos = lsp.Position(line=resolved.line, character=resolved.character)
        params: dict[str, Any] = {
            "textDocument/definition": lsp.DefinitionParams(text_document=doc, position=pos),
            "textDocument/references": lsp.ReferenceParams(
                text_document=doc,
                position=pos,
                context=lsp.ReferenceContext(include_declaration=False),
            ),
            "textDocument/hover": lsp.HoverParams(text_document=doc, position=pos),
            "textDocument/documentSymbol": lsp.DocumentSymbolParams(
                text_document=lsp.TextDocumentIdentifier(uri=(repo / file).resolve().as_uri())
            ),
            "workspace/symbol": lsp.WorkspaceSymbolParams(query=symbol),
        }
        protocol = bridge.client._client.protocol  # pyright: ignore[reportPrivateUsage]
        for name, (call, method) in cases.items():
            await call(ctx)  # warm this path

            async def floor(method: str = method) -> Any:
                return await protocol.send_request_async(method, params[method])

            ours: list[float] = []
            bare: list[float] = []
            for _ in range(runs):  # interleaved so machine noise hits both alike
                bare += await timed(floor, 1)
                ours += await timed(lambda call=call: call(ctx), 1)
            p50, floor50 = statistics.median(ours), statistics.median(bare)
            rows.append(
                (
                    name,
                    f"{colds[name]:.0f}",
                    f"{p50:.2f}",
                    f"{pct(ours, 0.95):.2f}",
                    f"{floor50:.2f}",
                    f"{pct(bare, 0.95):.2f}",
                    f"{p50 / floor50:.2f}x",
                )
            )
    return rows


async def _remote_first_call(address: str, symbol: str) -> None:
    from punie.lsp_bridge.remote import RemoteTools

    async with RemoteTools(address) as remote:
        await remote.call("find_references", {"symbol": symbol})


def served_vs_cold(repo: Path, symbol: str) -> list[tuple[str, str]]:
    punie = [sys.executable, "-m", "punie.cli.__main__"]
    server = subprocess.Popen(
        [*punie, "serve", "--repo", str(repo), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        address = server.stdout.readline().strip()
        args = ["tool", "find_references", symbol]
        rows: list[tuple[str, str]] = []
        start = time.perf_counter()
        asyncio.run(_remote_first_call(address, symbol))
        rows.append(
            ("connect + first call via punie serve", f"{(time.perf_counter() - start) * 1000:.0f}")
        )
        for label, extra in (
            ("second process via punie serve", ["--server", address]),
            ("one-shot punie tool (cold pyright)", ["--repo", str(repo)]),
        ):
            start = time.perf_counter()
            subprocess.run([*punie, *args, *extra], check=True, capture_output=True)
            rows.append((label, f"{(time.perf_counter() - start) * 1000:.0f}"))
        return rows
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", default=str(REPO / "sandboxes" / "shop"))
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--symbol", default="calculate_total")
    parser.add_argument("--file", default="shop/cart.py")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(args.repo, repo, ignore=shutil.ignore_patterns("__pycache__"))
        rows = asyncio.run(measure(repo, args.runs, args.symbol, args.file))
        header = ("tool", "cold ms", "p50 ms", "p95 ms", "floor p50", "floor p95", "ratio")
        print(f"punie navigation tools on {args.repo} ({args.runs} warm calls each)\n")
        print(table(header, rows))
        print()
        print(table(("first request", "wall ms"), served_vs_cold(repo, args.symbol)))


if __name__ == "__main__":
    main()
