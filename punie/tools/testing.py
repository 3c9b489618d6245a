"""``pytest_run``: the real pytest in the workspace, with structured per-test outcomes."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from punie.confinement import ConfinementUnavailable
from punie.tools._context import ToolContext
from punie.tools._memo import WorkspaceMemo, fingerprint
from punie.tools._paths import workspace_path
from punie.tools._proc import Completed, run_program, tail

__all__ = ["PytestCase", "PytestResult", "pytest_run"]

_PLUGIN = "_punie_pytest_report"
_MESSAGE_LINES = 4
_MESSAGE_CHARS = 600


@dataclass(frozen=True)
class PytestCase:
    """One test: ``outcome`` is passed, failed, error, skipped, xfailed or xpassed."""

    node_id: str
    outcome: str
    duration: float
    message: str | None = None

    def render(self) -> str:
        text = f"{self.outcome.upper()} {self.node_id}"
        return f"{text} - {self.message}" if self.message else text


@dataclass(frozen=True)
class PytestResult:
    """A pytest run. ``success`` means pytest ran to the end (tests may still fail: see
    ``all_passed``); a run killed at the time limit has ``timed_out`` and ``success=False``."""

    success: bool
    error: str | None = None
    path: str = "tests"
    select: str | None = None
    tests: tuple[PytestCase, ...] = ()
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    duration: float = 0.0
    exit_code: int | None = None
    timed_out: bool = False
    running: str | None = field(default=None)
    cached: bool = False
    """Served from an earlier run on the same workspace state (no file changed since)."""

    @property
    def all_passed(self) -> bool:
        return self.success and self.failed == 0 and self.errors == 0

    def render(self) -> str:
        where = self.path + (f" -k {self.select!r}" if self.select else "")
        counts = (
            f"{self.passed} passed, {self.failed} failed, {self.errors} errors,"
            f" {self.skipped} skipped in {self.duration:.2f}s"
        )
        lines = [f"pytest {where}: {counts}"]
        if self.error:
            lines.append(f"error: {self.error}")
        lines += [case.render() for case in self.tests if case.outcome in ("failed", "error")]
        return "\n".join(lines)


def _short(message: str | None) -> str | None:
    if not message:
        return None
    kept = [line.rstrip() for line in message.strip().splitlines() if line.strip()]
    text = "\n".join(kept[:_MESSAGE_LINES])
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 3] + "..."


def _outcomes(records: list[dict[str, Any]]) -> tuple[list[PytestCase], str | None]:
    """Fold setup/call/teardown reports into one outcome per test; also the test still running."""
    outcome: dict[str, str | None] = {}
    duration: dict[str, float] = {}
    message: dict[str, str | None] = {}
    running: str | None = None
    for record in records:
        node, when = str(record["nodeid"]), str(record["when"])
        if when == "start":
            running = node
            continue
        if when == "teardown" and node == running:
            running = None
        current = outcome.setdefault(node, None)
        duration[node] = duration.get(node, 0.0) + float(record.get("duration", 0.0))
        result, xfail = str(record["outcome"]), bool(record.get("xfail"))
        if result == "failed" and current not in ("failed", "error"):
            outcome[node] = "failed" if when == "call" else "error"
            message[node] = _short(cast(str | None, record.get("message")))
        elif result == "skipped":
            outcome[node] = "xfailed" if xfail else "skipped"
            message[node] = _short(cast(str | None, record.get("message")))
        elif result == "passed" and when == "call":
            outcome[node] = "xpassed" if xfail else "passed"
    cases = [
        PytestCase(node, kind, round(duration[node], 4), message.get(node))
        for node, kind in outcome.items()
        if kind is not None
    ]
    return cases, running


def _read_records(report: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    if report.exists():
        for line in report.read_text(encoding="utf-8").splitlines():
            try:
                records.append(cast(dict[str, Any], json.loads(line)))
            except ValueError:
                continue  # a line cut short by a kill
    return records


async def _run_pytest(ctx: ToolContext, argv: list[str]) -> tuple[Completed, list[dict[str, Any]]]:
    with tempfile.TemporaryDirectory(prefix="punie-pytest-") as scratch:
        plugin_dir = Path(scratch)
        shutil.copyfile(Path(__file__).with_name("_pytest_report.py"), plugin_dir / f"{_PLUGIN}.py")
        report = plugin_dir / "report.jsonl"
        env = {"PYTHONPATH": scratch, "PUNIE_PYTEST_REPORT": str(report)}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        done = await run_program(
            argv,
            cwd=ctx.workspace.root,
            timeout=ctx.config.pytest_timeout,
            env=env,
            confinement=ctx.confinement(plugin_dir),
        )
        return done, _read_records(report)


_MEMO: WorkspaceMemo[PytestResult] = WorkspaceMemo()


async def pytest_run(
    ctx: ToolContext, path: str | None = None, select: str | None = None
) -> PytestResult:
    """Run pytest on ``path``, or without one as ``pytest`` itself would (the project's
    configured ``testpaths``, else every test file under the workspace); ``select`` is a
    ``-k`` expression; one outcome per test."""
    if path is None:
        rel, where = ".", []
    else:
        target = workspace_path(ctx, path)
        if isinstance(target, str):
            return PytestResult(success=False, error=target, path=path, select=select)
        rel, where = target.relative, [target.argument]
    stamp = fingerprint(ctx)  # taken before the run: a later edit changes it
    key = f"{rel}\0{select or ''}"
    hit = _MEMO.get(ctx, key, stamp)
    if hit is not None:
        return dataclasses.replace(hit, cached=True)
    argv = [sys.executable, "-m", "pytest", *where, "-p", _PLUGIN, "-q", "--color=no"]
    argv += ["--rootdir", str(ctx.workspace.root)]
    if select:
        argv += ["-k", select]
    try:
        done, records = await _run_pytest(ctx, argv)
    except (OSError, ConfinementUnavailable) as exc:
        return PytestResult(success=False, error=f"cannot run pytest: {exc}", path=rel)
    cases, running = _outcomes(records)
    error: str | None = None
    if done.timed_out:
        error = f"pytest timed out after {ctx.config.pytest_timeout:g}s and was killed"
        error += f" while running {running}" if running else ""
    elif done.returncode not in (0, 1, 2, 5) or (done.returncode == 2 and not cases):
        error = f"pytest exited with status {done.returncode}: {tail(done.stdout + done.stderr, 8)}"
    count = [case.outcome for case in cases].count
    result = PytestResult(
        success=error is None,
        error=error,
        path=rel,
        select=select,
        tests=tuple(cases),
        passed=count("passed") + count("xpassed"),
        failed=count("failed"),
        errors=count("error"),
        skipped=count("skipped") + count("xfailed"),
        duration=round(done.duration, 3),
        exit_code=done.returncode,
        timed_out=done.timed_out,
        running=running if done.timed_out else None,
    )
    if result.success:
        _MEMO.put(ctx, key, stamp, result)
    return result
