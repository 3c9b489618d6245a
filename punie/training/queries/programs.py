"""The teacher's programs: one shape per intent, reading every answer out of tool results."""

from __future__ import annotations

import json

from punie.training.queries.intents import direct_item
from punie.training.queries.model import Query

__all__ = ["direct_answer", "synthesize"]

_VARS = ("r", "res", "result")


def _lit(text: str | None) -> str:
    return json.dumps(text or "")


def _unique(var: str, expr: str, out: str) -> str:
    """Lines building ``out``: the distinct values of ``expr`` over ``var``, in order."""
    return (
        f"{out} = []\nfor {var} in {expr}:\n"
        f"    if {var} not in {out}:\n        {out}.append({var})\n"
    )


def _body(q: Query, r: str) -> str:
    s = _lit(q.symbol)
    intent = q.intent
    if intent == "definition.location":
        return (
            f"{r} = goto_definition({s})\nloc = {r}.locations[0]\n"
            'final_answer(f"{loc.file}:{loc.line}")'
        )
    if intent == "definition.file":
        return f"{r} = goto_definition({s})\nfinal_answer({r}.locations[0].file)"
    if intent == "references.file_count":
        return f"{r} = find_references({s})\nfinal_answer(str({r}.file_count))"
    if intent == "references.files":
        return f'{r} = find_references({s})\nfinal_answer(", ".join({r}.files))'
    if intent == "hover.return_type":
        return (
            f"{r} = hover({s})\nsignature = {r}.signature\n"
            'final_answer(signature.rsplit("->", 1)[-1].strip())'
        )
    if intent == "hover.docstring":
        return f"{r} = hover({s})\nfinal_answer({r}.docstring)"
    if intent == "symbols.top_level":
        return (
            f"{r} = document_symbols({s})\n"
            f"names = [s.name for s in {r}.symbols"
            ' if s.container is None and s.kind in ("class", "function")]\n'
            'final_answer(", ".join(names))'
        )
    if intent == "symbols.class_count":
        return (
            f"{r} = document_symbols({s})\n"
            f'classes = [s for s in {r}.symbols if s.kind == "class"]\n'
            "final_answer(str(len(classes)))"
        )
    if intent == "symbols.methods":
        return (
            f"where = goto_definition({s})\nloc = where.locations[0]\n"
            f"{r} = document_symbols(loc.file)\n"
            f"names = [s.name for s in {r}.symbols"
            f' if s.container == {s} and s.kind == "method"]\n'
            'final_answer(", ".join(names))'
        )
    if intent in ("grep.text_lines", "grep.todo"):
        return f"{r} = grep({s})\nfinal_answer(str({r}.match_count))"
    if intent == "grep.files":
        return (
            f"{r} = grep({s})\n"
            + _unique("m_file", f"[m.file for m in {r}.matches]", "files")
            + 'final_answer(", ".join(files))'
        )
    if intent == "typecheck.error_count":
        return f"{r} = typecheck()\nfinal_answer(str({r}.error_count))"
    if intent == "typecheck.first_error_file":
        return (
            f"{r} = typecheck()\n"
            f'errors = [d for d in {r}.diagnostics if d.severity == "error"]\n'
            'final_answer(errors[0].file if errors else "none")'
        )
    if intent == "typecheck.file_has_error":
        return f'{r} = typecheck({s})\nfinal_answer("yes" if {r}.error_count > 0 else "no")'
    if intent == "typecheck.rule_count":
        return (
            f"{r} = typecheck()\n"
            f"matching = [d for d in {r}.diagnostics"
            f' if d.rule == {s} and d.severity == "error"]\n'
            "final_answer(str(len(matching)))"
        )
    if intent == "ruff.violation_count":
        return f"{r} = ruff_check()\nfinal_answer(str({r}.violation_count))"
    if intent == "ruff.fixable_count":
        return f"{r} = ruff_check()\nfinal_answer(str({r}.fixable_count))"
    if intent in ("ruff.codes", "ruff.files"):
        attr = "code" if intent == "ruff.codes" else "file"
        return (
            f"{r} = ruff_check()\n"
            + _unique("value", f"[v.{attr} for v in {r}.violations]", "found")
            + 'final_answer(", ".join(found) if found else "none")'
        )
    if intent == "pytest.failed_count":
        return f"{r} = pytest_run()\nfinal_answer(str({r}.failed))"
    if intent == "pytest.failing_test":
        return (
            f"{r} = pytest_run()\n"
            f'failing = [t.node_id for t in {r}.tests if t.outcome in ("failed", "error")]\n'
            'final_answer(", ".join(failing) if failing else "none")'
        )
    if intent == "pytest.all_passing":
        return (
            f"{r} = pytest_run()\n"
            f'final_answer("yes" if {r}.failed == 0 and {r}.errors == 0 else "no")'
        )
    if intent == "pytest.total":
        return f"{r} = pytest_run()\nfinal_answer(str(len({r}.tests)))"
    if intent == "workflow.failing_test_definition":
        return (
            f"{r} = pytest_run()\n"
            f'failing = [t for t in {r}.tests if t.outcome in ("failed", "error")]\n'
            'parts = failing[0].node_id.split("::")\n'
            "where = goto_definition(parts[-1], file=parts[0])\n"
            "loc = where.locations[0]\n"
            'final_answer(f"{loc.file}:{loc.line}")'
        )
    if intent == "workflow.first_error_line":
        return (
            f"{r} = typecheck()\n"
            f'errors = [d for d in {r}.diagnostics if d.severity == "error"]\n'
            "first = errors[0]\n"
            "text = read_file(first.file, first.line, first.line)\n"
            "final_answer(text.lines[0].strip())"
        )
    if intent == "workflow.first_error_function":
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
    raise ValueError(f"no program for intent {intent!r}")


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
