"""A local index of definitions and imports, from one ``ast`` pass per file.

The bridge keeps it current with the same events it sends the server (watched-file changes and
punie's own edits), so a symbol the model names becomes a position with no ``workspace/symbol``
round trip, and the readiness probe is chosen from facts: a name that one module defines and
another module imports.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from punie.pysyntax import parse as parse_python

__all__ = ["Definition", "DefinitionIndex", "ImportEdge", "module_name"]

_KEYWORD = re.compile(r"\b(?:def|class)\s+")


def module_name(rel: str) -> str:
    """``shop/pricing.py`` -> ``shop.pricing``; ``shop/__init__.py`` -> ``shop``; a leading
    ``src/`` or ``lib/`` is dropped (src layouts)."""
    parts = rel.removesuffix(".pyi").removesuffix(".py").split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if parts and parts[0] in {"src", "lib"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


@dataclass(frozen=True)
class Definition:
    """A module- or class-level definition; ``line``/``character`` are the 0-based LSP position
    (UTF-16 columns) of its name."""

    name: str
    path: Path
    line: int
    character: int
    kind: str  # class, function, method, variable
    container: str | None  # the enclosing class path (``Outer.Inner``), None at module level


@dataclass(frozen=True)
class ImportEdge:
    """``from module import name`` written in ``importer`` (relative imports made absolute),
    or ``import module`` and then ``module.name`` used there."""

    importer: Path
    module: str
    name: str


@dataclass(frozen=True)
class _FileFacts:
    mtime: int
    definitions: tuple[Definition, ...]
    imports: tuple[ImportEdge, ...]


def _utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def _byte_column(text: str, byte_offset: int) -> int:
    """ast's UTF-8 byte offset as an LSP (UTF-16) column."""
    prefix = text.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace")
    return len(prefix.encode("utf-16-le")) // 2


class _Collector:
    def __init__(self, path: Path, module: str, is_package: bool, lines: list[str]) -> None:
        self.path = path
        self.module = module
        self.is_package = is_package
        self.lines = lines
        self.definitions: list[Definition] = []
        self.imports: list[ImportEdge] = []

    def _line(self, lineno: int) -> str:
        return self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""

    def _named(self, node: ast.AST, name: str, kind: str, container: str | None) -> None:
        lineno = getattr(node, "lineno", 1)
        text = self._line(lineno)
        match = re.compile(rf"{_KEYWORD.pattern}({re.escape(name)})\b").search(text)
        column = _utf16(text, match.start(1)) if match else 0
        self.definitions.append(Definition(name, self.path, lineno - 1, column, kind, container))

    def _target(self, target: ast.expr, kind: str, container: str | None) -> None:
        if isinstance(target, ast.Name):
            text = self._line(target.lineno)
            column = _byte_column(text, target.col_offset)
            self.definitions.append(
                Definition(target.id, self.path, target.lineno - 1, column, kind, container)
            )
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._target(element, kind, container)

    def _absolute(self, node: ast.ImportFrom) -> str | None:
        if node.level == 0:
            return node.module
        parts = self.module.split(".") if self.module else []
        if not self.is_package:
            parts = parts[:-1]
        up = node.level - 1
        if up > len(parts):
            return None
        base = parts[: len(parts) - up]
        return ".".join([*base, *([node.module] if node.module else [])]) or None

    def body(self, nodes: Iterable[ast.stmt], container: str | None) -> None:
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._named(node, node.name, "method" if container else "function", container)
            elif isinstance(node, ast.ClassDef):
                self._named(node, node.name, "class", container)
                inner = f"{container}.{node.name}" if container else node.name
                self.body(node.body, inner)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    self._target(target, "variable", container)
            elif isinstance(node, ast.AnnAssign):
                self._target(node.target, "variable", container)
            elif isinstance(node, ast.ImportFrom) and container is None:
                module = self._absolute(node)
                if module is not None:
                    for alias in node.names:
                        if alias.name != "*":
                            self.imports.append(ImportEdge(self.path, module, alias.name))
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for block in _blocks(node):
                    self.body(block, container)


def _blocks(node: ast.If | ast.Try | ast.With) -> Iterator[list[ast.stmt]]:
    yield node.body
    if isinstance(node, ast.If):
        yield node.orelse
    elif isinstance(node, ast.Try):
        for handler in node.handlers:
            yield handler.body
        yield node.orelse
        yield node.finalbody


def _facts(path: Path, rel: str, source: str, mtime: int) -> _FileFacts:
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _FileFacts(mtime, (), ())
    collector = _Collector(path, module_name(rel), path.stem == "__init__", source.splitlines())
    collector.body(tree.body, None)
    imports = dict.fromkeys([*collector.imports, *_attribute_imports(path, tree)])
    return _FileFacts(mtime, tuple(collector.definitions), tuple(imports))


def _attribute_imports(path: Path, tree: ast.Module) -> list[ImportEdge]:
    """``import six`` then ``six.ensure_binary``: an edge to ``six``'s ``ensure_binary``."""
    aliases: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                elif "." not in alias.name:
                    aliases[alias.name] = alias.name
    if not aliases:
        return []
    edges: list[ImportEdge] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            edges.append(ImportEdge(path, aliases[node.value.id], node.attr))
    return edges


def _parse(path: Path, rel: str, mtime: int) -> _FileFacts:
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return _FileFacts(mtime, (), ())
    return _facts(path, rel, source, mtime)


class DefinitionIndex:
    """Definitions by name and ``from``-imports, for every Python file of a workspace."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, _FileFacts] = {}
        self._by_name: dict[str, list[Definition]] | None = None
        self._modules: dict[str, Path] | None = None

    def _rel(self, path: str) -> str:
        return Path(path).relative_to(self.root).as_posix()

    def update(self, mtimes: dict[str, int]) -> None:
        """Parse new and changed files (by mtime), drop deleted ones."""
        changed = False
        for path in self._files.keys() - mtimes.keys():
            del self._files[path]
            changed = True
        for path, mtime in mtimes.items():
            old = self._files.get(path)
            if old is None or old.mtime != mtime:
                self._files[path] = _parse(Path(path), self._rel(path), mtime)
                changed = True
        if changed:
            self._by_name = self._modules = None

    def set_text(self, path: Path, text: str, mtime: int) -> None:
        """A file punie wrote: index exactly this text."""
        self._files[str(path)] = _facts(path, self._rel(str(path)), text, mtime)
        self._by_name = self._modules = None

    def _table(self) -> dict[str, list[Definition]]:
        if self._by_name is None:
            table: dict[str, list[Definition]] = {}
            for facts in self._files.values():
                seen: set[tuple[str | None, str]] = set()
                for definition in facts.definitions:
                    if definition.kind == "variable":
                        # a name assigned again in the same scope is one symbol, first site
                        key = (definition.container, definition.name)
                        if key in seen:
                            continue
                        seen.add(key)
                    table.setdefault(definition.name, []).append(definition)
            self._by_name = table
        return self._by_name

    def definitions(self) -> list[Definition]:
        """Every definition of every file (a variable assigned again counts once)."""
        return [d for found in self._table().values() for d in found]

    def lookup(self, name: str) -> list[Definition]:
        return list(self._table().get(name, ()))

    def names(self) -> list[str]:
        return sorted(self._table())

    def module(self, path: Path) -> str:
        return module_name(self._rel(str(path)))

    def _module_files(self) -> dict[str, Path]:
        if self._modules is None:
            modules: dict[str, Path] = {}
            # an import binds to a module's stub when it has one (as in pyright's resolution)
            for key in sorted(self._files, key=lambda k: (not k.endswith(".pyi"), k)):
                modules.setdefault(module_name(self._rel(key)), Path(key))
            self._modules = modules
        return self._modules

    def import_proofs(self, limit: int = 3) -> list[tuple[Definition, Path]]:
        """Up to ``limit`` (definition, importing file) pairs: a function or class that one
        file defines at module level and another file imports by name, from distinct
        importers, ordinary modules before tests and conftest files."""
        modules = self._module_files()
        found: list[tuple[int, str, Definition, Path]] = []
        for key, facts in self._files.items():
            for edge in facts.imports:
                target = modules.get(edge.module)
                if target is None or target == edge.importer:
                    continue
                for definition in self._files[str(target)].definitions:
                    if (
                        definition.name == edge.name
                        and definition.container is None
                        and definition.kind in {"class", "function"}
                        and len(definition.name) >= 3
                    ):
                        rank = _rank(target) + _rank(edge.importer)
                        found.append((rank, key, definition, edge.importer))
                        break
        found.sort(key=lambda item: (item[0], item[1], item[2].name))
        out: list[tuple[Definition, Path]] = []
        importers: set[Path] = set()
        for _, _, definition, importer in found:
            if importer not in importers:
                importers.add(importer)
                out.append((definition, importer))
            if len(out) == limit:
                break
        return out

    def any_definition(self) -> Definition | None:
        """Some module-level definition (an unprovable workspace still answers documentSymbol)."""
        for key in sorted(self._files):
            for definition in self._files[key].definitions:
                if definition.container is None:
                    return definition
        return None


def _rank(path: Path) -> int:
    name = path.name
    if name == "conftest.py":
        return 2
    if name.startswith("test") or "tests" in path.parts or "testing" in path.parts:
        return 1
    return 0
