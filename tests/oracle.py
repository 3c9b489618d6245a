"""An independent oracle for the sandbox: Python's ``ast``, not the language server."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from punie.pysyntax import parse as parse_python


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
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]  # a src layout
    return ".".join(parts)


def definitions(root: Path) -> list[Definition]:
    found: list[Definition] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = parse_python(path.read_text())
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
        for node in ast.walk(parse_python(path.read_text())):
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


# --- a binding-aware oracle for real projects ------------------------------------------------


def _py_files(root: Path) -> list[Path]:
    skip = {".git", "__pycache__", ".venv", "build", "dist"}
    return [
        p
        for p in sorted(root.rglob("*.py"))
        if not skip & set(p.relative_to(root).parts) and ".egg-info" not in str(p)
    ]


def _bindings(tree: ast.AST) -> list[tuple[str, ast.AST]]:
    """Every name a module binds anywhere: defs, classes, parameters, assignment and loop
    targets, imports."""
    out: list[tuple[str, ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.append((node.name, node))
        elif isinstance(node, ast.arg):
            out.append((node.arg, node))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.append((node.id, node))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                out.append(((alias.asname or alias.name).split(".")[0], node))
    return out


def unique_definitions(root: Path, limit: int) -> list[Definition]:
    """Module-level functions and classes whose name is bound exactly once in the whole
    project apart from ``from``-imports of that very definition: no parameter, local,
    second definition or import from elsewhere shares it, so every use is a use of it."""
    trees = {
        p.relative_to(root).as_posix(): parse_python(p.read_text("utf-8")) for p in _py_files(root)
    }
    defs: dict[str, Definition] = {}
    for rel, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defs.setdefault(node.name, Definition(node.name, _module(rel), rel, node.lineno))
    bound: dict[str, int] = {}
    for rel, tree in trees.items():
        for name, node in _bindings(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and name in defs
                and _imported_module(rel, node) in _homes(defs[name])
            ):
                continue
            bound[name] = bound.get(name, 0) + 1
    chosen = [
        d
        for name, d in sorted(defs.items(), key=lambda item: (item[1].file, item[1].line))
        if bound.get(name) == 1 and len(name) >= 4 and not name.startswith("_")
    ]
    step = max(1, len(chosen) // limit)
    return chosen[::step][:limit]


def _homes(d: Definition) -> set[str]:
    """Modules an import of ``d`` may name: its own module and the packages above it."""
    parts = d.module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def _imported_module(rel: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    parts = _module(rel).split(".")
    if not rel.endswith("__init__.py"):
        parts = parts[:-1]
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def bound_usages(root: Path, d: Definition) -> set[tuple[str, int]]:
    """(file, line) of the definition, its bare-name uses in its own file, and the import and
    bare-name uses in every file that imports it by name from its module or a package above."""
    found: set[tuple[str, int]] = {(d.file, d.line)}
    for path in _py_files(root):
        rel = path.relative_to(root).as_posix()
        tree = parse_python(path.read_text("utf-8"))
        imports = [
            alias
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and _imported_module(rel, node) in _homes(d)
            for alias in node.names
            if alias.name == d.qualified and alias.asname is None
        ]
        if rel != d.file and not imports:
            continue
        found.update((rel, alias.lineno) for alias in imports)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == d.qualified:
                found.add((rel, node.lineno))
    return found
