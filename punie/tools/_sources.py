"""Reading source lines for previews, cached by (path, mtime)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SourceCache", "utf16_to_column"]


def utf16_to_column(line_text: str, utf16_offset: int) -> int:
    """Convert an LSP UTF-16 character offset on a line to a 1-based code-point column."""
    if line_text.isascii():
        return utf16_offset + 1
    units = 0
    for index, char in enumerate(line_text):
        if units >= utf16_offset:
            return index + 1
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line_text) + 1


class SourceCache:
    """File lines keyed by path, re-read when the file's mtime changes."""

    def __init__(self) -> None:
        self._files: dict[Path, tuple[int, list[str]]] = {}
        self.uris: dict[str, tuple[Path, str] | None] = {}
        """LSP uri -> (absolute path, workspace-relative path), or None if outside."""

    def lines(self, path: Path) -> list[str]:
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return []
        cached = self._files.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        lines = text.splitlines()
        self._files[path] = (mtime, lines)
        return lines

    def line(self, path: Path, index0: int) -> str:
        lines = self.lines(path)
        return lines[index0] if 0 <= index0 < len(lines) else ""
