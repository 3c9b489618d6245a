"""read_file, grep and run_command on a real sample repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from punie.tools import ToolConfig, ToolContext
from punie.tools.files import grep, read_file, run_command
from tests._tool_repo import make_repo

pytestmark = pytest.mark.anyio


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    config = ToolConfig(
        allowed_commands=("ls", "echo", "sleep", "cat", "seq"),
        command_timeout=2.0,
        max_read_lines=5,
        max_grep_matches=3,
    )
    return ToolContext.at(make_repo(tmp_path), config)


async def test_read_file_slices_and_numbers_lines(ctx: ToolContext) -> None:
    result = await read_file(ctx, "calc.py", 10, 11)
    assert result.success and result.lines == ("def label(n: int) -> str:", "    return n")
    assert (result.start, result.end, result.total_lines, result.truncated) == (10, 11, 19, False)
    assert result.render().splitlines()[1:] == ["10| def label(n: int) -> str:", "11|     return n"]


async def test_read_file_is_capped_at_max_read_lines(ctx: ToolContext) -> None:
    result = await read_file(ctx, "calc.py")
    assert result.success and (result.start, result.end, result.truncated) == (1, 5, True)
    assert len(result.lines) == 5
    tail = await read_file(ctx, "calc.py", 17)
    assert tail.lines == ("", "def touch() -> None:", "    add") and not tail.truncated


@pytest.mark.parametrize(
    ("start", "end", "needle"),
    [(0, None, "1-based"), (5, 2, "start <= end"), (50, None, "past the end")],
)
async def test_read_file_bad_ranges(
    ctx: ToolContext, start: int, end: int | None, needle: str
) -> None:
    result = await read_file(ctx, "calc.py", start, end)
    assert not result.success and needle in (result.error or "")


async def test_read_file_refuses_binary_missing_and_outside(ctx: ToolContext) -> None:
    root = ctx.workspace.root
    (root / "blob.bin").write_bytes(b"\x00\x01\x02")
    (root / "passwd").symlink_to("/etc/passwd")
    assert "binary" in ((await read_file(ctx, "blob.bin")).error or "")
    assert "not a file" in ((await read_file(ctx, "nope.py")).error or "")
    for path in ("../x", "/etc/passwd", "passwd"):
        result = await read_file(ctx, path)
        assert not result.success and "outside the workspace" in (result.error or "")
        assert repr(path) in (result.error or "")


async def test_grep_plain_text(ctx: ToolContext) -> None:
    result = await grep(ctx, "add(")
    assert result.success and not result.truncated
    found = [(m.file, m.line, m.column, m.end_column) for m in result.matches]
    assert found == [
        ("calc.py", 6, 5, 9),
        ("tests/test_calc.py", 5, 12, 16),
        ("tests/test_calc.py", 9, 12, 16),
    ]
    assert (result.match_count, result.file_count) == (3, 2)
    assert result.matches[1].preview == "    assert add(1, 2) == 3"


async def test_grep_regex_and_truncation(ctx: ToolContext) -> None:
    result = await grep(ctx, r"^def \w+", regex=True)
    assert result.success and result.truncated and result.match_count == 3
    assert [(m.file, m.line, m.end_column) for m in result.matches] == [
        ("calc.py", 6, 8),
        ("calc.py", 10, 10),
        ("calc.py", 14, 17),
    ]
    under_tests = await grep(ctx, "def ", path="tests")
    assert [(m.file, m.line) for m in under_tests.matches] == [
        ("tests/test_calc.py", 4),
        ("tests/test_calc.py", 8),
        ("tests/test_hang.py", 7),
    ]
    assert not under_tests.truncated and under_tests.file_count == 2


async def test_grep_skips_tool_dirs_binaries_and_links_out(
    ctx: ToolContext, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = ctx.workspace.root
    outside = tmp_path_factory.mktemp("outside") / "secret.py"
    outside.write_text("MARKER = 1\n")
    (root / "linked.py").symlink_to(outside)
    (root / ".venv").mkdir()
    (root / ".venv" / "lib.py").write_text("MARKER = 2\n")
    (root / "blob.bin").write_bytes(b"\x00MARKER")
    (root / "inside.py").write_text("MARKER = 3\n")
    (root / "alias.py").symlink_to(root / "inside.py")
    result = await grep(ctx, "MARKER")
    assert [(m.file, m.line) for m in result.matches] == [("alias.py", 1), ("inside.py", 1)]


async def test_grep_errors(ctx: ToolContext) -> None:
    bad = await grep(ctx, "(unclosed", regex=True)
    assert not bad.success and "invalid regex" in (bad.error or "")
    assert not (await grep(ctx, "")).success
    outside = await grep(ctx, "root", path="/etc")
    assert not outside.success and "outside the workspace" in (outside.error or "")


async def test_run_command_runs_allowed_programs(ctx: ToolContext) -> None:
    result = await run_command(ctx, "ls", "tests")
    assert result.success and result.exit_code == 0
    assert result.stdout.split() == ["test_calc.py", "test_hang.py"]
    quoted = await run_command(ctx, "echo", "'a  b' c")
    assert quoted.args == ("a  b", "c") and quoted.stdout == "a  b c\n"
    failing = await run_command(ctx, "cat", "nope.txt")
    assert failing.success and failing.exit_code == 1 and "No such file" in failing.stderr


async def test_run_command_refusals(ctx: ToolContext) -> None:
    refused = await run_command(ctx, "rm", "-rf .")
    assert not refused.success and "'rm' is not allowed" in (refused.error or "")
    shell = await run_command(ctx, "echo", "hi; rm -rf .")
    assert shell.success and shell.stdout == "hi; rm -rf .\n"  # no shell: just arguments
    outside = await run_command(ctx, "cat", "/etc/passwd")
    assert not outside.success and "'/etc/passwd'" in (outside.error or "")
    assert not (await run_command(ctx, "cat", "../secret")).success
    assert not (await run_command(ctx, "cat", "--file=/etc/passwd")).success
    unbalanced = await run_command(ctx, "echo", "'open")
    assert not unbalanced.success and "cannot split" in (unbalanced.error or "")


async def test_run_command_timeout_and_output_cap(ctx: ToolContext) -> None:
    slow = await run_command(ctx, "sleep", "30")
    assert slow.timed_out and not slow.success and slow.duration < 10
    big = await run_command(ctx, "seq", "100000")
    assert big.success and big.truncated and len(big.stdout) == 20_000
