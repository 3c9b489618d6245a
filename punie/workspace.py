"""The workspace: one directory tree that every tool is confined to.

Paths given by a model or a user are resolved here, and anything that would leave the root
(``..``, an absolute path elsewhere, a symlink pointing out) is refused with
:class:`PathOutsideWorkspace`, whose message names the offending input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from punie.errors import PunieError

__all__ = ["SKIP_DIRS", "PathOutsideWorkspace", "Workspace"]

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "__pycache__",
        "node_modules",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "build",
        "dist",
        ".tox",
        ".punie",
    }
)
"""Directories that no scan or search descends into."""


class PathOutsideWorkspace(PunieError):
    """A path that resolves outside the workspace root."""


@dataclass(frozen=True)
class Workspace:
    """A workspace root directory (absolute, symlinks resolved)."""

    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> Workspace:
        path = Path(root).expanduser().resolve()
        if not path.is_dir():
            raise PunieError(f"workspace {str(root)!r} is not a directory")
        return cls(path)

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """Resolve ``path`` (relative to the root, or absolute inside it) to an absolute path.

        Symlinks are followed, so a link inside the tree that points out is refused too.
        """
        raw = os.fspath(path)
        if "\x00" in raw:
            raise PathOutsideWorkspace(f"path {raw!r} contains a NUL byte")
        candidate = Path(raw)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        resolved = candidate.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise PathOutsideWorkspace(f"path {raw!r} is outside the workspace {str(self.root)!r}")
        return resolved

    def relative(self, path: str | os.PathLike[str]) -> str:
        """The POSIX-style path of ``path`` relative to the root ("." for the root itself)."""
        resolved = Path(path)
        if not resolved.is_absolute():
            resolved = self.root / resolved
        try:
            rel = resolved.relative_to(self.root)
        except ValueError:
            rel = resolved.resolve().relative_to(self.root)
        text = rel.as_posix()
        return text or "."

    def uri(self, path: str | os.PathLike[str]) -> str:
        return self.resolve(path).as_uri()

    def path_from_uri(self, uri: str) -> Path:
        parsed = urlparse(uri)
        return Path(unquote(parsed.path))

    def python_files(self) -> list[Path]:
        """Every ``.py``/``.pyi`` file under the root, skipping VCS, virtualenv and cache dirs."""
        return sorted(Path(p) for p in self.mtimes())

    def mtimes(self) -> dict[str, int]:
        """``{absolute path: mtime_ns}`` for every Python file: the cheap fingerprint used for
        freshness (string keys: this runs before every language-server query)."""
        result: dict[str, int] = {}
        stack = [str(self.root)]
        while stack:
            directory = stack.pop()
            try:
                entries = list(os.scandir(directory))
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP_DIRS and not entry.name.endswith(".egg-info"):
                        stack.append(entry.path)
                elif entry.name.endswith((".py", ".pyi")):
                    try:
                        result[entry.path] = entry.stat(follow_symlinks=False).st_mtime_ns
                    except OSError:
                        continue
        return result
