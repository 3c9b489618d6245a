"""Quality tools: the real pyright CLI, ``ruff check`` and ``ruff format`` on the workspace."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from punie.confinement import ConfinementUnavailable
from punie.tools._context import ToolContext
from punie.tools._memo import WorkspaceMemo, fingerprint
from punie.tools._paths import workspace_path
from punie.tools._proc import Completed, run_program, tail, venv_program
from punie.tools._sources import SourceCache, utf16_to_column
from punie.tools._types import Diagnostic

__all__ = [
    "FormatResult",
    "RuffResult",
    "RuffViolation",
    "TypecheckResult",
    "ruff_check",
    "ruff_format",
    "typecheck",
]

_TIMEOUT = 300.0


@dataclass(frozen=True)
class TypecheckResult:
    """pyright's diagnostics for ``path``; ``cached`` when the workspace had not changed."""

    success: bool
    error: str | None = None
    path: str = "."
    diagnostics: tuple[Diagnostic, ...] = ()
    error_count: int = 0
    warning_count: int = 0
    files_analyzed: int = 0
    cached: bool = False

    @property
    def clean(self) -> bool:
        return self.success and self.error_count == 0

    def render(self) -> str:
        if not self.success:
            return f"typecheck {self.path}: error: {self.error}"
        head = (
            f"typecheck {self.path}: {self.error_count} errors, {self.warning_count} warnings"
            f" in {self.files_analyzed} files"
        )
        return "\n".join([head, *(d.render() for d in self.diagnostics)])


@dataclass(frozen=True)
class RuffViolation:
    """One ``ruff check`` finding; positions are 1-based."""

    code: str
    message: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    fixable: bool

    def render(self) -> str:
        fix = " [*]" if self.fixable else ""
        return f"{self.file}:{self.line}:{self.column} {self.code}{fix} {self.message}"


@dataclass(frozen=True)
class RuffResult:
    """``ruff check`` findings; ``fixable_count`` counts those ``ruff check --fix`` would fix."""

    success: bool
    error: str | None = None
    path: str = "."
    violations: tuple[RuffViolation, ...] = ()
    violation_count: int = 0
    fixable_count: int = 0

    @property
    def clean(self) -> bool:
        return self.success and self.violation_count == 0

    def render(self) -> str:
        if not self.success:
            return f"ruff check {self.path}: error: {self.error}"
        head = (
            f"ruff check {self.path}: {self.violation_count} violations"
            f" ({self.fixable_count} fixable)"
        )
        return "\n".join([head, *(v.render() for v in self.violations)])


@dataclass(frozen=True)
class FormatResult:
    """``ruff format``: with ``check`` the files that would be reformatted, else those reformatted.

    ``failures`` are files ruff could not format (syntax errors), as ``file:line:col: message``.
    """

    success: bool
    error: str | None = None
    path: str = "."
    check: bool = True
    files: tuple[str, ...] = ()
    file_count: int = 0
    failures: tuple[str, ...] = ()

    def render(self) -> str:
        if not self.success:
            return f"ruff format {self.path}: error: {self.error}"
        verb = "would be reformatted" if self.check else "reformatted"
        lines = [f"ruff format {self.path}: {self.file_count} files {verb}", *self.files]
        lines += [f"cannot format {failure}" for failure in self.failures]
        return "\n".join(lines)


# --- shared plumbing -------------------------------------------------------------------------


async def _run(ctx: ToolContext, argv: list[str]) -> tuple[Completed | None, str | None]:
    try:
        done = await run_program(
            argv, cwd=ctx.workspace.root, timeout=_TIMEOUT, confinement=ctx.confinement()
        )
        return done, None
    except (OSError, ConfinementUnavailable) as exc:
        return None, f"cannot run {Path(argv[0]).name}: {exc}"


_QUOTED_SOURCE = re.compile(r"^\s*(\d+\s*)?\|")


def error_lines(text: str, limit: int = 8) -> str:
    """A tool's error output without the source lines it quotes (``12 | ...`` and the caret
    lines under them): a config that points outside the workspace (``extend = "/etc/x"``)
    must not show that file's content to the model through the parse error."""
    kept = [line for line in text.splitlines() if line.strip()]
    kept = [line for line in kept if not _QUOTED_SOURCE.match(line)]
    kept = [line for line in kept if line.strip(" ^~-")]
    return tail("\n".join(kept), limit)


def _failed(name: str, done: Completed) -> str:
    if done.timed_out:
        return f"{name} timed out after {_TIMEOUT:.0f}s"
    detail = error_lines(done.stderr or done.stdout) or "no output"
    return f"{name} exited with status {done.returncode}: {detail}"


def _rel(ctx: ToolContext, filename: str) -> str:
    try:
        return ctx.workspace.relative(filename)
    except ValueError:
        return filename


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


# --- typecheck -------------------------------------------------------------------------------

_MEMO: WorkspaceMemo[TypecheckResult] = WorkspaceMemo()


def _parse_pyright(ctx: ToolContext, payload: dict[str, Any], path: str) -> TypecheckResult:
    sources = SourceCache()  # pyright counts UTF-16 units; columns here are code points
    diagnostics: list[Diagnostic] = []
    for raw in cast(list[dict[str, Any]], payload.get("generalDiagnostics", [])):
        filename = str(raw.get("file", ""))
        span = cast(dict[str, dict[str, int]], raw.get("range", {}))
        start = span.get("start", {"line": 0, "character": 0})
        end = span.get("end", start)
        first = sources.line(Path(filename), start["line"]) if filename else ""
        last = sources.line(Path(filename), end["line"]) if filename else ""
        diagnostics.append(
            Diagnostic(
                file=_rel(ctx, filename) if filename else "",
                line=start["line"] + 1,
                column=utf16_to_column(first, start["character"]),
                end_line=end["line"] + 1,
                end_column=utf16_to_column(last, end["character"]),
                severity=str(raw.get("severity", "error")),
                rule=cast(str | None, raw.get("rule")),
                message=str(raw.get("message", "")),
            )
        )
    summary = cast(dict[str, Any], payload.get("summary", {}))
    return TypecheckResult(
        success=True,
        path=path,
        diagnostics=tuple(diagnostics),
        error_count=sum(d.severity == "error" for d in diagnostics),
        warning_count=sum(d.severity == "warning" for d in diagnostics),
        files_analyzed=int(summary.get("filesAnalyzed", 0)),
    )


async def typecheck(ctx: ToolContext, path: str = ".") -> TypecheckResult:
    """Type-check ``path`` (a file or directory) with pyright; diagnostics with rule names."""
    target = workspace_path(ctx, path)
    if isinstance(target, str):
        return TypecheckResult(success=False, error=target, path=path)
    rel = target.relative
    stamp = fingerprint(ctx)  # taken before the run: a later edit changes it
    hit = _MEMO.get(ctx, rel, stamp)
    if hit is not None:
        return dataclasses.replace(hit, cached=True)
    done, problem = await _run(ctx, [venv_program("pyright"), "--outputjson", target.argument])
    if done is None:
        return TypecheckResult(success=False, error=problem, path=rel)
    payload = _json(done.stdout)
    if done.returncode not in (0, 1) or not isinstance(payload, dict):
        return TypecheckResult(success=False, error=_failed("pyright", done), path=rel)
    result = _parse_pyright(ctx, cast(dict[str, Any], payload), rel)
    _MEMO.put(ctx, rel, stamp, result)
    return result


# --- ruff ------------------------------------------------------------------------------------


def _ruff_records(done: Completed) -> list[dict[str, Any]] | None:
    payload = _json(done.stdout)
    if done.returncode not in (0, 1, 2) or not isinstance(payload, list):
        return None
    return cast(list[dict[str, Any]], payload)


def _violation(ctx: ToolContext, raw: dict[str, Any]) -> RuffViolation:
    start = cast(dict[str, int], raw.get("location") or {"row": 1, "column": 1})
    end = cast(dict[str, int], raw.get("end_location") or start)
    fix = cast(dict[str, Any] | None, raw.get("fix"))
    return RuffViolation(
        code=str(raw.get("code") or "invalid-syntax"),
        message=str(raw.get("message", "")),
        file=_rel(ctx, str(raw.get("filename", ""))),
        line=start["row"],
        column=start["column"],
        end_line=end["row"],
        end_column=end["column"],
        fixable=fix is not None and fix.get("applicability") == "safe",
    )


async def ruff_check(ctx: ToolContext, path: str = ".") -> RuffResult:
    """Lint ``path`` with ``ruff check`` (the workspace's ruff configuration applies)."""
    target = workspace_path(ctx, path)
    if isinstance(target, str):
        return RuffResult(success=False, error=target, path=path)
    rel = target.relative
    argv = [venv_program("ruff"), "check", "--output-format", "json", "--no-fix", target.argument]
    done, problem = await _run(ctx, argv)
    if done is None:
        return RuffResult(success=False, error=problem, path=rel)
    records = _ruff_records(done)
    if records is None or (done.returncode == 2 and not records):
        return RuffResult(success=False, error=_failed("ruff check", done), path=rel)
    violations = tuple(_violation(ctx, raw) for raw in records)
    return RuffResult(
        success=True,
        path=rel,
        violations=violations,
        violation_count=len(violations),
        fixable_count=sum(v.fixable for v in violations),
    )


async def ruff_format(ctx: ToolContext, path: str = ".", check: bool = True) -> FormatResult:
    """List the files under ``path`` that ``ruff format`` would change; reformat them if not
    ``check``."""
    target = workspace_path(ctx, path)
    if isinstance(target, str):
        return FormatResult(success=False, error=target, path=path, check=check)
    rel = target.relative
    ruff = venv_program("ruff")
    argv = [ruff, "format", "--check", "--output-format", "json", target.argument]
    done, problem = await _run(ctx, argv)
    if done is None:
        return FormatResult(success=False, error=problem, path=rel, check=check)
    records = _ruff_records(done)
    if records is None or (done.returncode == 2 and not records):
        error = _failed("ruff format", done)
        return FormatResult(success=False, error=error, path=rel, check=check)
    files: list[str] = []
    failures: list[str] = []
    for raw in records:
        found = _violation(ctx, raw)
        if found.code == "unformatted":
            files.append(found.file)
        else:
            failures.append(f"{found.file}:{found.line}:{found.column}: {found.message}")
    if files and not check:
        done, problem = await _run(ctx, [ruff, "format", "--", *files])
        if done is not None and done.returncode != 0:
            problem = _failed("ruff format", done)
        if problem is not None:
            return FormatResult(success=False, error=problem, path=rel, check=check)
    unique = tuple(dict.fromkeys(files))
    return FormatResult(
        success=True,
        path=rel,
        check=check,
        files=unique,
        file_count=len(unique),
        failures=tuple(failures),
    )
