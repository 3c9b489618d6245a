"""What the OS sandbox (bubblewrap) costs per tool call: each process tool confined against the
same call unconfined (``ToolConfig(confinement="off")``), interleaved in one run, on a temp copy
of ``sandboxes/shop`` made a git repository. pytest's result memo is bypassed by touching a test
file before every call, so every pytest row is a real run. Ratio = confined p50 / unconfined
p50; the extra milliseconds are what bwrap's start adds.

    uv run python benchmarks/confinement.py [--runs 10]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
from _table import table

from punie.tools import ToolConfig, ToolContext, files, git, quality, testing

REPO = Path(__file__).resolve().parent.parent


def _repo(tmp: Path) -> Path:
    root = tmp / "shop"
    shutil.copytree(REPO / "sandboxes" / "shop", root, ignore=shutil.ignore_patterns("__pycache__"))
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    for args in (["init", "-q"], ["add", "."], [*ident, "commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


async def _measure(root: Path, runs: int) -> list[tuple[str, ...]]:
    confined = ToolContext.at(root, ToolConfig(allowed_commands=("ls",)))
    free = ToolContext.at(root, ToolConfig(allowed_commands=("ls",), confinement="off"))
    test_file = root / "tests" / "test_pricing.py"

    def touch() -> None:
        test_file.write_text(test_file.read_text())

    cases: dict[str, Callable[[ToolContext], Awaitable[Any]]] = {
        "pytest_run (one file)": lambda c: testing.pytest_run(c, "tests/test_pricing.py"),
        "ruff_check": lambda c: quality.ruff_check(c),
        "git_status": lambda c: git.git_status(c),
        "run_command ls": lambda c: files.run_command(c, "ls"),
    }
    rows: list[tuple[str, ...]] = []
    for name, call in cases.items():
        samples: dict[str, list[float]] = {"on": [], "off": []}
        for ctx in (confined, free):  # warm-up
            touch()
            await call(ctx)
        for i in range(runs):
            order = [("on", confined), ("off", free)]
            if i % 2:
                order.reverse()
            for key, ctx in order:
                touch()
                start = time.perf_counter()
                result = await call(ctx)
                samples[key].append((time.perf_counter() - start) * 1000)
                assert result.success, (name, key, result)
        on, off = statistics.median(samples["on"]), statistics.median(samples["off"])
        rows.append((name, f"{off:.1f}", f"{on:.1f}", f"{on / off:.2f}x", f"{on - off:+.1f}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = anyio.run(_measure, _repo(Path(tmp)), args.runs)
    print(f"tool calls confined (bwrap) vs unconfined, p50 of {args.runs} each\n")
    print(table(("tool", "unconfined ms", "confined ms", "ratio", "+ms"), rows))


if __name__ == "__main__":
    main()
