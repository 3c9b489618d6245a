"""LSP bridge latency: a call by name against the floor, on a bundled sandbox and a real project.

For each repo, 20 module-level functions and classes (unique names, from the bridge's own ast
index). The floor is the bare JSON-RPC request (pygls protocol, no punie code around it) for the
same method at the symbol's known position, sent through the same pyright process in the same
run. punie is given only the name. Each round asks every symbol once both ways, alternating
which goes first, with punie's per-name caches cleared (every ask is a first ask of that name).
Target: punie's p50 within 1.2x the floor's p50 plus 1 ms.

    uv run python benchmarks/lsp_bridge.py [--repo DIR ...] [--rounds 5]
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

from punie.lsp_bridge import Definition, LspBridge
from punie.tools import ToolContext
from punie.tools import navigation as nav

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


def _pick_symbols(bridge: LspBridge, count: int) -> list[Definition]:
    """Module-level functions and classes whose name is defined once, spread over the repo."""
    names = [n for n in bridge.index.names() if len(n) >= 4 and not n.startswith("_")]
    unique = [bridge.index.lookup(n) for n in names]
    defs = [
        found[0]
        for found in unique
        if len(found) == 1 and found[0].container is None and found[0].kind in {"class", "function"}
    ]
    defs.sort(key=lambda d: (str(d.path), d.line))
    step = max(1, len(defs) // count)
    return defs[::step][:count]


async def measure(repo: Path, rounds: int, count: int) -> list[tuple[str, ...]]:
    from punie.tools import _symbols

    async with ToolContext.at(repo) as ctx:
        bridge = await ctx.lsp()
        protocol = bridge.client._client.protocol  # pyright: ignore[reportPrivateUsage]
        symbols = _pick_symbols(bridge, count)

        def params(method: str, d: Any) -> Any:
            doc = lsp.TextDocumentIdentifier(uri=d.path.as_uri())
            pos = lsp.Position(line=d.line, character=d.character)
            if method == "textDocument/references":
                return lsp.ReferenceParams(
                    text_document=doc,
                    position=pos,
                    context=lsp.ReferenceContext(include_declaration=False),
                )
            return lsp.DefinitionParams(text_document=doc, position=pos)

        cases: dict[str, tuple[str, Callable[[str], Awaitable[Any]]]] = {
            "goto_definition": ("textDocument/definition", lambda n: nav.goto_definition(ctx, n)),
            "find_references": ("textDocument/references", lambda n: nav.find_references(ctx, n)),
        }
        for method, _ in cases.values():  # the server has analysed every symbol once
            for d in symbols:
                await protocol.send_request_async(method, params(method, d))
        rows: list[tuple[str, ...]] = []
        for tool, (method, call) in cases.items():
            ours: list[float] = []
            bare: list[float] = []
            for round_ in range(rounds):
                for index, d in enumerate(symbols):
                    _symbols._cache.pop(bridge, None)  # pyright: ignore[reportPrivateUsage]

                    async def floor(d: Any = d, method: str = method) -> Any:
                        return await protocol.send_request_async(method, params(method, d))

                    async def by_name(d: Any = d, call: Any = call) -> None:
                        result = await call(d.name)
                        assert result.success, result.error

                    pair = [(bare, floor), (ours, by_name)]
                    if (round_ + index) % 2:
                        pair.reverse()
                    for sink, fn in pair:
                        sink += await timed(fn, 1)
            p50, floor50 = statistics.median(ours), statistics.median(bare)
            target = 1.2 * floor50 + 1.0
            rows.append(
                (
                    f"{repo.name}: {tool}",
                    str(len(ours)),
                    f"{p50:.2f}",
                    f"{pct(ours, 0.95):.2f}",
                    f"{floor50:.2f}",
                    f"{pct(bare, 0.95):.2f}",
                    f"{p50 / floor50:.2f}x",
                    f"{p50 - floor50:+.2f}",
                    "yes" if p50 <= target else "NO",
                )
            )
        return rows


async def _remote_first_call(address: str, symbol: str) -> None:
    from punie.serve import RemoteTools

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


def _real_project(spec: str) -> Path:
    from punie.sandboxes.paths import default_pin_file
    from punie.sandboxes.pypi import fetch

    return fetch(spec, pin_file=default_pin_file()).path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", action="append", default=None, help="repeatable")
    parser.add_argument("--real", default="pluggy==1.5.0", help="a pinned PyPI project")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--symbols", type=int, default=20)
    args = parser.parse_args()
    repos = (
        [Path(r) for r in args.repo]
        if args.repo
        else [
            REPO / "sandboxes" / "shop",
            _real_project(args.real),
        ]
    )
    header = (
        "repo: tool (by name)",
        "n",
        "p50 ms",
        "p95 ms",
        "floor p50",
        "floor p95",
        "ratio",
        "+ms",
        "<=1.2x+1ms",
    )
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for source in repos:
            repo = Path(tmp) / source.name
            shutil.copytree(source, repo, ignore=shutil.ignore_patterns("__pycache__", ".git"))
            rows += asyncio.run(measure(repo, args.rounds, args.symbols))
        print(f"call by name vs the bare request at a known position ({args.rounds} rounds)\n")
        print(table(header, rows))
        print()
        shop = Path(tmp) / "shop"
        if shop.is_dir():
            print(table(("first request", "wall ms"), served_vs_cold(shop, "calculate_total")))


if __name__ == "__main__":
    main()
