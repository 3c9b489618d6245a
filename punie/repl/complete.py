"""Completion at the prompt: slash commands, workspace-relative file paths and workspace
symbols from the language server (cached per query letter)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from pathlib import Path

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from punie.tools import ToolContext
from punie.tools.navigation import workspace_symbols

__all__ = ["FileIndex", "ReplCompleter", "SymbolIndex"]

_SKIP_DIRS = {".git", "__pycache__", ".venv", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
_MAX_FILES = 5000
_WORD = re.compile(r"[\w./-]*$")


class FileIndex:
    """Workspace-relative file paths, listed once (until :meth:`clear`)."""

    def __init__(self, root: Callable[[], Path]) -> None:
        self._root = root
        self._files: list[str] | None = None

    def clear(self) -> None:
        self._files = None

    def files(self) -> list[str]:
        if self._files is None:
            root = self._root()
            found: list[str] = []
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
                rel = Path(dirpath).relative_to(root)
                found += [(rel / name).as_posix() for name in sorted(filenames)]
                if len(found) > _MAX_FILES:
                    break
            self._files = found
        return self._files


class SymbolIndex:
    """Symbol names (``name`` and ``Container.name``) from the language server's workspace
    symbols, one query per first letter, cached (until :meth:`clear`)."""

    def __init__(self, ctx: Callable[[], ToolContext]) -> None:
        self._ctx = ctx
        self._cache: dict[str, list[str]] = {}

    def clear(self) -> None:
        self._cache.clear()

    async def matching(self, prefix: str) -> list[str]:
        name = prefix.rsplit(".", 1)[-1] or prefix.split(".", 1)[0]
        if not name:
            return []
        key = name[0].lower()
        if key not in self._cache:
            result = await workspace_symbols(self._ctx(), key)
            names: set[str] = set()
            for info in result.symbols:
                names.add(info.name)
                names.add(info.qualified)
            self._cache[key] = sorted(names)
        return [n for n in self._cache[key] if n.startswith(prefix) and n != prefix]


class ReplCompleter(Completer):
    """Slash commands at the start of the line; then file paths and symbols for the word
    before the cursor (symbols only through the async path, which the prompt uses)."""

    def __init__(self, commands: Sequence[str], files: FileIndex, symbols: SymbolIndex) -> None:
        self.commands = list(commands)
        self.files = files
        self.symbols = symbols

    def _word(self, document: Document) -> str:
        match = _WORD.search(document.text_before_cursor)
        return match.group(0) if match else ""

    def _sync(self, document: Document) -> Iterable[Completion]:
        before = document.text_before_cursor
        if before.startswith("/") and " " not in before:
            for command in self.commands:
                if command.startswith(before):
                    yield Completion(command, start_position=-len(before))
            return
        word = self._word(document)
        if not word:
            return
        for path in self.files.files():
            if path.startswith(word) and path != word:
                yield Completion(path, start_position=-len(word), display_meta="file")

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        return self._sync(document)

    async def get_completions_async(
        self, document: Document, complete_event: CompleteEvent
    ) -> AsyncGenerator[Completion, None]:
        for completion in self._sync(document):
            yield completion
        before = document.text_before_cursor
        word = self._word(document)
        if not word or "/" in word or (before.startswith("/") and " " not in before):
            return
        try:
            names = await self.symbols.matching(word)
        except Exception:  # completion must never break the prompt
            return
        for name in names:
            yield Completion(name, start_position=-len(word), display_meta="symbol")
