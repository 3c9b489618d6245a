"""pytest_run against a real pytest in a sample repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from punie.sandboxes.paths import default_pin_file
from punie.sandboxes.pypi import fetch
from punie.tools import ToolConfig, ToolContext
from punie.tools.testing import pytest_run
from punie.training.queries.oracle import pytest_outcomes
from tests._tool_repo import make_repo

pytestmark = pytest.mark.anyio


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext.at(make_repo(tmp_path), ToolConfig(pytest_timeout=120.0))


async def test_pytest_run_reports_each_outcome(ctx: ToolContext) -> None:
    result = await pytest_run(ctx, "tests/test_calc.py")
    assert result.success and result.error is None and not result.timed_out
    assert (result.passed, result.failed, result.errors, result.skipped) == (1, 1, 0, 0)
    assert result.exit_code == 1 and not result.all_passed
    outcomes = {case.node_id: case.outcome for case in result.tests}
    assert outcomes == {
        "tests/test_calc.py::test_add_ok": "passed",
        "tests/test_calc.py::test_add_wrong": "failed",
    }
    failing = next(case for case in result.tests if case.outcome == "failed")
    assert failing.message is not None and failing.message.startswith("assert 3 == 4")
    assert "FAILED tests/test_calc.py::test_add_wrong - assert 3 == 4" in result.render()


async def test_select_maps_to_k(ctx: ToolContext) -> None:
    result = await pytest_run(ctx, "tests", select="add_ok")
    assert result.success and result.all_passed
    assert [case.node_id for case in result.tests] == ["tests/test_calc.py::test_add_ok"]
    nothing = await pytest_run(ctx, "tests", select="no_such_test")
    assert nothing.success and nothing.exit_code == 5 and nothing.tests == ()


async def test_skip_xfail_and_errors(ctx: ToolContext) -> None:
    (ctx.workspace.root / "tests" / "test_more.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef broken():\n    raise RuntimeError('no db')\n\n\n"
        "def test_needs_db(broken):\n    pass\n\n\n@pytest.mark.skip(reason='later')\n"
        "def test_later():\n    pass\n\n\n@pytest.mark.xfail\ndef test_known_bug():\n"
        "    assert False\n"
    )
    result = await pytest_run(ctx, "tests", select="not hang")
    assert result.success
    outcomes = {case.node_id: (case.outcome, case.message) for case in result.tests}
    assert outcomes["tests/test_more.py::test_needs_db"][0] == "error"
    assert "no db" in (outcomes["tests/test_more.py::test_needs_db"][1] or "")
    assert outcomes["tests/test_more.py::test_later"] == ("skipped", "Skipped: later")
    assert outcomes["tests/test_more.py::test_known_bug"][0] == "xfailed"
    assert result.errors == 1 and result.skipped == 2


async def test_a_collection_error_is_an_error_outcome(ctx: ToolContext) -> None:
    (ctx.workspace.root / "tests" / "test_syntax.py").write_text("def f(:\n")
    result = await pytest_run(ctx, "tests", select="not hang")
    assert result.success and result.exit_code == 2  # pytest stops after collection errors
    assert [(case.node_id, case.outcome) for case in result.tests] == [
        ("tests/test_syntax.py", "error")
    ]
    assert result.errors == 1
    assert "SyntaxError" in (result.tests[0].message or "")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _working_in(root: Path) -> list[int]:
    """Live host processes whose working directory is ``root`` or below."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = (entry / "cwd").resolve(strict=True)
        except OSError:
            continue
        if cwd.is_relative_to(root.resolve()) and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


async def test_a_hanging_run_is_killed_with_its_children(ctx: ToolContext) -> None:
    ctx = ToolContext(ctx.workspace, ToolConfig(pytest_timeout=6.0))
    result = await pytest_run(ctx, "tests", select="hang")
    assert result.timed_out and not result.success
    assert result.error is not None and "timed out after 6s" in result.error
    assert result.running == "tests/test_hang.py::test_hang"
    assert "tests/test_hang.py::test_hang" in result.error
    assert 6.0 <= result.duration < 20.0
    # the pids the run wrote are its own PID namespace's (pytest runs confined), so the host's
    # processes are found by their working directory: the workspace
    assert len((ctx.workspace.root / "hang.pids").read_text().split()) == 2
    with anyio.move_on_after(5):
        while _working_in(ctx.workspace.root):
            await anyio.sleep(0.05)
    assert not _working_in(ctx.workspace.root), "pytest or its sleep child survived"


async def test_pytest_run_refuses_paths_outside(ctx: ToolContext) -> None:
    (ctx.workspace.root / "escape").symlink_to("/tmp")
    for path in ("../x", "/etc/passwd", "escape"):
        result = await pytest_run(ctx, path)
        assert not result.success and repr(path) in (result.error or "")
        assert "outside the workspace" in (result.error or "")
    missing = await pytest_run(ctx, "nope")
    assert not missing.success and "does not exist" in (missing.error or "")


async def test_bad_select_expression_is_an_error_result(ctx: ToolContext) -> None:
    result = await pytest_run(ctx, "tests", select="and (")
    assert not result.success and result.exit_code == 4
    assert result.error is not None and "-k" in result.error


_SUMMARY_COUNT = re.compile(r"(\d+) (passed|failed|error|errors|skipped|xfailed|xpassed)\b")


@pytest.mark.parametrize("spec", ["six==1.17.0", "pluggy==1.5.0"])
async def test_pytest_run_without_a_path_runs_what_plain_pytest_runs(
    spec: str, tmp_path: Path
) -> None:
    """Real projects: six keeps its tests in one root module, pluggy points ``testpaths`` at
    ``testing/``; neither has ``tests/``. With no path the tool runs what ``pytest`` would:
    its count equals plain pytest's own summary line, skipped tests included."""
    fetched = fetch(spec, pin_file=default_pin_file())
    root = tmp_path / fetched.path.name
    shutil.copytree(fetched.path, root, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=no"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    summary = plain.stdout.strip().splitlines()[-1]
    counts = {kind.removesuffix("s"): int(n) for n, kind in _SUMMARY_COUNT.findall(summary)}
    async with ToolContext.at(root, ToolConfig(pytest_timeout=300.0)) as ctx:
        result = await pytest_run(ctx)
    assert result.success and result.path == ".", result.error
    assert len(result.tests) == sum(counts.values()) > 20, summary
    assert result.skipped == counts.get("skipped", 0) + counts.get("xfailed", 0), summary
    assert result.failed == counts.get("failed", 0), summary
    # The harvest's ground truth counts the same tests (two skips on one "[1]" line each used
    # to count as one, so six's truth was 199 of 200).
    assert len(pytest_outcomes(root)) == len(result.tests)
