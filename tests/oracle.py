"""An independent oracle for the sandbox: Python's ``ast``, not the language server."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Definition:
    qualified: str  # Class.method or function, within its module
    module: str
    file: str
    line: int


def _module(rel: str) -> str:
    parts = rel.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def definitions(root: Path) -> list[Definition]:
    found: list[Definition] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.append(Definition(node.name, _module(rel), rel, node.lineno))
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        found.append(
                            Definition(f"{node.name}.{item.name}", _module(rel), rel, item.lineno)
                        )
    return found


def usage_lines(root: Path, name: str) -> set[tuple[str, int]]:
    """(file, line) of every use of ``name``: bare names, attributes, import aliases."""
    found: set[tuple[str, int]] = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if _uses(node, name):
                found.add((rel, getattr(node, "lineno", 0)))
    return found


def _uses(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.Name):
        return node.id == name
    if isinstance(node, ast.Attribute):
        return node.attr == name
    if isinstance(node, ast.ImportFrom):
        return any(alias.name == name for alias in node.names)
    return False
