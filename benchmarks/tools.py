"""Tool latency: each tool awaited directly, against the bare program it wraps, in one run.

The repository is a temp copy of ``sandboxes/shop`` (or ``--repo``), made a git repository with
one commit and one modification. Calls of a tool and of its baseline alternate (each goes first
every other time), after one warm-up each. ``typecheck (cold)`` uses a fresh context per call, so
its cache never answers; ``typecheck (cached)`` repeats the call on an unchanged workspace.
Ratio = tool median / baseline median. The ``.py`` edit row includes pyright's diagnostics.

    uv run python benchmarks/tools.py [--runs 10] [--fast-runs 50] [--repo sandboxes/shop] [--lsp]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from punie.tools import ToolConfig, ToolContext, edits, files, git, quality, testing

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
Call = Callable[[], Awaitable[Any]]


@dataclass
class Row:
    name: str
    samples: list[float]
    baseline: str | None = None
    base_samples: list[float] | None = None


def _stats(samples: list[float]) -> tuple[float, float]:
    median = statistics.median(samples)
    p95 = (
        statistics.quantiles(samples, n=20, method="inclusive")[-1] if len(samples) > 1 else median
    )
    return median * 1000, p95 * 1000


async def _timed(call: Call) -> float:
    start = time.perf_counter()
    result = await call()
    elapsed = time.perf_counter() - start
    if getattr(result, "success", True) is False:
        raise RuntimeError(f"benchmark call failed: {result.render()}")
    return elapsed


async def _measure(runs: int, tool: Call, base: Call | None) -> tuple[list[float], list[float]]:
    await tool()
    if base is not None:
        await base()
    tool_times: list[float] = []
    base_times: list[float] = []
    for index in range(runs):  # alternate which goes first, so drift hits both alike
        if base is not None and index % 2:
            base_times.append(await _timed(base))
        tool_times.append(await _timed(tool))
        if base is not None and not index % 2:
            base_times.append(await _timed(base))
    return tool_times, base_times


def _program(argv: list[str], cwd: Path) -> Call:
    async def run() -> None:
        await anyio.run_process(argv, cwd=cwd, check=False)

    return run


def _prepare(source: Path, dest: Path) -> Path:
    root = dest / source.name
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__", ".*_cache"))
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *ident, *args], cwd=root, check=True, capture_output=True)
    readme = root / "README.md"
    readme.write_text(readme.read_text() + "\nA local change.\n")
    (root / "bench.txt").write_text("alpha\n")
    return root


async def _bench(root: Path, runs: int, fast: int, lsp: bool) -> list[Row]:
    config = ToolConfig(allowed_commands=("ls",), pytest_timeout=300.0)
    ctx = ToolContext.at(root, config)
    sample = sorted(p for p in root.rglob("*.py") if "tests" not in p.parts)[-1]
    rel = sample.relative_to(root).as_posix()
    rows: list[Row] = []

    async def add(name: str, n: int, tool: Call, baseline: str | None, base: Call | None) -> None:
        print(f"  {name} ...", file=sys.stderr, flush=True)
        tool_times, base_times = await _measure(n, tool, base)
        rows.append(Row(name, tool_times, baseline, base_times if base else None))

    async def read_raw() -> None:
        sample.read_text().splitlines()

    await add("read_file", fast, lambda: files.read_file(ctx, rel), "Path.read_text", read_raw)
    grep_raw = _program(["grep", "-rn", "--exclude-dir=.git", "def ", "."], root)
    await add("grep", fast, lambda: files.grep(ctx, "def "), "grep -rn", grep_raw)
    await add(
        "run_command ls", fast, lambda: files.run_command(ctx, "ls"), "ls", _program(["ls"], root)
    )
    pyright = _program([str(BIN / "pyright"), "--outputjson", "."], root)

    async def cold() -> Any:
        return await quality.typecheck(ToolContext.at(root, config))

    await add("typecheck (cold)", runs, cold, "pyright --outputjson", pyright)
    await add("typecheck (cached)", fast, lambda: quality.typecheck(ctx), None, None)
    ruff_raw = _program([str(BIN / "ruff"), "check", "--output-format", "json", "."], root)
    await add("ruff_check", fast, lambda: quality.ruff_check(ctx), "ruff check", ruff_raw)
    fmt_raw = _program([str(BIN / "ruff"), "format", "--check", "."], root)
    await add("ruff_format", fast, lambda: quality.ruff_format(ctx), "ruff format --check", fmt_raw)
    pytest_raw = _program(
        [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"], root
    )
    await add("pytest_run", runs, lambda: testing.pytest_run(ctx), "python -m pytest", pytest_raw)
    status_raw = _program(["git", "status", "--porcelain"], root)
    await add("git_status", fast, lambda: git.git_status(ctx), "git status", status_raw)
    await add(
        "git_diff", fast, lambda: git.git_diff(ctx), "git diff", _program(["git", "diff"], root)
    )
    log_raw = _program(["git", "log", "-n10"], root)
    await add("git_log", fast, lambda: git.git_log(ctx), "git log -n10", log_raw)
    note = root / "bench.txt"

    async def write_raw() -> None:
        note.write_text("alpha\n")

    async def write() -> Any:
        return await edits.write_file(ctx, "bench.txt", "alpha\n")

    await add("write_file (.txt)", fast, write, "Path.write_text", write_raw)
    words = iter(["alpha", "beta"] * (fast + 2))

    async def swap() -> Any:
        old = next(words)
        return await edits.replace_in_file(
            ctx, "bench.txt", old, "beta" if old == "alpha" else "alpha"
        )

    await add("replace_in_file (.txt)", fast, swap, None, None)
    if lsp:
        marks = iter(["# bench A", "# bench B"] * (fast + 2))
        target = root / rel
        target.write_text(target.read_text() + "# bench A\n")

        async def swap_py() -> Any:
            old = next(marks)
            new = "# bench B" if old == "# bench A" else "# bench A"
            return await edits.replace_in_file(ctx, rel, old, new)

        await add("replace_in_file (.py, LSP)", fast, swap_py, None, None)
    await ctx.aclose()
    return rows


def _table(rows: list[Row]) -> str:
    head = f"{'tool':<28}{'n':>4}{'median ms':>11}{'p95 ms':>9}  {'baseline':<22}"
    head += f"{'median ms':>10}{'p95 ms':>9}{'ratio':>7}"
    lines = [head, "-" * len(head)]
    for row in rows:
        median, p95 = _stats(row.samples)
        text = f"{row.name:<28}{len(row.samples):>4}{median:>11.2f}{p95:>9.2f}  "
        if row.base_samples:
            base_median, base_p95 = _stats(row.base_samples)
            ratio = median / base_median
            text += f"{row.baseline:<22}{base_median:>10.2f}{base_p95:>9.2f}{ratio:>7.2f}"
        else:
            text += f"{'-':<22}"
        lines.append(text.rstrip())
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Tool latency against the bare programs.")
    parser.add_argument("--runs", type=int, default=10, help="calls of pyright and pytest tools")
    parser.add_argument("--fast-runs", type=int, default=50, help="calls of the other tools")
    parser.add_argument("--repo", type=Path, default=REPO / "sandboxes" / "shop")
    parser.add_argument("--lsp", action="store_true", help="also a .py edit with diagnostics")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="punie-bench-") as scratch:
        root = _prepare(args.repo.resolve(), Path(scratch))
        count = len(list(root.rglob("*.py")))
        rows = anyio.run(_bench, root, args.runs, args.fast_runs, args.lsp)
    print(f"repo: {args.repo} ({count} .py files)")
    print(_table(rows))


if __name__ == "__main__":
    main()
