"""Resolving a symbol the model names (``Cart.add_item``, ``shop.pricing.calculate_total``) to a
position the language server understands, so the model never invents line and column numbers.

Candidates come from the bridge's ``ast`` index of definitions (no server round trip), and from
``workspace/symbol`` for names the index cannot see. A dotted prefix must match the symbol's
module path and/or its container; ``file`` and ``line`` hints narrow the choice (a line a few
lines off still matches). Unknown or ambiguous names come back as an :class:`Unresolved` that
lists the closest candidates, never as an exception.
"""

from __future__ import annotations

import difflib
import re
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import anyio
from lsprotocol import types as lsp

from punie.lsp_bridge import LspBridge, module_name
from punie.workspace import PathOutsideWorkspace, Workspace

__all__ = ["Resolved", "Unresolved", "module_path", "resolve_symbol"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_DEFINITION_KINDS = {"class", "function", "method", "constructor", "property"}
_LINE_TOLERANCE = 5
_SETTLE_TRIES = 10
_SETTLE_WINDOW = 5.0


@dataclass(frozen=True)
class Resolved:
    """A symbol's declaration: absolute path and 0-based LSP position of its name."""

    qualified: str
    path: Path
    line: int
    character: int
    kind: str
    stub: tuple[Path, int, int] | None = None
    """The same definition in the module's ``.pyi`` stub: imports of the module bind to it,
    so references are asked at both places."""


@dataclass(frozen=True)
class Unresolved:
    message: str
    candidates: tuple[str, ...]


def module_path(workspace: Workspace, path: Path) -> str:
    """``shop/pricing.py`` -> ``shop.pricing``; ``shop/__init__.py`` -> ``shop``."""
    return module_name(workspace.relative(path))


@dataclass(frozen=True)
class _Candidate:
    name: str
    kind: str
    container: str
    path: Path
    module: str
    name_line: int
    name_character: int
    local: bool

    @property
    def qualified(self) -> str:
        inner = f"{self.container}.{self.name}" if self.container else self.name
        return f"{self.module}.{inner}" if self.module else inner

    @property
    def line(self) -> int:
        return self.name_line

    def describe(self, workspace: Workspace) -> str:
        return f"{self.qualified} ({workspace.relative(self.path)}:{self.line + 1})"


def _indexed(bridge: LspBridge, name: str) -> list[_Candidate]:
    """Definitions named ``name`` from the bridge's ``ast`` index: no server round trip."""
    workspace = bridge.workspace
    return [
        _Candidate(
            d.name,
            d.kind,
            d.container or "",
            d.path,
            module_path(workspace, d.path),
            d.line,
            d.character,
            False,
        )
        for d in bridge.index.lookup(name)
    ]


_cache: weakref.WeakKeyDictionary[LspBridge, tuple[int, dict[str, list[_Candidate]]]] = (
    weakref.WeakKeyDictionary()
)


async def _candidates(bridge: LspBridge, name: str) -> list[_Candidate]:
    """Workspace symbols matching ``name`` (pyright matches fuzzily), cached per generation:
    for names the ``ast`` index cannot see."""
    generation, table = _cache.get(bridge, (-1, {}))
    if generation != bridge.generation:
        table = {}
    cached = table.get(name)
    if cached is not None:
        return cached
    workspace = bridge.workspace
    infos = await bridge.workspace_symbols(name)
    found: list[_Candidate] = []
    texts: dict[Path, list[str]] = {}
    for info in infos:
        try:
            path = workspace.resolve(workspace.path_from_uri(info.location.uri))
        except PathOutsideWorkspace:
            continue
        if path not in texts:
            try:
                texts[path] = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                texts[path] = []
        line, character = _name_position(texts[path], info)
        container = info.container_name or ""
        local = bool(container) and container.split(".")[-1][:1].islower()
        found.append(
            _Candidate(
                info.name,
                info.kind.name.lower(),
                container,
                path,
                module_path(workspace, path),
                line,
                character,
                local,
            )
        )
    table[name] = found
    _cache[bridge] = (bridge.generation, table)
    return found


def _name_position(lines: list[str], info: lsp.SymbolInformation) -> tuple[int, int]:
    """Where the symbol's *name* starts. pyright's range starts at the name; ty's covers the
    whole ``def``, where a references or hover request finds nothing."""
    start, end = info.location.range.start, info.location.range.end
    pattern = re.compile(rf"\b{re.escape(info.name)}\b")
    for index in range(start.line, min(end.line, start.line + 20) + 1):
        if index >= len(lines):
            break
        text = lines[index]
        offset = start.character if index == start.line else 0
        match = pattern.search(text, min(offset, len(text)))
        if match:
            return index, len(text[: match.start()].encode("utf-16-le")) // 2
    return start.line, start.character


def _qualifier_matches(candidate: _Candidate, qualifiers: list[str]) -> bool:
    if not qualifiers:
        return True
    scope = [*candidate.module.split("."), *filter(None, candidate.container.split("."))]
    want = ".".join(qualifiers)
    full = ".".join(scope)
    return full == want or full.endswith("." + want)


def _exact(pool: list[_Candidate], name: str, qualifiers: list[str]) -> list[_Candidate]:
    return [c for c in pool if c.name == name and _qualifier_matches(c, qualifiers)]


async def resolve_symbol(
    bridge: LspBridge, symbol: str, file: str | None = None, line: int | None = None
) -> Resolved | Unresolved:
    symbol = symbol.strip()
    if not _NAME.match(symbol):
        return Unresolved(
            f"{symbol!r} is not a symbol name (expected a name or dotted path like Cart.add_item)",
            (),
        )
    *qualifiers, name = symbol.split(".")
    bridge.refresh()
    pool = _indexed(bridge, name)
    exact = _exact(pool, name, qualifiers)
    if not exact:
        pool = await _server_candidates(bridge, name, qualifiers)
        exact = _exact(pool, name, qualifiers)
    workspace = bridge.workspace
    if file is not None:
        try:
            hinted = workspace.resolve(file)
        except PathOutsideWorkspace as exc:
            return Unresolved(str(exc), ())
        in_file = [c for c in exact if c.path == hinted]
        if not in_file:
            others = tuple(c.describe(workspace) for c in exact[:8])
            where = f"; it is defined in: {', '.join(others)}" if others else ""
            return Unresolved(f"no symbol {symbol!r} in {file!r}{where}", others)
        exact = in_file
    if line is not None and len(exact) > 1:
        near = [c for c in exact if abs(c.line + 1 - line) <= _LINE_TOLERANCE]
        if near:
            exact = sorted(near, key=lambda c: abs(c.line + 1 - line))[:1]
    everything = exact
    if len(exact) > 1:
        exact = _prefer_definitions(exact)
    if len(exact) == 1:
        chosen = exact[0]
        twin = chosen.path.with_suffix(".pyi")
        stubs = [c for c in everything if c.path == twin and c.container == chosen.container]
        return Resolved(
            chosen.qualified,
            chosen.path,
            chosen.name_line,
            chosen.name_character,
            chosen.kind,
            (twin, stubs[0].name_line, stubs[0].name_character) if stubs else None,
        )
    if exact:
        listed = tuple(c.describe(workspace) for c in exact[:10])
        return Unresolved(
            f"{symbol!r} is ambiguous ({len(exact)} matches); pass a dotted path or file=: "
            + ", ".join(listed),
            listed,
        )
    return await _unknown(bridge, symbol, name, pool)


async def _server_candidates(
    bridge: LspBridge, name: str, qualifiers: list[str]
) -> list[_Candidate]:
    """``workspace/symbol``'s candidates. pyright indexes a file it was just told about
    lazily: a name defined in a file that changed a moment ago may be missing from the first
    answer, so within a few seconds of a change the question is asked again."""
    pool = await _candidates(bridge, name)
    for _ in range(_SETTLE_TRIES):
        if _exact(pool, name, qualifiers) or time.monotonic() - bridge.changed_at > _SETTLE_WINDOW:
            break
        await anyio.sleep(0.2)
        _cache.pop(bridge, None)
        pool = await _candidates(bridge, name)
    return pool


def _prefer_definitions(cands: list[_Candidate]) -> list[_Candidate]:
    """Among several same-named symbols keep module- and class-level definitions, the source
    over its stub (``m.py`` over ``m.pyi``), and one per scope: the last ``def`` of a name in
    a file and class (``@overload`` signatures come first, the implementation last)."""
    non_local = [c for c in cands if not c.local] or cands
    defs = [c for c in non_local if c.kind in _DEFINITION_KINDS] or non_local
    sources = {c.path.with_suffix("") for c in defs if c.path.suffix == ".py"}
    defs = [c for c in defs if c.path.suffix != ".pyi" or c.path.with_suffix("") not in sources]
    last: dict[tuple[Path, str, str], _Candidate] = {}
    for c in sorted(defs, key=lambda c: (str(c.path), c.line)):
        last[(c.path, c.container, c.kind)] = c
    return list(last.values())


async def _unknown(bridge: LspBridge, symbol: str, name: str, pool: list[_Candidate]) -> Unresolved:
    """Fuzzy candidates from the index (every definition's name) and the server's pool."""
    names = {c.name for c in pool if not c.local} | set(bridge.index.names())
    close = difflib.get_close_matches(name, sorted(names), n=5, cutoff=0.5)
    qualified: list[str] = []
    for match in close:
        known = [c for c in (*_indexed(bridge, match), *pool) if c.name == match and not c.local]
        qualified.append(known[0].qualified if known else match)
    hint = f"; closest: {', '.join(qualified)}" if qualified else ""
    return Unresolved(f"no symbol named {symbol!r} in the workspace{hint}", tuple(qualified))
