"""Agent benchmarks. So far: the executor's overhead per snippet.

A program with one tool call (e.g. ``r = read_file('calc.py')`` then one field printed) runs
through :class:`punie.agent.executor.Executor`, with and without the type check, and is compared
with awaiting the same tool directly, in the same process, on the same small repository.
Overhead = executor median - direct median (target: under 10 ms).

    uv run python benchmarks/agent.py [--runs 200] [--tool read_file|grep|goto_definition]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

from punie.agent.executor import ALLOWED_IMPORTS, Executor, ExecutorLimits
from punie.agent.executor.static import analyse
from punie.tools import ToolContext
from punie.tools.catalogue import ToolSpec, tool_specs

FILES = {
    "calc.py": "def add(a: int, b: int) -> int:\n    return a + b\n\n\n"
    "def neg(a: int) -> int:\n    return -a\n",
    "main.py": "from calc import add\n\nprint(add(1, 2))\n",
}

# (tool, arguments, program) in order of preference: the first one in the catalogue is used.
CANDIDATES: tuple[tuple[str, dict[str, object], str], ...] = (
    ("read_file", {"path": "calc.py"}, "r = read_file('calc.py')\nprint(r.total_lines)"),
    ("grep", {"pattern": "def add"}, "r = grep('def add')\nprint(r.match_count)"),
    (
        "goto_definition",
        {"symbol": "add"},
        "r = goto_definition('add')\nprint(r.locations[0].file, r.locations[0].line)",
    ),
)

Samples = list[float]


def _pick(
    specs: tuple[ToolSpec, ...], wanted: str | None
) -> tuple[ToolSpec, dict[str, object], str]:
    by_name = {s.name: s for s in specs}
    for name, arguments, code in CANDIDATES:
        if name in by_name and wanted in (None, name):
            return by_name[name], arguments, code
    raise SystemExit(f"none of {[c[0] for c in CANDIDATES]} in the catalogue: {sorted(by_name)}")


async def _time(fn: Callable[[], Awaitable[object]], runs: int) -> Samples:
    for _ in range(min(10, runs)):  # warm-up
        await fn()
    samples: Samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _row(name: str, samples: Samples, base: float | None) -> str:
    med = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else med
    over = f"{med - base:+8.2f}" if base is not None else f"{'':>8}"
    return f"| {name:<38} | {med:8.2f} | {p90:8.2f} | {over} |"


async def _static(code: str) -> None:
    analyse(code, ALLOWED_IMPORTS)


async def _executor_rows(ctx: ToolContext, code: str, runs: int) -> list[tuple[str, Samples]]:
    rows: list[tuple[str, Samples]] = [
        ("host checks (parse, imports)", await _time(lambda: _static(code), runs))
    ]
    for type_check in (True, False):
        label = "type check on" if type_check else "type check off"
        started = time.perf_counter()
        async with Executor(ctx, ExecutorLimits(), type_check=type_check) as ex:
            rows.append(
                (f"executor start, once ({label})", [(time.perf_counter() - started) * 1000])
            )
            first = await ex.run(code)
            assert first.error is None and len(first.tool_calls) == 1, first.render()
            if type_check:
                rows.append(("type check only (warm)", await _time(lambda: ex.check(code), runs)))
            rows.append((f"executor.run ({label})", await _time(lambda: ex.run(code), runs)))
    return rows


async def main(runs: int, wanted: str | None) -> None:
    spec, arguments, code = _pick(tool_specs(), wanted)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in FILES.items():
            (root / name).write_text(text)
        async with ToolContext.at(root) as ctx:
            warm = await spec.call(ctx, **arguments)  # a language server starts on first use
            assert getattr(warm, "success", True), warm
            direct = await _time(lambda: spec.call(ctx, **arguments), runs)
            rows = await _executor_rows(ctx, code, runs)
    base = statistics.median(direct)
    print(f"tool: {spec.name}({arguments}); program: {code!r}; {runs} runs; times in ms")
    print(f"| {'path':<38} | {'median':>8} | {'p90':>8} | {'overhead':>8} |")
    print(f"|{'-' * 40}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
    print(_row(f"direct await {spec.name}", direct, None))
    for name, samples in rows:
        print(_row(name, samples, base if name.startswith("executor.run") else None))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--tool", choices=[c[0] for c in CANDIDATES], default=None)
    args = parser.parse_args()
    anyio.run(main, args.runs, args.tool)
