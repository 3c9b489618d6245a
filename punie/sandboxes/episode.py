"""Disposable episode copies: a sandbox copied to a scratch directory and committed to git.

An agent works on the copy; :func:`reset` brings it back to the committed state in a few
milliseconds (``git reset --hard`` + ``git clean -fdx``). The original is never touched.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager

import os
import shutil
import tempfile
from pathlib import Path

from punie.sandboxes.catalog import resolve_sandbox
from punie.sandboxes.errors import NotAnEpisode, SandboxError
from punie.sandboxes.gitops import EPISODE_MARKER, base_commit, commit_all, init_repo, reset_hard

__all__ = [
    "discard","COPY_IGNORE", "is_episode", "materialize", "reset"]

COPY_IGNORE = (
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".venv",
    ".tox",
    ".punie",
)


def materialize(
    name_or_path: str | os.PathLike[str],
    dest: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Copy a sandbox (bundled name, fetched name, or directory) into a fresh git repo.

    Without ``dest`` the copy goes to a new temporary directory (``.../punie-NAME-xxxx/NAME``);
    the caller removes it when done. ``dest`` must not exist or be an empty directory. Returns
    the absolute path of the copy, whose ``HEAD`` holds every file with a fixed author and date.
    """
    info = resolve_sandbox(name_or_path, cache_dir)
    if dest is None:
        scratch = Path(tempfile.mkdtemp(prefix=f"punie-{info.name}-")).resolve()
        target = scratch / info.name
    else:
        target = Path(dest).expanduser().resolve()
        if target.exists():
            if not target.is_dir() or any(target.iterdir()):
                raise SandboxError(f"destination {os.fspath(dest)!r} exists and is not empty")
            target.rmdir()
    source = info.path.resolve()
    if target == source or source in target.parents:
        raise SandboxError(f"destination {os.fspath(target)!r} is inside the sandbox {source}")
    _refuse_links_out(source)
    try:
        shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(*COPY_IGNORE))
        init_repo(target)
        commit_all(target, f"sandbox {info.name}")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _refuse_links_out(source: Path) -> None:
    """A symlink leading out of the sandbox would let edits in the copy reach the outside."""
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".venv", "__pycache__")]
        for entry in (*dirnames, *filenames):
            path = Path(dirpath) / entry
            if path.is_symlink():
                resolved = path.resolve()
                if resolved != source and source not in resolved.parents:
                    raise SandboxError(
                        f"sandbox {source} has a symlink leading outside it: "
                        f"{path.relative_to(source)} -> {os.readlink(path)}"
                    )


def is_episode(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a repo that punie created (and so may be reset)."""
    return base_commit(Path(path)) is not None


def reset(path: str | os.PathLike[str]) -> Path:
    """Discard every change in an episode copy: edits, new files, ignored files, caches."""
    repo = Path(path).expanduser().resolve()
    if not repo.is_dir():
        raise NotAnEpisode(f"{os.fspath(path)!r} is not a directory")
    if not is_episode(repo):
        raise NotAnEpisode(
            f"refusing to reset {os.fspath(path)!r}: it is not a copy made by punie "
            f"(no .git/{EPISODE_MARKER})"
        )
    reset_hard(repo)
    return repo


def discard(copy: str | os.PathLike[str]) -> None:
    """Remove a copy :func:`materialize` made in a temporary directory (with that directory)."""
    path = Path(copy)
    scratch = path.parent
    shutil.rmtree(scratch if scratch.name.startswith("punie-") else path, ignore_errors=True)


@contextmanager
def disposable(
    name_or_path: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None
) -> Generator[Path]:
    """A fresh :func:`materialize` copy for the ``with`` block, discarded after it (also when
    the block fails): what a harvest or a validation run works on."""
    copy = materialize(name_or_path, cache_dir=cache_dir)
    try:
        yield copy
    finally:
        discard(copy)
