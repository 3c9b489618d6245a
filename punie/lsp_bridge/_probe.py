"""Choosing a readiness probe: a symbol defined in one file and used in another.

Readiness is proven with a real query: references to such a symbol must come back from more
than the defining file (an early references request returns only the definition, with no error).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Probe", "find_probe"]

_MAX_FILES = 300


@dataclass(frozen=True)
class Probe:
    name: str
    file: Path
    line: int  # 0-based
    character: int  # 0-based
    used_elsewhere: bool


def _definitions(path: Path, source: str) -> list[Probe]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    lines = source.splitlines()
    found: list[Probe] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            text = lines[node.lineno - 1]
            match = re.search(rf"\b(?:def|class)\s+({re.escape(node.name)})\b", text)
            if match and not node.name.startswith("_"):
                found.append(Probe(node.name, path, node.lineno - 1, match.start(1), False))
    return found


def find_probe(files: list[Path]) -> Probe | None:
    """A top-level name defined in one file whose name also appears in another file."""
    files = files[:_MAX_FILES]
    sources: dict[Path, str] = {}
    for path in files:
        try:
            sources[path] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    fallback: Probe | None = None
    for path, source in sources.items():
        for probe in _definitions(path, source):
            pattern = re.compile(rf"\b{re.escape(probe.name)}\b")
            for other, text in sources.items():
                if other != path and pattern.search(text):
                    return Probe(probe.name, path, probe.line, probe.character, True)
            fallback = fallback or probe
    return fallback
