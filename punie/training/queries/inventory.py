"""``build_inventory``: the symbols of a repository (through the language-server tools), the
findings of the checkers, and the independent truths questions are grounded in."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

import anyio

from punie.tools import ToolContext, navigation
from punie.training.queries import oracle
from punie.training.queries.model import Inventory, SymbolEntry

__all__ = ["build_inventory", "clear_cache"]

_CACHE: dict[tuple[str, frozenset[tuple[str, int]]], Inventory] = {}
_TAGS = ("TODO", "FIXME", "XXX", "HACK")


def clear_cache() -> None:
    _CACHE.clear()


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def _symbols(ctx: ToolContext, files: list[str], index: oracle.AstIndex) -> list[SymbolEntry]:
    out: list[SymbolEntry] = []
    for rel in files:
        result = await navigation.document_symbols(ctx, rel)
        for s in result.symbols:
            if s.kind not in ("class", "function", "method"):
                continue
            if (s.file, s.line) not in index.defs.get(s.qualified, []):
                continue  # the ast index does not confirm it
            out.append(SymbolEntry(s.name, s.qualified, s.kind, s.file, s.line))
    return out


async def _agreements(
    ctx: ToolContext, symbols: list[SymbolEntry], index: oracle.AstIndex, inv: Inventory
) -> None:
    for entry in symbols:
        q = entry.qualified
        if entry.name.startswith("__") or index.unique(q) is None:
            inv.dropped["definition"] = inv.dropped.get("definition", 0) + 1
            continue
        inv.definitions[q] = f"{entry.file}:{entry.line}"
        if entry.name.startswith("test"):
            continue
        used = tuple(sorted(index.usages.get(entry.name, set())))
        if used:
            refs = await navigation.find_references(ctx, q)
            if refs.success and tuple(refs.files) == used:
                inv.reference_files[q] = used
            else:
                inv.dropped["references"] = inv.dropped.get("references", 0) + 1
        if q in index.returns or q in index.docstrings:
            shown = await navigation.hover(ctx, q)
            ret = index.returns.get(q)
            if ret is not None and "->" in shown.signature:
                if _norm(shown.signature.rsplit("->", 1)[-1]) == _norm(ret):
                    inv.returns[q] = ret
                else:
                    inv.dropped["hover.return_type"] = inv.dropped.get("hover.return_type", 0) + 1
            doc = index.docstrings.get(q)
            if doc is not None:
                if _norm(doc) in _norm(shown.docstring):
                    inv.docstrings[q] = doc
                else:
                    inv.dropped["hover.docstring"] = inv.dropped.get("hover.docstring", 0) + 1


async def build_inventory(ctx: ToolContext, name: str) -> Inventory:
    """The inventory of the workspace behind ``ctx`` (``name`` is the repo's name); cached per
    root and file modification times."""
    root = ctx.workspace.root
    files = sorted(ctx.workspace.relative(p) for p in ctx.workspace.python_files())
    key = (f"{name}@{root}", frozenset(ctx.workspace.mtimes().items()))
    if key in _CACHE:
        return _CACHE[key]
    started = time.perf_counter()
    index = oracle.ast_index(Path(root), files)
    symbols = await _symbols(ctx, files, index)
    inv = Inventory(name=name, root=str(root), python_files=tuple(files), symbols=tuple(symbols))
    await _agreements(ctx, symbols, index, inv)
    inv.top_level.update({f: t for f, t in index.top_level.items() if t})
    inv.class_counts.update(index.class_counts)
    for cls, places in index.methods.items():
        if len(places) == 1 and places[0][1]:
            inv.methods[cls] = places[0]
    errors = await anyio.to_thread.run_sync(oracle.pyright_errors, Path(root))
    findings = await anyio.to_thread.run_sync(oracle.ruff_findings, Path(root))
    tests = await anyio.to_thread.run_sync(oracle.pytest_outcomes, Path(root))
    for node_id, _ in tests:
        file, *parts = node_id.split("::")
        qualified = ".".join(parts).split("[", 1)[0]
        places = [p for p in index.defs.get(qualified, []) if p[0] == file]
        if len(places) == 1:
            inv.test_definitions[node_id] = f"{places[0][0]}:{places[0][1]}"
    needles = [*_TAGS, *(s.name for s in symbols if s.kind == "class")]
    hits = await anyio.to_thread.run_sync(oracle.text_search, Path(root), needles)
    inv.text_hits.update({k: v for k, v in hits.items() if v[0] > 0})
    lines = [index.lines[f][line - 1].strip() if f in index.lines else "" for f, line, _ in errors]
    scopes = [index.scope_at(f, line) for f, line, _ in errors]
    done = dataclasses.replace(
        inv,
        type_errors=tuple(errors),
        type_error_lines=tuple(lines),
        type_error_scopes=tuple(scopes),
        ruff=tuple(findings),
        tests=tuple(tests),
        build_s=round(time.perf_counter() - started, 3),
    )
    _CACHE[key] = done
    return done
