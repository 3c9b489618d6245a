"""write_file and replace_in_file; a Python edit comes back with pyright's diagnostics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from punie.tools import ToolContext
from punie.tools.edits import replace_in_file, write_file
from tests._tool_repo import make_repo

pytestmark = pytest.mark.anyio


@pytest.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[ToolContext]:
    async with ToolContext.at(make_repo(tmp_path)) as context:
        yield context


async def test_write_file_creates_and_overwrites(ctx: ToolContext) -> None:
    created = await write_file(ctx, "docs/guide.txt", "one\ntwo\n")
    assert created.success and created.created and created.line_count == 2
    assert created.path == "docs/guide.txt" and created.diagnostics == ()
    assert (ctx.workspace.root / "docs" / "guide.txt").read_text() == "one\ntwo\n"
    again = await write_file(ctx, "docs/guide.txt", "three\r\n")
    assert again.success and not again.created
    assert (ctx.workspace.root / "docs" / "guide.txt").read_bytes() == b"three\r\n"
    assert not ctx.lsp_running  # no language server for non-Python files


async def test_replace_in_file_needs_exactly_one_occurrence(ctx: ToolContext) -> None:
    notes = ctx.workspace.root / "notes.txt"
    before = notes.read_text()
    missing = await replace_in_file(ctx, "notes.txt", "FIXME", "x")
    assert not missing.success and missing.occurrences == 0
    assert missing.error == "old text occurs 0 times in 'notes.txt'; it must occur exactly once"
    notes.write_text("a\nsame\nsame\n")
    several = await replace_in_file(ctx, "notes.txt", "same", "x")
    assert not several.success and several.occurrences == 2
    assert "occurs 2 times" in (several.error or "")
    assert notes.read_text() == "a\nsame\nsame\n"
    notes.write_text(before)
    done = await replace_in_file(ctx, "notes.txt", "nothing here", "something here")
    assert done.success and done.line == 2 and done.occurrences == 1
    assert notes.read_text() == before.replace("nothing here", "something here")
    empty = await replace_in_file(ctx, "notes.txt", "", "x")
    assert not empty.success and "empty" in (empty.error or "")


async def test_edits_refuse_paths_outside(ctx: ToolContext) -> None:
    (ctx.workspace.root / "escape").symlink_to("/tmp")
    for path in ("../x.txt", "/etc/passwd", "escape/x.txt"):
        written = await write_file(ctx, path, "x")
        replaced = await replace_in_file(ctx, path, "root", "x")
        for result in (written, replaced):
            assert not result.success and repr(path) in (result.error or "")
            assert "outside the workspace" in (result.error or "")
    assert not Path("/tmp/x.txt").exists() or Path("/tmp/x.txt").read_text() != "x"
    assert "is a directory" in ((await write_file(ctx, "tests", "x")).error or "")
    assert "not a file" in ((await replace_in_file(ctx, "nope.py", "a", "b")).error or "")


async def test_replace_in_file_reports_the_new_type_error(ctx: ToolContext) -> None:
    result = await replace_in_file(
        ctx, "calc.py", "    return a + b\n", '    total: int = "a + b"\n    return total\n'
    )
    assert result.success and result.line == 7, result.render()
    assert result.diagnostics_error is None, result.diagnostics_error
    found = {(d.file, d.line, d.severity, d.rule) for d in result.diagnostics}
    assert ("calc.py", 7, "error", "reportAssignmentType") in found
    assert ("calc.py", 12, "error", "reportReturnType") in found  # the one it already had (moved)
    assert result.error_count == 2
    fixed = await replace_in_file(ctx, "calc.py", '"a + b"', "a + b")
    assert fixed.success and fixed.error_count == 1, fixed.render()
    written = await write_file(ctx, "calc.py", "def label(n: int) -> str:\n    return str(n)\n")
    assert written.success and written.error_count == 0 and written.diagnostics == ()
