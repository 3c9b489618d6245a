"""File tools: read a slice of a file, search text across the workspace, run an allowed program."""

from __future__ import annotations

import os
import shlex
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import regex as _regex

from punie.confinement import ConfinementUnavailable
from punie.tools._context import ToolContext
from punie.tools._paths import workspace_path
from punie.tools._proc import run_program
from punie.tools._types import Location
from punie.workspace import SKIP_DIRS, PathOutsideWorkspace, Workspace

__all__ = [
    "CommandResult",
    "GrepResult",
    "ReadResult",
    "grep",
    "read_file",
    "run_command",
]

_MAX_FILE_BYTES = 2_000_000
_MAX_OUTPUT_CHARS = 20_000


@dataclass(frozen=True)
class ReadResult:
    """Lines ``start``..``end`` (1-based, inclusive) of ``path``; ``truncated`` when capped."""

    success: bool
    error: str | None = None
    path: str = ""
    start: int = 1
    end: int = 0
    total_lines: int = 0
    lines: tuple[str, ...] = ()
    truncated: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def render(self) -> str:
        if not self.success:
            return f"read_file {self.path}: error: {self.error}"
        width = len(str(self.end))
        head = f"{self.path} lines {self.start}-{self.end} of {self.total_lines}"
        if self.truncated:
            head += " (truncated: ask for the next lines with start)"
        numbered = (f"{n:>{width}}| {line}" for n, line in enumerate(self.lines, self.start))
        return "\n".join([head, *numbered])


@dataclass(frozen=True)
class GrepResult:
    """Lines matching ``pattern``: one ``Location`` per line (the first match on it)."""

    success: bool
    error: str | None = None
    pattern: str = ""
    path: str = "."
    matches: tuple[Location, ...] = ()
    match_count: int = 0
    file_count: int = 0
    truncated: bool = False

    def render(self) -> str:
        if not self.success:
            return f"grep {self.pattern!r}: error: {self.error}"
        more = " (truncated)" if self.truncated else ""
        head = f"grep {self.pattern!r} in {self.path}: {self.match_count} matches in"
        return "\n".join(
            [f"{head} {self.file_count} files{more}", *(m.render() for m in self.matches)]
        )


@dataclass(frozen=True)
class CommandResult:
    """An allowed program's exit status and captured output (each stream capped)."""

    success: bool
    error: str | None = None
    command: str = ""
    args: tuple[str, ...] = ()
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    timed_out: bool = False
    duration: float = 0.0

    def render(self) -> str:
        line = shlex.join([self.command, *self.args])
        if not self.success:
            return f"$ {line}\nerror: {self.error}"
        parts = [f"$ {line}  (exit {self.exit_code}, {self.duration:.2f}s)"]
        parts += [text.rstrip() for text in (self.stdout, self.stderr) if text.strip()]
        if self.truncated:
            parts.append("(output truncated)")
        return "\n".join(parts)


# --- read_file -------------------------------------------------------------------------------


def _read_text(path: Path) -> str | None:
    """The text of ``path``, or ``None`` for a binary file."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


async def read_file(
    ctx: ToolContext, path: str, start: int | None = None, end: int | None = None
) -> ReadResult:
    """Read lines ``start``..``end`` (1-based, inclusive) of a text file, at most
    ``max_read_lines`` at a time."""
    found = workspace_path(ctx, path, require="file")
    if isinstance(found, str):
        return ReadResult(success=False, error=found, path=path)
    target, rel = found
    first = 1 if start is None else start
    if first < 1 or (end is not None and end < first):
        error = f"bad line range start={start} end={end}: lines are 1-based and start <= end"
        return ReadResult(success=False, error=error, path=rel)
    try:
        text = _read_text(target)
    except OSError as exc:
        return ReadResult(success=False, error=f"cannot read {rel!r}: {exc}", path=rel)
    if text is None:
        return ReadResult(success=False, error=f"{rel!r} is a binary file", path=rel)
    all_lines = text.splitlines()
    total = len(all_lines)
    if total and first > total:
        error = f"start {first} is past the end of {rel!r} ({total} lines)"
        return ReadResult(success=False, error=error, path=rel, total_lines=total)
    cap = first + ctx.config.max_read_lines - 1
    wanted = min(total if end is None else end, total)
    last = min(wanted, cap)
    return ReadResult(
        success=True,
        path=rel,
        start=first,
        end=last,
        total_lines=total,
        lines=tuple(all_lines[first - 1 : last]),
        truncated=wanted > cap,
    )


# --- grep ------------------------------------------------------------------------------------


def _walk(workspace: Workspace, top: Path) -> Iterator[Path]:
    """Files under ``top`` (sorted), skipping tool dirs; a symlink is searched under its own name
    only when it resolves inside the workspace."""
    if not top.is_dir():
        yield top
        return
    for directory, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            path = Path(directory, name)
            if path.is_symlink():
                try:
                    workspace.resolve(path)
                except PathOutsideWorkspace:
                    continue
            yield path


def _search(
    workspace: Workspace, top: Path, pattern: Any, limit: int, deadline: float
) -> tuple[list[Location], bool]:
    """Matches of ``pattern`` (a ``regex`` pattern: its searches take a timeout) until
    ``limit``; past ``deadline`` (``time.monotonic()``) a search raises ``TimeoutError``."""
    matches: list[Location] = []
    for path in _walk(workspace, top):
        try:
            if not path.is_file() or path.stat().st_size > _MAX_FILE_BYTES:
                continue
            if (text := _read_text(path)) is None:
                continue
        except OSError:
            continue
        rel = path.relative_to(workspace.root).as_posix()
        for number, line in enumerate(text.splitlines(), 1):
            found = pattern.search(line, timeout=max(0.001, deadline - time.monotonic()))
            if found is None:
                continue
            if len(matches) == limit:
                return matches, True
            column, end = found.start() + 1, found.end() + 1
            matches.append(Location(rel, number, column, number, end, line))
    return matches, False


GREP_SECONDS = 10.0
"""One grep call searches for at most this long (the regex engine is interrupted)."""


async def grep(ctx: ToolContext, pattern: str, path: str = ".", regex: bool = False) -> GrepResult:
    """Search text files under ``path`` for ``pattern`` (plain text, or a Python regex)."""
    if not pattern:
        return GrepResult(success=False, error="pattern is empty", pattern=pattern, path=path)
    found = workspace_path(ctx, path)
    if isinstance(found, str):
        return GrepResult(success=False, error=found, pattern=pattern, path=path)
    top, rel = found
    try:
        compiled = _regex.compile(pattern if regex else _regex.escape(pattern))
    except _regex.error as exc:
        error = f"invalid regex {pattern!r}: {exc}"
        return GrepResult(success=False, error=error, pattern=pattern, path=path)
    limit = ctx.config.max_grep_matches
    deadline = time.monotonic() + GREP_SECONDS
    try:
        matches, truncated = await anyio.to_thread.run_sync(
            _search, ctx.workspace, top, compiled, limit, deadline
        )
    except TimeoutError:
        error = (
            f"the search for {pattern!r} took longer than {GREP_SECONDS:g}s and was stopped "
            "(a regex with nested repetition, like (a+)+, can take exponential time)"
        )
        return GrepResult(success=False, error=error, pattern=pattern, path=path)
    return GrepResult(
        success=True,
        pattern=pattern,
        path=rel,
        matches=tuple(matches),
        match_count=len(matches),
        file_count=len({m.file for m in matches}),
        truncated=truncated,
    )


# --- run_command -----------------------------------------------------------------------------


def _outside_argument(workspace: Workspace, args: list[str]) -> str | None:
    """The first argument that names a path outside the workspace (``/x``, ``~``, ``..``)."""
    for arg in args:
        value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
        if value.startswith(("/", "~")) or ".." in Path(value).parts:
            try:
                workspace.resolve(os.path.expanduser(value))
            except PathOutsideWorkspace:
                return arg
    return None


async def run_command(ctx: ToolContext, command: str, args: str = "") -> CommandResult:
    """Run an allowed program (no shell) in the workspace root; ``args`` is split like a shell
    would split it. Output is captured and capped."""
    allowed = ctx.config.allowed_commands
    if command not in allowed:
        names = ", ".join(allowed) or "none"
        error = f"command {command!r} is not allowed (allowed: {names})"
        return CommandResult(success=False, error=error, command=command)
    try:
        argv = shlex.split(args)
    except ValueError as exc:
        return CommandResult(
            success=False, error=f"cannot split args {args!r}: {exc}", command=command
        )
    outside = _outside_argument(ctx.workspace, argv)
    if outside is not None:
        error = f"argument {outside!r} names a path outside the workspace"
        return CommandResult(success=False, error=error, command=command, args=tuple(argv))
    program = shutil.which(command)
    if program is None:
        error = f"command {command!r} is not installed"
        return CommandResult(success=False, error=error, command=command, args=tuple(argv))
    try:
        done = await run_program(
            [program, *argv],
            cwd=ctx.workspace.root,
            timeout=ctx.config.command_timeout,
            output_cap=_MAX_OUTPUT_CHARS * 4,
            confinement=ctx.confinement(),
        )
    except (OSError, ConfinementUnavailable) as exc:
        error = f"cannot run {command!r}: {exc}"
        return CommandResult(success=False, error=error, command=command, args=tuple(argv))
    stdout, stderr = done.stdout[:_MAX_OUTPUT_CHARS], done.stderr[:_MAX_OUTPUT_CHARS]
    truncated = done.truncated or len(stdout) < len(done.stdout) or len(stderr) < len(done.stderr)
    timeout = f"timed out after {ctx.config.command_timeout:g}s and was killed"
    return CommandResult(
        success=not done.timed_out,
        error=timeout if done.timed_out else None,
        command=command,
        args=tuple(argv),
        exit_code=done.returncode,
        stdout=stdout,
        stderr=stderr,
        truncated=truncated,
        timed_out=done.timed_out,
        duration=round(done.duration, 3),
    )
