"""Navigation tools backed by the language server: definition, references, hover, symbols.

Symbols are addressed by name or dotted path; ``file`` and ``line`` are optional hints. A name the
server does not know comes back as ``success=False`` with ``candidates``, never as an exception.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as lsp

from punie.errors import PunieError
from punie.lsp_bridge import LspBridge
from punie.tools._context import ToolContext
from punie.tools._sources import SourceCache, utf16_to_column
from punie.tools._symbols import Resolved, Unresolved, resolve_symbol
from punie.tools._types import Location, SymbolInfo
from punie.workspace import PathOutsideWorkspace

__all__ = [
    "DefinitionResult",
    "DocumentSymbolsResult",
    "HoverResult",
    "ReferencesResult",
    "WorkspaceSymbolsResult",
    "document_symbols",
    "find_references",
    "goto_definition",
    "hover",
    "workspace_symbols",
]


@dataclass(frozen=True)
class DefinitionResult:
    symbol: str
    success: bool
    locations: tuple[Location, ...] = ()
    definition_count: int = 0
    candidates: tuple[str, ...] = ()
    error: str | None = None

    def render(self) -> str:
        if not self.success:
            return f"goto_definition({self.symbol!r}) failed: {self.error}"
        lines = [f"{self.definition_count} definition(s) of {self.symbol}:"]
        lines += [f"  {loc.render()}" for loc in self.locations]
        return "\n".join(lines)


@dataclass(frozen=True)
class ReferencesResult:
    symbol: str
    success: bool
    locations: tuple[Location, ...] = ()
    reference_count: int = 0
    file_count: int = 0
    files: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    error: str | None = None

    def render(self) -> str:
        if not self.success:
            return f"find_references({self.symbol!r}) failed: {self.error}"
        lines = [
            f"{self.reference_count} reference(s) to {self.symbol} in {self.file_count} file(s):"
        ]
        lines += [f"  {loc.render()}" for loc in self.locations]
        return "\n".join(lines)


@dataclass(frozen=True)
class HoverResult:
    symbol: str
    success: bool
    signature: str = ""
    docstring: str = ""
    content: str = ""
    location: Location | None = None
    candidates: tuple[str, ...] = ()
    error: str | None = None

    def render(self) -> str:
        if not self.success:
            return f"hover({self.symbol!r}) failed: {self.error}"
        doc = f"\n{self.docstring}" if self.docstring else ""
        return f"{self.signature}{doc}"


@dataclass(frozen=True)
class DocumentSymbolsResult:
    file: str
    success: bool
    symbols: tuple[SymbolInfo, ...] = ()
    symbol_count: int = 0
    error: str | None = None

    def render(self) -> str:
        if not self.success:
            return f"document_symbols({self.file!r}) failed: {self.error}"
        lines = [f"{self.symbol_count} symbol(s) in {self.file}:"]
        lines += [f"  {s.kind} {s.qualified} (line {s.line})" for s in self.symbols]
        return "\n".join(lines)


@dataclass(frozen=True)
class WorkspaceSymbolsResult:
    query: str
    success: bool
    symbols: tuple[SymbolInfo, ...] = ()
    symbol_count: int = 0
    error: str | None = None

    def render(self) -> str:
        if not self.success:
            return f"workspace_symbols({self.query!r}) failed: {self.error}"
        lines = [f"{self.symbol_count} symbol(s) matching {self.query!r}:"]
        lines += [f"  {s.render()}" for s in self.symbols]
        return "\n".join(lines)


_sources: weakref.WeakKeyDictionary[LspBridge, SourceCache] = weakref.WeakKeyDictionary()


def _source_cache(bridge: LspBridge) -> SourceCache:
    cache = _sources.get(bridge)
    if cache is None:
        cache = _sources[bridge] = SourceCache()
    return cache


def _location(bridge: LspBridge, loc: lsp.Location) -> Location | None:
    cache = _source_cache(bridge)
    if loc.uri not in cache.uris:
        workspace = bridge.workspace
        try:
            resolved = workspace.resolve(workspace.path_from_uri(loc.uri))
            cache.uris[loc.uri] = (resolved, workspace.relative(resolved))
        except PathOutsideWorkspace:
            cache.uris[loc.uri] = None
    place = cache.uris[loc.uri]
    if place is None:
        return None
    path, rel = place
    start, end = loc.range.start, loc.range.end
    text = cache.line(path, start.line)
    end_text = text if end.line == start.line else cache.line(path, end.line)
    return Location(
        file=rel,
        line=start.line + 1,
        column=utf16_to_column(text, start.character),
        end_line=end.line + 1,
        end_column=utf16_to_column(end_text, end.character),
        preview=text.strip(),
    )


def _locations(bridge: LspBridge, locs: Sequence[lsp.Location]) -> tuple[Location, ...]:
    out = {
        (loc.file, loc.line, loc.column): loc
        for loc in (_location(bridge, raw) for raw in locs)
        if loc is not None
    }
    return tuple(out[key] for key in sorted(out))


def _usage_position(
    bridge: LspBridge, symbol: str, file: str, line: int | None
) -> tuple[Path, int, int] | None:
    """The occurrence of ``symbol``'s last name in ``file`` nearest to ``line`` (a usage site)."""
    try:
        path = bridge.workspace.resolve(file)
    except PathOutsideWorkspace:
        return None
    name = symbol.rsplit(".", 1)[-1]
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    best: tuple[int, Path, int, int] | None = None
    for index, text in enumerate(_source_cache(bridge).lines(path)):
        for match in pattern.finditer(text):
            distance = abs(index + 1 - line) if line is not None else index
            if best is None or distance < best[0]:
                best = (distance, path, index, len(text[: match.start()].encode("utf-16-le")) // 2)
    return None if best is None else best[1:]


async def _resolve(
    ctx: ToolContext, symbol: str, file: str | None, line: int | None
) -> tuple[LspBridge, Resolved | Unresolved]:
    bridge = await ctx.lsp()
    return bridge, await resolve_symbol(bridge, symbol, file, line)


async def goto_definition(
    ctx: ToolContext, symbol: str, file: str | None = None, line: int | None = None
) -> DefinitionResult:
    """Where a symbol is defined. ``symbol`` is a name or dotted path (``Cart.add_item``);
    ``file``/``line`` optionally point at a place where it is used."""
    try:
        bridge = await ctx.lsp()
        if file is not None:
            usage = _usage_position(bridge, symbol, file, line)
            if usage is not None:
                found = _locations(bridge, await bridge.definition(*usage))
                if found:
                    return DefinitionResult(symbol, True, found, len(found))
        resolved = await resolve_symbol(bridge, symbol, file, line)
        if isinstance(resolved, Unresolved):
            return DefinitionResult(
                symbol, False, candidates=resolved.candidates, error=resolved.message
            )
        raw = await bridge.definition(
            resolved.path, resolved.line, resolved.character, refresh=False
        )
        found = _locations(bridge, raw) or _locations(bridge, [_self_location(resolved)])
        return DefinitionResult(symbol, True, found, len(found))
    except PunieError as exc:
        return DefinitionResult(symbol, False, error=str(exc))


def _self_location(resolved: Resolved) -> lsp.Location:
    pos = lsp.Position(line=resolved.line, character=resolved.character)
    return lsp.Location(uri=resolved.path.as_uri(), range=lsp.Range(start=pos, end=pos))


async def find_references(
    ctx: ToolContext,
    symbol: str,
    file: str | None = None,
    line: int | None = None,
    include_declaration: bool = False,
) -> ReferencesResult:
    """Every place a symbol is used (semantic, not textual: strings and comments don't count)."""
    try:
        bridge, resolved = await _resolve(ctx, symbol, file, line)
        if isinstance(resolved, Unresolved):
            return ReferencesResult(
                symbol, False, candidates=resolved.candidates, error=resolved.message
            )
        raw = await bridge.references(
            resolved.path, resolved.line, resolved.character, include_declaration, refresh=False
        )
        if resolved.stub is not None:
            raw += await bridge.references(*resolved.stub, include_declaration, refresh=False)
        found = _locations(bridge, raw)
        files = tuple(sorted({loc.file for loc in found}))
        return ReferencesResult(symbol, True, found, len(found), len(files), files)
    except PunieError as exc:
        return ReferencesResult(symbol, False, error=str(exc))


def _split_hover(content: str) -> tuple[str, str]:
    """Pyright's hover is a fenced python signature, then the docstring."""
    match = re.match(r"```python\n(.*?)\n```\s*(.*)", content, re.DOTALL)
    if match:
        doc = re.sub(r"^-{3,}\s*", "", match.group(2).strip())
        return match.group(1).strip(), doc.strip()
    return content.strip(), ""


async def hover(
    ctx: ToolContext, symbol: str, file: str | None = None, line: int | None = None
) -> HoverResult:
    """A symbol's signature and docstring, as the language server shows them."""
    try:
        bridge, resolved = await _resolve(ctx, symbol, file, line)
        if isinstance(resolved, Unresolved):
            return HoverResult(
                symbol, False, candidates=resolved.candidates, error=resolved.message
            )
        content = (
            await bridge.hover(resolved.path, resolved.line, resolved.character, refresh=False)
            or ""
        )
        signature, docstring = _split_hover(content)
        loc = _location(bridge, _self_location(resolved))
        return HoverResult(symbol, True, signature, docstring, content, loc)
    except PunieError as exc:
        return HoverResult(symbol, False, error=str(exc))


_KEEP_UNDER = {lsp.SymbolKind.Class, lsp.SymbolKind.Module, lsp.SymbolKind.Namespace}


def _flatten(
    rel: str, nodes: Sequence[lsp.DocumentSymbol], container: str | None, out: list[SymbolInfo]
) -> None:
    for node in nodes:
        qualified = f"{container}.{node.name}" if container else node.name
        out.append(
            SymbolInfo(
                name=node.name,
                kind=node.kind.name.lower(),
                file=rel,
                line=node.selection_range.start.line + 1,
                end_line=node.range.end.line + 1,
                container=container,
                qualified=qualified,
            )
        )
        if node.children and node.kind in _KEEP_UNDER:
            _flatten(rel, node.children, qualified, out)


async def document_symbols(ctx: ToolContext, file: str) -> DocumentSymbolsResult:
    """The classes, functions, methods and module-level names a file defines."""
    try:
        path = ctx.workspace.resolve(file)
        if not path.is_file():
            return DocumentSymbolsResult(file, False, error=f"no such file: {file!r}")
        bridge = await ctx.lsp()
        raw = await bridge.document_symbols(path)
        rel = ctx.workspace.relative(path)
        out: list[SymbolInfo] = []
        tree = [n for n in raw if isinstance(n, lsp.DocumentSymbol)]
        _flatten(rel, tree, None, out)
        for info in raw:
            if isinstance(info, lsp.SymbolInformation):
                out.append(_symbol_info(bridge, info))
        return DocumentSymbolsResult(rel, True, tuple(out), len(out))
    except PunieError as exc:
        return DocumentSymbolsResult(file, False, error=str(exc))


def _symbol_info(bridge: LspBridge, info: lsp.SymbolInformation) -> SymbolInfo:
    workspace = bridge.workspace
    path = workspace.path_from_uri(info.location.uri)
    container = info.container_name or None
    return SymbolInfo(
        name=info.name,
        kind=info.kind.name.lower(),
        file=workspace.relative(path),
        line=info.location.range.start.line + 1,
        end_line=info.location.range.end.line + 1,
        container=container,
        qualified=f"{container}.{info.name}" if container else info.name,
    )


async def workspace_symbols(ctx: ToolContext, query: str) -> WorkspaceSymbolsResult:
    """Module- and class-level symbols whose name matches ``query`` across the workspace."""
    try:
        bridge = await ctx.lsp()
        found: list[SymbolInfo] = []
        for info in await bridge.workspace_symbols(query):
            container = info.container_name or ""
            if container and container.split(".")[-1][:1].islower():
                continue  # parameters and locals of a function
            path = bridge.workspace.path_from_uri(info.location.uri)
            try:
                bridge.workspace.resolve(path)
            except PathOutsideWorkspace:
                continue
            found.append(_symbol_info(bridge, info))
        found.sort(key=lambda s: (s.name != query, s.file, s.line))
        return WorkspaceSymbolsResult(query, True, tuple(found), len(found))
    except PunieError as exc:
        return WorkspaceSymbolsResult(query, False, error=str(exc))
