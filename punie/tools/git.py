"""Git tools (read-only): status, diff and log of the workspace, via the real ``git``."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from punie.confinement import ConfinementUnavailable
from punie.tools._context import ToolContext
from punie.tools._proc import Completed, run_program, tail

__all__ = [
    "GitCommit",
    "GitDiffResult",
    "GitFileDiff",
    "GitLogResult",
    "GitStatusEntry",
    "GitStatusResult",
    "git_diff",
    "git_log",
    "git_status",
]

_TIMEOUT = 60.0
_MAX_DIFF_CHARS = 20_000
_MAX_LOG = 200


class _GitError(Exception):
    """A git invocation that failed; its message is meant for the model."""


@dataclass(frozen=True)
class GitStatusEntry:
    """One changed path; ``code`` is git's two-letter ``XY`` (index, work tree), e.g. ``" M"``,
    ``"A "``, ``"??"``; ``orig_path`` is set for renames and copies."""

    path: str
    code: str
    orig_path: str | None = None

    @property
    def staged(self) -> bool:
        return self.code[0] not in " ?!"

    @property
    def untracked(self) -> bool:
        return self.code == "??"

    def render(self) -> str:
        moved = f" (from {self.orig_path})" if self.orig_path else ""
        return f"{self.code} {self.path}{moved}"


@dataclass(frozen=True)
class GitStatusResult:
    """``git status`` of the workspace."""

    success: bool
    error: str | None = None
    branch: str | None = None
    entries: tuple[GitStatusEntry, ...] = ()
    entry_count: int = 0
    clean: bool = False

    def render(self) -> str:
        if not self.success:
            return f"git status: error: {self.error}"
        state = "clean" if self.clean else f"{self.entry_count} changed"
        head = f"git status on {self.branch or '(no branch)'}: {state}"
        return "\n".join([head, *(e.render() for e in self.entries)])


@dataclass(frozen=True)
class GitFileDiff:
    """Lines added and removed in one file (``binary`` files count none)."""

    path: str
    added: int
    removed: int
    binary: bool = False

    def render(self) -> str:
        return (
            f"{self.path} (binary)" if self.binary else f"{self.path} +{self.added} -{self.removed}"
        )


@dataclass(frozen=True)
class GitDiffResult:
    """``git diff`` (work tree against the index, or the index against HEAD when ``staged``);
    untracked files are not part of a diff. ``text`` is capped (``truncated``)."""

    success: bool
    error: str | None = None
    staged: bool = False
    files: tuple[GitFileDiff, ...] = ()
    file_count: int = 0
    added: int = 0
    removed: int = 0
    text: str = ""
    truncated: bool = False

    def render(self) -> str:
        if not self.success:
            return f"git diff: error: {self.error}"
        which = "staged" if self.staged else "unstaged"
        head = f"git diff ({which}): {self.file_count} files, +{self.added} -{self.removed}"
        tail_note = ["(diff truncated)"] if self.truncated else []
        return "\n".join([head, *(f.render() for f in self.files), self.text.rstrip(), *tail_note])


@dataclass(frozen=True)
class GitCommit:
    sha: str
    author: str
    date: str
    subject: str

    def render(self) -> str:
        return f"{self.sha[:10]} {self.date[:10]} {self.author}: {self.subject}"


@dataclass(frozen=True)
class GitLogResult:
    """The newest commits touching the workspace, newest first (``date`` is ISO 8601)."""

    success: bool
    error: str | None = None
    commits: tuple[GitCommit, ...] = ()
    commit_count: int = 0

    def render(self) -> str:
        if not self.success:
            return f"git log: error: {self.error}"
        head = f"git log: {self.commit_count} commits"
        return "\n".join([head, *(c.render() for c in self.commits)])


HARDENING: tuple[str, ...] = (
    "-c",
    "core.quotepath=false",
    "-c",
    "core.fsmonitor=false",
    "-c",
    f"core.hooksPath={os.devnull}",
    "-c",
    "core.pager=cat",
    "-c",
    "protocol.allow=never",
    "--no-pager",
)
"""Options before every git command: a repository's own config (written by the model, or
shipped in an sdist) cannot make status, diff or log run a program: no fsmonitor hook, no
hooks, no pager, no transport. ``git diff`` also gets ``--no-textconv
--no-ext-diff``; the system and global config are not read at all."""


def _enclosing_git(root: Path) -> tuple[Path, ...]:
    """The ``.git`` of the repository ``root`` sits inside, when it is above the workspace
    (then outside what the model can write): the confined git must read it."""
    if (root / ".git").exists():
        return ()
    for parent in root.resolve().parents:
        if (parent / ".git").exists():
            return (parent / ".git",)
    return ()


async def _git(ctx: ToolContext, *args: str, ok: tuple[int, ...] = (0,)) -> Completed:
    program = shutil.which("git")
    if program is None:
        raise _GitError("git is not installed")
    env = dict(
        GIT_OPTIONAL_LOCKS="0",
        GIT_DISCOVERY_ACROSS_FILESYSTEM="1",  # the confined view is made of bind mounts
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        LC_ALL="C",
    )
    argv = [program, *HARDENING, *args]
    try:
        done = await run_program(
            argv,
            cwd=ctx.workspace.root,
            timeout=_TIMEOUT,
            env=env,
            confinement=ctx.confinement(readable=_enclosing_git(ctx.workspace.root)),
        )
    except (OSError, ConfinementUnavailable) as exc:
        raise _GitError(f"cannot run git: {exc}") from exc
    if done.timed_out:
        raise _GitError(f"git {args[0]} timed out after {_TIMEOUT:g}s")
    if done.returncode not in ok:
        message = tail(done.stderr, 4) or f"exit status {done.returncode}"
        if "not a git repository" in done.stderr.lower():  # git diff says "Not a git ..."
            message = f"the workspace {str(ctx.workspace.root)!r} is not a git repository"
        raise _GitError(message)
    return done


def _status_entries(output: str, prefix: str) -> tuple[str | None, list[GitStatusEntry]]:
    """Parse ``git status --porcelain=v1 --branch -z`` (paths made relative to the workspace)."""
    branch: str | None = None
    entries: list[GitStatusEntry] = []
    fields = iter(output.split("\0"))
    for item in fields:
        if item.startswith("## "):
            name = item[3:].split("...")[0]
            branch = name.removeprefix("No commits yet on ")
            continue
        if len(item) < 4:
            continue
        code, path = item[:2], item[3:]
        orig = next(fields, None) if code[0] in "RC" else None
        entries.append(
            GitStatusEntry(
                path.removeprefix(prefix), code, orig.removeprefix(prefix) if orig else None
            )
        )
    return branch, entries


async def git_status(ctx: ToolContext) -> GitStatusResult:
    """Changed, staged and untracked files in the workspace, and the current branch."""
    try:
        prefix = (await _git(ctx, "rev-parse", "--show-prefix")).stdout.strip()
        args = ("status", "--porcelain=v1", "--branch", "-z", "--untracked-files=all", "--", ".")
        done = await _git(ctx, *args)
    except _GitError as exc:
        return GitStatusResult(success=False, error=str(exc))
    branch, entries = _status_entries(done.stdout, prefix)
    return GitStatusResult(
        success=True,
        branch=branch,
        entries=tuple(entries),
        entry_count=len(entries),
        clean=not entries,
    )


def _numstat(output: str) -> list[GitFileDiff]:
    """Parse `git diff --numstat -z`: `added TAB removed TAB path NUL`; a rename has an empty path
    followed by `old NUL new NUL`."""
    files: list[GitFileDiff] = []
    fields = iter(output.split("\0"))
    for item in fields:
        parts = item.split("\t", 2)
        if len(parts) != 3:
            continue
        added, removed, path = parts
        if not path:  # a rename: the old and new paths follow
            next(fields, None)
            path = next(fields, "")
        binary = added == "-"
        files.append(
            GitFileDiff(path, 0 if binary else int(added), 0 if binary else int(removed), binary)
        )
    return files


async def git_diff(ctx: ToolContext, staged: bool = False) -> GitDiffResult:
    """Per-file added/removed line counts and the unified diff of the workspace's changes."""
    base = ["diff", "--relative", "--no-color", "--no-ext-diff", "--no-textconv"]
    base += ["--cached"] if staged else []
    try:
        numstat = await _git(ctx, *base, "--numstat", "-z")
        text = (await _git(ctx, *base, "--patch")).stdout
    except _GitError as exc:
        return GitDiffResult(success=False, error=str(exc), staged=staged)
    files = _numstat(numstat.stdout)
    return GitDiffResult(
        success=True,
        staged=staged,
        files=tuple(files),
        file_count=len(files),
        added=sum(f.added for f in files),
        removed=sum(f.removed for f in files),
        text=text[:_MAX_DIFF_CHARS],
        truncated=len(text) > _MAX_DIFF_CHARS,
    )


async def git_log(ctx: ToolContext, count: int = 10) -> GitLogResult:
    """The last ``count`` commits (sha, author, date, subject) that touch the workspace."""
    if count < 1:
        return GitLogResult(success=False, error=f"count must be at least 1, got {count}")
    fmt = "--format=%H%x1f%an%x1f%aI%x1f%s%x1e"
    try:
        done = await _git(ctx, "log", f"-n{min(count, _MAX_LOG)}", fmt, "--", ".", ok=(0, 128))
        if done.returncode == 128:
            head = await _git(ctx, "rev-parse", "--verify", "-q", "HEAD", ok=(0, 1))
            if head.returncode != 0:  # a repository without commits yet
                return GitLogResult(success=True)
            raise _GitError(tail(done.stderr, 4))
    except _GitError as exc:
        return GitLogResult(success=False, error=str(exc))
    commits: list[GitCommit] = []
    for record in done.stdout.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 4:
            commits.append(GitCommit(*fields))
    return GitLogResult(success=True, commits=tuple(commits), commit_count=len(commits))
