"""typecheck, ruff_check and ruff_format against the real pyright and ruff."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from punie.tools import ToolContext
from punie.tools.quality import ruff_check, ruff_format, typecheck
from tests._tool_repo import make_repo

pytestmark = pytest.mark.anyio

Tool = Callable[..., Awaitable[Any]]


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext.at(make_repo(tmp_path))


async def test_typecheck_reports_the_known_error_and_warning(ctx: ToolContext) -> None:
    result = await typecheck(ctx)
    assert result.success and result.error is None
    assert (result.error_count, result.warning_count) == (1, 1)
    found = {(d.file, d.line, d.column, d.severity, d.rule) for d in result.diagnostics}
    assert found == {
        ("calc.py", 11, 12, "error", "reportReturnType"),
        ("calc.py", 19, 5, "warning", "reportUnusedExpression"),
    }
    assert result.files_analyzed == 4
    assert "calc.py:11:12 error [reportReturnType]" in result.render()


async def test_typecheck_caches_until_the_workspace_changes(ctx: ToolContext) -> None:
    first = await typecheck(ctx, "calc.py")
    again = await typecheck(ctx, "calc.py")
    assert not first.cached and again.cached
    assert again.diagnostics == first.diagnostics
    calc = ctx.workspace.root / "calc.py"
    calc.write_text(calc.read_text().replace("return n\n", 'return f"{n}"\n'))
    stat = calc.stat()
    os.utime(calc, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # coarse clocks
    fixed = await typecheck(ctx, "calc.py")
    assert not fixed.cached
    assert (fixed.error_count, fixed.warning_count) == (0, 1)
    # another context has its own cache
    other = await typecheck(ToolContext(ctx.workspace), "calc.py")
    assert not other.cached and other.diagnostics == fixed.diagnostics


async def test_typecheck_columns_count_code_points(ctx: ToolContext) -> None:
    (ctx.workspace.root / "uni.py").write_text('s = "\U0001f600"; n: int = "x"\n')
    result = await typecheck(ctx, "uni.py")
    assert [(d.line, d.column, d.end_column) for d in result.diagnostics] == [(1, 19, 22)]


async def test_ruff_check_reports_the_known_violations(ctx: ToolContext) -> None:
    result = await ruff_check(ctx)
    assert result.success and result.error is None
    found = {(v.code, v.file, v.line, v.column, v.fixable) for v in result.violations}
    assert found == {("F401", "calc.py", 3, 8, True), ("F841", "calc.py", 15, 5, False)}
    assert (result.violation_count, result.fixable_count) == (2, 1)
    f401 = next(v for v in result.violations if v.code == "F401")
    assert (f401.end_line, f401.end_column) == (3, 10)
    clean = await ruff_check(ctx, "tests")
    assert clean.success and clean.clean and clean.violation_count == 0


async def test_ruff_check_reports_syntax_errors(ctx: ToolContext) -> None:
    (ctx.workspace.root / "broken.py").write_text("def f(:\n    pass\n")
    result = await ruff_check(ctx, "broken.py")
    assert result.success
    assert {(v.code, v.line) for v in result.violations} >= {("invalid-syntax", 1)}


async def test_ruff_format_check_then_format(ctx: ToolContext) -> None:
    checked = await ruff_format(ctx)
    assert checked.success and checked.files == ("messy.py",) and checked.file_count == 1
    messy = ctx.workspace.root / "messy.py"
    assert "x*2" in messy.read_text()  # --check changes nothing
    formatted = await ruff_format(ctx, check=False)
    assert formatted.success and formatted.files == ("messy.py",)
    assert "return x * 2" in messy.read_text()
    after = await ruff_format(ctx)
    assert after.success and after.file_count == 0


async def test_ruff_format_names_files_it_cannot_parse(ctx: ToolContext) -> None:
    (ctx.workspace.root / "broken.py").write_text("def f(:\n    pass\n")
    result = await ruff_format(ctx, "broken.py")
    assert result.success and result.file_count == 0
    assert result.failures and result.failures[0].startswith("broken.py:1:")


@pytest.mark.parametrize("tool", [typecheck, ruff_check, ruff_format])
async def test_quality_tools_refuse_paths_outside(ctx: ToolContext, tool: Tool) -> None:
    (ctx.workspace.root / "escape").symlink_to("/etc")
    for path in ("../x", "/etc/passwd", "escape", "escape/passwd"):
        result = await tool(ctx, path)
        assert not result.success
        assert repr(path) in result.error and "outside the workspace" in result.error


async def test_quality_tools_report_a_missing_path(ctx: ToolContext) -> None:
    for tool in (typecheck, ruff_check, ruff_format):
        result = await tool(ctx, "nope.py")
        assert not result.success and "'nope.py' does not exist" in (result.error or "")
