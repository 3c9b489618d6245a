"""Checks made on the host before a snippet reaches the sandbox: CPython's parser for syntax
errors (with the line), the import allow-list, and which tool calls are awaited.

Tool calls are synchronous in the sandbox (``r = grep("x")`` returns the result). A call that is
the operand of ``await``, or an argument of ``asyncio.gather(...)`` (also as the element of a
starred comprehension, ``gather(*[tool(s) for s in names])``), is answered with a future
instead, so such calls run concurrently on the host.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from punie.agent.executor.result import ExecutionError
from punie.pysyntax import parse as parse_python

__all__ = ["StaticReport", "analyse"]

Span = tuple[int, int]


@dataclass(frozen=True)
class StaticReport:
    error: ExecutionError | None
    async_sites: frozenset[Span]
    """UTF-8 byte spans (start, end) of the call expressions to answer with a future."""


def analyse(code: str, allowed_imports: frozenset[str]) -> StaticReport:
    try:
        tree = parse_python(code, filename="snippet")
    except SyntaxError as exc:
        return StaticReport(_syntax_error(code, exc), frozenset())
    except (RecursionError, MemoryError, ValueError) as exc:
        message = (
            f"SyntaxError: the program cannot be parsed ({type(exc).__name__}: it is nested "
            "too deeply or is too large); write it flatter"
        )
        return StaticReport(ExecutionError("syntax", message, detail=message), frozenset())
    refused = _refused_import(tree, allowed_imports)
    if refused is not None:
        return StaticReport(refused, frozenset())
    offsets = _line_offsets(code)
    return StaticReport(None, frozenset(_span(offsets, call) for call in _async_calls(tree)))


def _syntax_error(code: str, exc: SyntaxError) -> ExecutionError:
    line = exc.lineno
    message = f"SyntaxError: {exc.msg}" + (f" (line {line})" if line else "")
    lines = code.splitlines()
    detail = message
    if line and 0 < line <= len(lines):
        source = lines[line - 1]
        caret = " " * max((exc.offset or 1) - 1, 0) + "^"
        detail = f"{message}\n    {source}\n    {caret}"
    return ExecutionError("syntax", message, line=line, detail=detail)


def _refused_import(tree: ast.Module, allowed: frozenset[str]) -> ExecutionError | None:
    for node in ast.walk(tree):
        names: list[str]
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        else:
            continue
        for name in names:
            if name.split(".")[0] not in allowed:
                allowed_text = ", ".join(sorted(allowed))
                message = (
                    f"ImportError: module {name!r} is not available in the sandbox "
                    f"(line {node.lineno})"
                )
                detail = (
                    f"{message}. Allowed imports: {allowed_text}. The tools and final_answer "
                    "are already defined: call them without importing anything."
                )
                return ExecutionError("import", message, line=node.lineno, detail=detail)
    return None


def _is_gather(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "gather") or (
        isinstance(func, ast.Name) and func.id == "gather"
    )


def _candidates(expr: ast.expr) -> Iterator[ast.Call]:
    """Calls in ``expr`` that are themselves awaited (directly, as a tuple/list element, or as
    the element of a comprehension)."""
    if isinstance(expr, ast.Call):
        yield expr
    elif isinstance(expr, ast.Starred):
        yield from _candidates(expr.value)
    elif isinstance(expr, ast.List | ast.Tuple):
        for element in expr.elts:
            yield from _candidates(element)
    elif isinstance(expr, ast.ListComp | ast.GeneratorExp):
        yield from _candidates(expr.elt)


def _async_calls(tree: ast.Module) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            yield node.value
        elif isinstance(node, ast.Call) and _is_gather(node.func):
            for arg in node.args:
                yield from _candidates(arg)


def _line_offsets(code: str) -> list[int]:
    """Byte offset of the start of each line (index 0 is line 1)."""
    offsets = [0]
    for line in code.encode("utf-8").splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def _span(offsets: list[int], node: ast.expr) -> Span:
    end_line = node.end_lineno if node.end_lineno is not None else node.lineno
    end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
    return offsets[node.lineno - 1] + node.col_offset, offsets[end_line - 1] + end_col
