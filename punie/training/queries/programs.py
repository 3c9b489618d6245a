"""The teacher's programs: one shape per intent, reading every answer out of tool results."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Final

from punie.training.queries.intents import direct_item
from punie.training.queries.model import Query

__all__ = ["PROGRAMS", "direct_answer", "synthesize"]

_VARS = ("r", "res", "result")


def _lit(text: str | None) -> str:
    return json.dumps(text or "")


def _unique(var: str, expr: str, out: str) -> str:
    """Lines building ``out``: the distinct values of ``expr`` over ``var``, in order."""
    return (
        f"{out} = []\nfor {var} in {expr}:\n"
        f"    if {var} not in {out}:\n        {out}.append({var})\n"
    )


def _definition_location(s: str, r: str) -> str:
    return (
        f"{r} = goto_definition({s})\nloc = {r}.locations[0]\n"
        'final_answer(f"{loc.file}:{loc.line}")'
    )


def _definition_file(s: str, r: str) -> str:
    return f"{r} = goto_definition({s})\nfinal_answer({r}.locations[0].file)"


def _references_file_count(s: str, r: str) -> str:
    return f"{r} = find_references({s})\nfinal_answer(str({r}.file_count))"


def _references_files(s: str, r: str) -> str:
    return f'{r} = find_references({s})\nfinal_answer(", ".join({r}.files))'


def _hover_return_type(s: str, r: str) -> str:
    return (
        f"{r} = hover({s})\nsignature = {r}.signature\n"
        'final_answer(signature.rsplit("->", 1)[-1].strip())'
    )


def _hover_docstring(s: str, r: str) -> str:
    return f"{r} = hover({s})\nfinal_answer({r}.docstring)"


def _symbols_top_level(s: str, r: str) -> str:
    return (
        f"{r} = document_symbols({s})\n"
        f"names = [s.name for s in {r}.symbols"
        ' if s.container is None and s.kind in ("class", "function")]\n'
        'final_answer(", ".join(names))'
    )


def _symbols_class_count(s: str, r: str) -> str:
    return (
        f"{r} = document_symbols({s})\n"
        f'classes = [s for s in {r}.symbols if s.kind == "class"]\n'
        "final_answer(str(len(classes)))"
    )


def _symbols_methods(s: str, r: str) -> str:
    return (
        f"where = goto_definition({s})\nloc = where.locations[0]\n"
        f"{r} = document_symbols(loc.file)\n"
        f"names = [s.name for s in {r}.symbols"
        f' if s.container == {s} and s.kind == "method"]\n'
        'final_answer(", ".join(names))'
    )


def _grep_text_lines(s: str, r: str) -> str:
    return f"{r} = grep({s})\nfinal_answer(str({r}.match_count))"


def _grep_todo(s: str, r: str) -> str:
    return f"{r} = grep({s})\nfinal_answer(str({r}.match_count))"


def _grep_files(s: str, r: str) -> str:
    return (
        f"{r} = grep({s})\n"
        + _unique("m_file", f"[m.file for m in {r}.matches]", "files")
        + 'final_answer(", ".join(files))'
    )


def _typecheck_error_count(s: str, r: str) -> str:
    return f"{r} = typecheck()\nfinal_answer(str({r}.error_count))"


def _typecheck_first_error_file(s: str, r: str) -> str:
    return (
        f"{r} = typecheck()\n"
        f'errors = [d for d in {r}.diagnostics if d.severity == "error"]\n'
        'final_answer(errors[0].file if errors else "none")'
    )


def _typecheck_file_has_error(s: str, r: str) -> str:
    return f'{r} = typecheck({s})\nfinal_answer("yes" if {r}.error_count > 0 else "no")'


def _typecheck_rule_count(s: str, r: str) -> str:
    return (
        f"{r} = typecheck()\n"
        f"matching = [d for d in {r}.diagnostics"
        f' if d.rule == {s} and d.severity == "error"]\n'
        "final_answer(str(len(matching)))"
    )


def _ruff_violation_count(s: str, r: str) -> str:
    return f"{r} = ruff_check()\nfinal_answer(str({r}.violation_count))"


def _ruff_fixable_count(s: str, r: str) -> str:
    return f"{r} = ruff_check()\nfinal_answer(str({r}.fixable_count))"


def _ruff_codes(s: str, r: str) -> str:
    return (
        f"{r} = ruff_check()\n"
        + _unique("value", f"[v.code for v in {r}.violations]", "found")
        + 'final_answer(", ".join(found) if found else "none")'
    )


def _ruff_files(s: str, r: str) -> str:
    return (
        f"{r} = ruff_check()\n"
        + _unique("value", f"[v.file for v in {r}.violations]", "found")
        + 'final_answer(", ".join(found) if found else "none")'
    )


def _pytest_failed_count(s: str, r: str) -> str:
    return f"{r} = pytest_run()\nfinal_answer(str({r}.failed))"


def _pytest_failing_test(s: str, r: str) -> str:
    return (
        f"{r} = pytest_run()\n"
        f'failing = [t.node_id for t in {r}.tests if t.outcome in ("failed", "error")]\n'
        'final_answer(", ".join(failing) if failing else "none")'
    )


def _pytest_all_passing(s: str, r: str) -> str:
    return (
        f'{r} = pytest_run()\nfinal_answer("yes" if {r}.failed == 0 and {r}.errors == 0 else "no")'
    )


def _pytest_total(s: str, r: str) -> str:
    return f"{r} = pytest_run()\nfinal_answer(str(len({r}.tests)))"


def _workflow_failing_test_definition(s: str, r: str) -> str:
    return (
        f"{r} = pytest_run()\n"
        f'failing = [t for t in {r}.tests if t.outcome in ("failed", "error")]\n'
        'parts = failing[0].node_id.split("::")\n'
        "where = goto_definition(parts[-1], file=parts[0])\n"
        "loc = where.locations[0]\n"
        'final_answer(f"{loc.file}:{loc.line}")'
    )


def _workflow_first_error_line(s: str, r: str) -> str:
    return (
        f"{r} = typecheck()\n"
        f'errors = [d for d in {r}.diagnostics if d.severity == "error"]\n'
        "first = errors[0]\n"
        "text = read_file(first.file, first.line, first.line)\n"
        "final_answer(text.lines[0].strip())"
    )


def _workflow_first_error_function(s: str, r: str) -> str:
    return (
        f"{r} = typecheck()\n"
        f'errors = [d for d in {r}.diagnostics if d.severity == "error"]\n'
        "first = errors[0]\n"
        "symbols = document_symbols(first.file)\n"
        'inside = ""\n'
        "span = 0\n"
        "for s in symbols.symbols:\n"
        '    if s.kind in ("function", "method") and s.line <= first.line <= s.end_line:\n'
        "        if not inside or s.end_line - s.line < span:\n"
        "            inside = s.qualified\n"
        "            span = s.end_line - s.line\n"
        "final_answer(inside)"
    )


PROGRAMS: Final[Mapping[str, Callable[[str, str], str]]] = {
    "definition.location": _definition_location,
    "definition.file": _definition_file,
    "references.file_count": _references_file_count,
    "references.files": _references_files,
    "hover.return_type": _hover_return_type,
    "hover.docstring": _hover_docstring,
    "symbols.top_level": _symbols_top_level,
    "symbols.class_count": _symbols_class_count,
    "symbols.methods": _symbols_methods,
    "grep.text_lines": _grep_text_lines,
    "grep.todo": _grep_todo,
    "grep.files": _grep_files,
    "typecheck.error_count": _typecheck_error_count,
    "typecheck.first_error_file": _typecheck_first_error_file,
    "typecheck.file_has_error": _typecheck_file_has_error,
    "typecheck.rule_count": _typecheck_rule_count,
    "ruff.violation_count": _ruff_violation_count,
    "ruff.fixable_count": _ruff_fixable_count,
    "ruff.codes": _ruff_codes,
    "ruff.files": _ruff_files,
    "pytest.failed_count": _pytest_failed_count,
    "pytest.failing_test": _pytest_failing_test,
    "pytest.all_passing": _pytest_all_passing,
    "pytest.total": _pytest_total,
    "workflow.failing_test_definition": _workflow_failing_test_definition,
    "workflow.first_error_line": _workflow_first_error_line,
    "workflow.first_error_function": _workflow_first_error_function,
}
"""The teacher's program for each intent that is answered with tools, built from the
symbol as a Python literal and the result variable's name (``tests/test_queries.py`` checks
that every such intent of :mod:`punie.training.queries.intents` has exactly one)."""


def _body(q: Query, r: str) -> str:
    program = PROGRAMS.get(q.intent)
    if program is None:
        raise ValueError(f"no program for intent {q.intent!r}")
    return program(_lit(q.symbol), r)


def synthesize(query: Query) -> str:
    """The teacher's Code-Mode program for ``query`` (not for category ``direct``)."""
    if query.category == "direct":
        raise ValueError(f"{query.intent} is answered directly, with no program")
    var = _VARS[int(query.uid[:8], 16) % len(_VARS)] if query.uid else "r"
    return _body(query, var)


def direct_answer(query: Query) -> str:
    """The teacher's answer to a ``direct`` question (no tool call)."""
    item = direct_item(query.intent)
    if item is None:
        raise ValueError(f"{query.intent} is not a direct intent")
    return item.answer
