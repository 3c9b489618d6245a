"""The cache's lock file: what was fetched, from where, with which sha256.

``<cache>/sandboxes.lock.json`` maps ``name==version`` to a :class:`LockEntry`. It is what makes a
second fetch of the same spec work offline: the cached sdist is re-hashed against it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Generator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from punie.sandboxes.errors import SandboxError

__all__ = ["LOCK_NAME", "LockEntry", "cache_mutex", "load_lock", "save_lock"]

LOCK_NAME = "sandboxes.lock.json"
_FORMAT = 1


@dataclass(frozen=True)
class LockEntry:
    """One fetched sdist. ``sdist`` and ``repo`` are relative to the cache directory."""

    name: str
    version: str
    filename: str
    url: str
    sha256: str
    size: int
    sdist: str
    repo: str
    commit: str


def _entry(key: str, raw: object, lock_path: Path) -> LockEntry:
    if not isinstance(raw, dict):
        raise SandboxError(f"{lock_path}: entry {key!r} is not an object")
    data = cast(dict[str, Any], raw)
    try:
        return LockEntry(
            name=str(data["name"]),
            version=str(data["version"]),
            filename=str(data["filename"]),
            url=str(data["url"]),
            sha256=str(data["sha256"]),
            size=int(data["size"]),
            sdist=str(data["sdist"]),
            repo=str(data["repo"]),
            commit=str(data["commit"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SandboxError(f"{lock_path}: entry {key!r} is malformed ({exc})") from None


def load_lock(cache: Path) -> dict[str, LockEntry]:
    """The entries of ``cache``'s lock file (empty when there is none)."""
    lock_path = cache / LOCK_NAME
    try:
        text = lock_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SandboxError(f"{lock_path} is not valid JSON: {exc}") from None
    sdists: object = cast(dict[str, object], data).get("sdists") if isinstance(data, dict) else None
    if not isinstance(sdists, dict):
        raise SandboxError(f"{lock_path} has no 'sdists' table")
    sdists = cast(dict[str, object], sdists)
    return {key: _entry(key, raw, lock_path) for key, raw in sdists.items()}


def save_lock(cache: Path, entries: dict[str, LockEntry]) -> Path:
    """Write the lock file atomically; returns its path."""
    cache.mkdir(parents=True, exist_ok=True)
    lock_path = cache / LOCK_NAME
    payload = {
        "format": _FORMAT,
        "sdists": {key: asdict(entries[key]) for key in sorted(entries)},
    }
    fd, tmp = tempfile.mkstemp(dir=cache, prefix=".lock-", suffix=".json")
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, lock_path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return lock_path


@contextlib.contextmanager
def cache_mutex(cache: Path) -> Generator[None]:
    """An exclusive inter-process lock on the cache, held while fetching."""
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".mutex", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
