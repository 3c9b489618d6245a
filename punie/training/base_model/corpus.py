"""The local text a tiny model's tokenizer is trained on: punie's source, sandboxes, the stdlib.

Everything is read from disk in a fixed (sorted) order and capped, so the same machine always
yields the same corpus and building it takes well under a second.
"""

from __future__ import annotations

import hashlib
import os
import sysconfig
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Corpus", "collect_corpus"]

_TEXT_SUFFIXES = frozenset({".py", ".pyi", ".jsonl", ".json", ".md", ".txt", ".toml"})
_SKIP_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".venv",
        "site-packages",
        "dist-packages",
        "test",
        "tests",
        "idlelib",
        "lib2to3",
        "turtledemo",
        "node_modules",
    }
)
_MAX_FILE_BYTES = 96_000


@dataclass
class Corpus:
    """Texts in a stable order, with where they came from and a hash of the whole."""

    texts: list[str] = field(default_factory=lambda: [])
    sources: dict[str, int] = field(default_factory=lambda: {})
    total_bytes: int = 0

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for text in self.texts:
            digest.update(text.encode("utf-8", "replace"))
            digest.update(b"\0")
        return digest.hexdigest()

    def add_files(self, label: str, files: Iterator[Path], cap: int) -> None:
        used = 0
        for path in files:
            if used >= cap:
                break
            try:
                raw = path.read_bytes()[:_MAX_FILE_BYTES]
            except OSError:
                continue
            text = raw.decode("utf-8", "replace")
            if not text.strip():
                continue
            self.texts.append(text)
            used += len(raw)
        self.sources[label] = self.sources.get(label, 0) + used
        self.total_bytes += used


def _walk(root: Path, suffixes: frozenset[str]) -> Iterator[Path]:
    """Files under ``root`` with one of ``suffixes``, in sorted order, skipping test and
    vendored directories without descending into them."""
    if root.is_file():
        if root.suffix in suffixes:
            yield root
        return
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.suffix in suffixes:
                yield path


def _package_root() -> Path:
    return Path(__file__).resolve().parents[2]


def collect_corpus(
    extra_dirs: Sequence[Path] = (),
    *,
    stdlib_cap: int = 2_500_000,
    extra_cap: int = 2_000_000,
    seed_texts: Sequence[str] = (),
) -> Corpus:
    """Gather tokenizer training text: ``seed_texts``, punie's own source, the repository's
    ``sandboxes/`` directory, ``extra_dirs`` (e.g. harvested data) and the standard library,
    the last two capped at ``extra_cap`` and ``stdlib_cap`` bytes."""
    corpus = Corpus()
    for text in seed_texts:
        corpus.texts.append(text)
        corpus.total_bytes += len(text.encode("utf-8"))
    package = _package_root()
    corpus.add_files("punie", _walk(package, frozenset({".py", ".pyi"})), 4_000_000)
    sandboxes = package.parent / "sandboxes"
    corpus.add_files("sandboxes", _walk(sandboxes, _TEXT_SUFFIXES), 2_000_000)
    for extra in extra_dirs:
        corpus.add_files(f"extra:{extra}", _walk(Path(extra), _TEXT_SUFFIXES), extra_cap)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    corpus.add_files("stdlib", _walk(stdlib, frozenset({".py"})), stdlib_cap)
    return corpus
