"""The few git operations sandboxes need, run with a fixed identity, date and no user config."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from punie.sandboxes.errors import SandboxError

__all__ = [
    "EPISODE_MARKER",
    "base_commit",
    "commit_all",
    "git",
    "head_commit",
    "init_repo",
    "reset_hard",
]

FIXED_DATE = "2000-01-01T00:00:00+0000"
EPISODE_MARKER = "punie-sandbox"
_IDENTITY = ("-c", "user.name=punie", "-c", "user.email=punie@localhost")
_SETTINGS = ("-c", "commit.gpgsign=false", "-c", "core.autocrlf=false")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("GIT_"):
            del env[key]
    env.update(
        {
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_DATE": FIXED_DATE,
            "GIT_COMMITTER_DATE": FIXED_DATE,
            "GIT_TERMINAL_PROMPT": "0",
        }
    )
    return env


def git(repo: Path, *args: str) -> str:
    """Run ``git args`` in ``repo``; a failure raises :class:`SandboxError` with git's stderr."""
    cmd = ["git", *_IDENTITY, *_SETTINGS, *args]
    try:
        done = subprocess.run(
            cmd, cwd=repo, env=_env(), capture_output=True, text=True, check=False, timeout=120
        )
    except FileNotFoundError:
        raise SandboxError("git is not installed (needed to set up sandbox repos)") from None
    except subprocess.TimeoutExpired:
        raise SandboxError(f"git {' '.join(args)} timed out in {repo}") from None
    if done.returncode != 0:
        raise SandboxError(
            f"git {' '.join(args)} failed in {repo}: {done.stderr.strip() or done.stdout.strip()}"
        )
    return done.stdout


def init_repo(repo: Path) -> None:
    """``git init`` with branch ``main``."""
    git(repo, "init", "-q", "-b", "main")


def commit_all(repo: Path, message: str) -> str:
    """Stage everything (ignored files too), commit with the fixed author and date, and mark the
    repo as punie's, recording the commit as the base that :func:`reset_hard` returns to."""
    git(repo, "add", "-A", "--force")
    git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", message)
    commit = head_commit(repo)
    (repo / ".git" / EPISODE_MARKER).write_text(f"base {commit}\n", encoding="utf-8")
    return commit


def base_commit(repo: Path) -> str | None:
    """The commit recorded by :func:`commit_all`, or None when ``repo`` is not punie's."""
    try:
        text = (repo / ".git" / EPISODE_MARKER).read_text(encoding="utf-8")
    except OSError:
        return None
    fields = text.split()
    if len(fields) == 2 and fields[0] == "base" and re.fullmatch(r"[0-9a-f]{40,64}", fields[1]):
        return fields[1]
    return None


def head_commit(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def reset_hard(repo: Path) -> None:
    """Back to the base commit on ``main``: edits, new commits and branches switched to are
    undone, and every untracked or ignored file (nested repos too) is removed."""
    base = base_commit(repo) or head_commit(repo)
    git(repo, "checkout", "-q", "-f", "-B", "main", base)
    git(repo, "reset", "-q", "--hard", base)
    git(repo, "clean", "-q", "-f", "-f", "-d", "-x")
