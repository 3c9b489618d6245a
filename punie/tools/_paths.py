"""Resolving a tool's path argument inside the workspace, with the error text a model reads."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NamedTuple

from punie.tools._context import ToolContext
from punie.workspace import PathOutsideWorkspace

__all__ = ["WorkspacePath", "git_internal", "workspace_path"]


def git_internal(relative: str) -> bool:
    """Whether a workspace-relative path lies in a ``.git`` directory (its config and hooks can
    make git run programs, so edits never go there)."""
    return ".git" in Path(relative).parts


class WorkspacePath(NamedTuple):
    absolute: Path
    relative: str

    @property
    def argument(self) -> str:
        """The relative path as a program argument (never mistaken for an option)."""
        return f"./{self.relative}" if self.relative.startswith("-") else self.relative


def workspace_path(
    ctx: ToolContext, path: str, require: Literal["exists", "file"] | None = "exists"
) -> WorkspacePath | str:
    """``path`` resolved inside the workspace, or the error message when it is outside or is not
    what ``require`` asks for."""
    try:
        absolute = ctx.workspace.resolve(path)
    except PathOutsideWorkspace as exc:
        return str(exc)
    if require == "exists" and not absolute.exists():
        return f"path {path!r} does not exist in the workspace"
    if require == "file" and not absolute.is_file():
        return f"{path!r} is not a file in the workspace"
    return WorkspacePath(absolute, ctx.workspace.relative(absolute))
