"""A harvest corpus: a file naming many repositories, one per line.

A line is a PyPI release ``NAME==VERSION`` (fetched as ``punie sandbox fetch`` does: its sdist's
sha256 pinned in a pin file, hash-checked, cached for offline use) or a directory (relative to
the corpus file). ``#`` starts a comment. ``default`` names the corpus punie ships,
``sandboxes/corpus.txt``, whose releases are pinned in ``sandboxes/pins.txt``.

Fetching never stops at one repo: a release that cannot be had (no network, a hash mismatch)
is reported with why and left out, as a repo whose language server cannot start is.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from punie.errors import PunieError
from punie.sandboxes import SandboxError, bundled_dir, fetch, parse_spec
from punie.sandboxes.pypi import read_pins

__all__ = ["CorpusFetch", "corpus_path", "fetch_corpus", "read_corpus"]


def corpus_path(name_or_path: str) -> Path:
    """``default`` -> the shipped corpus; anything else is a path."""
    if name_or_path == "default":
        return bundled_dir() / "corpus.txt"
    return Path(name_or_path).expanduser().resolve()


def read_corpus(path: Path) -> list[str]:
    """The corpus's repos in file order: ``NAME==VERSION`` specs and absolute directories."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PunieError(f"cannot read corpus {path}: {exc}") from exc
    entries: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "==" in line:
            try:
                parse_spec(line)
            except PunieError as exc:
                raise PunieError(f"{path}:{number}: {exc}") from exc
            entry = line
        else:
            directory = (path.parent / line).resolve()
            if not directory.is_dir():
                raise PunieError(
                    f"{path}:{number}: {line!r} is neither NAME==VERSION nor a directory"
                )
            entry = str(directory)
        if entry in entries:
            raise PunieError(f"{path}:{number}: {line!r} is listed twice")
        entries.append(entry)
    if not entries:
        raise PunieError(f"corpus {path} names no repositories")
    return entries


@dataclass
class CorpusFetch:
    repos: list[str] = field(default_factory=lambda: [])
    """Harvestable specs: fetched releases (``NAME==VERSION``) and directories."""
    failed: dict[str, str] = field(default_factory=lambda: {})
    """Left out, with why."""


def fetch_corpus(
    path: Path,
    *,
    pin_file: Path | None = None,
    allow_unpinned: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> CorpusFetch:
    """Fetch every release of the corpus at ``path`` (directories are taken as they are).

    ``pin_file`` defaults to ``pins.txt`` beside the corpus file, else the sandboxes' one. An
    unpinned release is refused unless ``allow_unpinned``."""
    entries = read_corpus(path)
    pins_path = pin_file or (path.parent / "pins.txt")
    if not pins_path.is_file():
        pins_path = bundled_dir() / "pins.txt"
    pins = read_pins(pins_path)
    result = CorpusFetch()
    for index, entry in enumerate(entries):
        if progress is not None:
            progress(entry, index, len(entries))
        if "==" not in entry:
            result.repos.append(entry)
            continue
        if parse_spec(entry).key not in pins and not allow_unpinned:
            result.failed[entry] = f"no sha256 pin in {pins_path} (pin it, or allow unpinned)"
            continue
        try:
            fetch(entry, cache_dir, pin_file=pins_path)
        except SandboxError as exc:
            result.failed[entry] = f"{type(exc).__name__}: {exc}"
            continue
        result.repos.append(entry)
    if progress is not None:
        progress("", len(entries), len(entries))
    return result
