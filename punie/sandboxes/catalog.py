"""Listing sandboxes and resolving a name (or a path) to a sandbox directory."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from punie.sandboxes import paths
from punie.sandboxes.errors import UnknownSandbox
from punie.sandboxes.lockfile import load_lock

__all__ = ["SandboxInfo", "list_sandboxes", "resolve_sandbox"]

SandboxKind = Literal["bundled", "fetched", "path"]


@dataclass(frozen=True)
class SandboxInfo:
    """One sandbox: ``name`` is what ``copy`` accepts (``shop``, ``six-1.17.0``)."""

    name: str
    kind: SandboxKind
    path: Path
    version: str | None
    description: str | None

    def render(self) -> str:
        version = f" {self.version}" if self.version else ""
        description = f"  {self.description}" if self.description else ""
        return f"{self.name:<20} {self.kind:<8}{version}{description}"


def _project_metadata(path: Path) -> tuple[str | None, str | None]:
    pyproject = path / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None, None
    project: object = data.get("project")
    if not isinstance(project, dict):
        return None, None
    table = cast(dict[str, object], project)
    version, description = table.get("version"), table.get("description")
    return (
        version if isinstance(version, str) else None,
        description if isinstance(description, str) else None,
    )


def _bundled() -> list[SandboxInfo]:
    root = paths.bundled_dir()
    if not root.is_dir():
        return []
    found: list[SandboxInfo] = []
    for child in sorted(root.iterdir()):
        if child.name.startswith((".", "_")) or not child.is_dir():
            continue
        if not (child / "pyproject.toml").is_file():
            continue
        version, description = _project_metadata(child)
        found.append(SandboxInfo(child.name, "bundled", child, version, description))
    return found


def _fetched(cache: Path) -> list[SandboxInfo]:
    found: list[SandboxInfo] = []
    for entry in load_lock(cache).values():
        repo = cache / entry.repo
        if repo.is_dir():
            found.append(
                SandboxInfo(
                    repo.name, "fetched", repo, entry.version, f"PyPI sdist {entry.filename}"
                )
            )
    return sorted(found, key=lambda info: info.name)


def list_sandboxes(cache_dir: str | os.PathLike[str] | None = None) -> list[SandboxInfo]:
    """Bundled sandboxes (sorted by name), then fetched ones found in the cache's lock file."""
    return _bundled() + _fetched(paths.cache_dir(cache_dir))


def resolve_sandbox(
    name_or_path: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None
) -> SandboxInfo:
    """A bundled name, a fetched name (``six-1.17.0`` or ``six==1.17.0``), or a directory path."""
    raw = os.fspath(name_or_path)
    looks_like_path = isinstance(name_or_path, Path) or os.sep in raw or raw.startswith((".", "~"))
    if not looks_like_path:
        wanted = raw.replace("==", "-").lower()
        for info in list_sandboxes(cache_dir):
            if info.name.lower() == wanted:
                return info
    path = Path(raw).expanduser()
    if path.is_dir():
        version, description = _project_metadata(path)
        return SandboxInfo(path.resolve().name, "path", path.resolve(), version, description)
    known = ", ".join(info.name for info in list_sandboxes(cache_dir)) or "none"
    raise UnknownSandbox(f"no sandbox named {raw!r} and no such directory (known: {known})")
