"""Edit tools: write a file or replace one exact snippet; Python edits come back with the
language server's diagnostics for the new text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from punie.tools._context import ToolContext
from punie.tools._paths import git_internal, workspace_path
from punie.tools._types import Diagnostic

__all__ = ["ReplaceResult", "WriteResult", "replace_in_file", "write_file"]


@dataclass(frozen=True)
class _EditResult:
    success: bool
    error: str | None = None
    path: str = ""
    diagnostics: tuple[Diagnostic, ...] = ()
    error_count: int = 0
    diagnostics_error: str | None = None

    def _render(self, done: str) -> str:
        if not self.success:
            return f"error: {self.error}"
        lines = [f"{done}; {self.error_count} type errors"]
        if self.diagnostics_error:
            lines.append(f"(no diagnostics: {self.diagnostics_error})")
        return "\n".join([*lines, *(d.render() for d in self.diagnostics)])


@dataclass(frozen=True)
class WriteResult(_EditResult):
    """A written file; ``diagnostics`` are pyright's for a ``.py`` file after the write."""

    created: bool = False
    line_count: int = 0

    def render(self) -> str:
        verb = "created" if self.created else "wrote"
        return self._render(f"{verb} {self.path} ({self.line_count} lines)")


@dataclass(frozen=True)
class ReplaceResult(_EditResult):
    """A snippet replaced once; ``line`` is where it started (1-based)."""

    line: int = 0
    occurrences: int = 0

    def render(self) -> str:
        return self._render(f"replaced in {self.path} at line {self.line}")


async def _diagnose(
    ctx: ToolContext, target: Path, text: str
) -> tuple[tuple[Diagnostic, ...], str | None]:
    if target.suffix not in (".py", ".pyi"):
        return (), None
    try:
        return await ctx.after_edit(target, text), None
    except Exception as exc:  # the edit stands even if the language server cannot answer
        return (), f"{type(exc).__name__}: {exc}"


def _errors(diagnostics: tuple[Diagnostic, ...]) -> int:
    return sum(d.severity == "error" for d in diagnostics)


async def write_file(ctx: ToolContext, path: str, content: str) -> WriteResult:
    """Create or overwrite a file with ``content`` (parent directories are created)."""
    found = workspace_path(ctx, path, require=None)
    if isinstance(found, str):
        return WriteResult(success=False, error=found, path=path)
    target, rel = found
    if git_internal(rel):
        return WriteResult(success=False, error=f"{path!r} is inside .git: not editable", path=rel)
    if target.is_dir():
        return WriteResult(success=False, error=f"{path!r} is a directory", path=path)
    created = not target.exists()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8", newline="")
    except OSError as exc:
        return WriteResult(success=False, error=f"cannot write {rel!r}: {exc}", path=rel)
    diagnostics, problem = await _diagnose(ctx, target, content)
    return WriteResult(
        success=True,
        path=rel,
        diagnostics=diagnostics,
        error_count=_errors(diagnostics),
        diagnostics_error=problem,
        created=created,
        line_count=len(content.splitlines()),
    )


async def replace_in_file(ctx: ToolContext, path: str, old: str, new: str) -> ReplaceResult:
    """Replace the text ``old``, which must occur exactly once in the file, with ``new``."""
    found = workspace_path(ctx, path, require="file")
    if isinstance(found, str):
        return ReplaceResult(success=False, error=found, path=path)
    target, rel = found
    if git_internal(rel):
        error = f"{path!r} is inside .git: not editable"
        return ReplaceResult(success=False, error=error, path=rel)
    if not old:
        return ReplaceResult(success=False, error="old text is empty", path=rel)
    try:
        with target.open(encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        return ReplaceResult(success=False, error=f"cannot read {rel!r} as text: {exc}", path=rel)
    occurrences = text.count(old)
    if occurrences != 1:
        error = f"old text occurs {occurrences} times in {rel!r}; it must occur exactly once" + (
            " (include more surrounding lines)" if occurrences else ""
        )
        return ReplaceResult(success=False, error=error, path=rel, occurrences=occurrences)
    index = text.index(old)
    updated = text[:index] + new + text[index + len(old) :]
    try:
        target.write_text(updated, encoding="utf-8", newline="")
    except OSError as exc:
        return ReplaceResult(success=False, error=f"cannot write {rel!r}: {exc}", path=rel)
    diagnostics, problem = await _diagnose(ctx, target, updated)
    return ReplaceResult(
        success=True,
        path=rel,
        diagnostics=diagnostics,
        error_count=_errors(diagnostics),
        diagnostics_error=problem,
        line=text.count("\n", 0, index) + 1,
        occurrences=1,
    )
