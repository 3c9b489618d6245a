"""git_status, git_diff and git_log on a real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from punie.tools import ToolContext
from punie.tools.git import git_diff, git_log, git_status
from tests._tool_repo import git, make_repo

pytestmark = pytest.mark.anyio


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "Initial sample")
    (root / "notes.txt").write_text("TODO: add subtraction\n")
    git(root, "commit", "-q", "-am", "Trim notes")
    # now: one unstaged modification, one staged new file, one untracked file
    calc = root / "calc.py"
    calc.write_text(calc.read_text().replace("    return n\n", "    return str(n)\n") + "# end\n")
    (root / "staged.py").write_text("X = 1\nY = 2\n")
    git(root, "add", "staged.py")
    (root / "scratch.txt").write_text("tmp\n")
    return root


async def test_git_status_lists_the_changes(repo: Path) -> None:
    result = await git_status(ToolContext.at(repo))
    assert result.success and not result.clean and result.branch == "main"
    entries = {(e.path, e.code) for e in result.entries}
    assert entries == {("calc.py", " M"), ("staged.py", "A "), ("scratch.txt", "??")}
    assert result.entry_count == 3
    assert next(e for e in result.entries if e.path == "staged.py").staged


async def test_git_status_clean_and_renamed(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "More")
    git(repo, "mv", "messy.py", "tidy.py")
    result = await git_status(ToolContext.at(repo))
    assert [(e.path, e.code, e.orig_path) for e in result.entries] == [
        ("tidy.py", "R ", "messy.py")
    ]
    git(repo, "commit", "-q", "-m", "Rename")
    clean = await git_status(ToolContext.at(repo))
    assert clean.success and clean.clean and clean.entries == ()


async def test_git_diff_counts_lines(repo: Path) -> None:
    ctx = ToolContext.at(repo)
    unstaged = await git_diff(ctx)
    assert unstaged.success
    assert [(f.path, f.added, f.removed) for f in unstaged.files] == [("calc.py", 2, 1)]
    assert "+    return str(n)" in unstaged.text and not unstaged.truncated
    staged = await git_diff(ctx, staged=True)
    assert [(f.path, f.added, f.removed) for f in staged.files] == [("staged.py", 2, 0)]
    assert (staged.file_count, staged.added, staged.removed) == (1, 2, 0)


async def test_git_log_lists_commits(repo: Path) -> None:
    result = await git_log(ToolContext.at(repo))
    assert result.success and result.commit_count == 2
    assert [c.subject for c in result.commits] == ["Trim notes", "Initial sample"]
    newest = result.commits[0]
    assert newest.author == "Punie Test" and len(newest.sha) == 40
    assert newest.sha == git(repo, "rev-parse", "HEAD").strip()
    assert newest.date[:4].isdigit() and "T" in newest.date
    one = await git_log(ToolContext.at(repo), count=1)
    assert [c.subject for c in one.commits] == ["Trim notes"]
    bad = await git_log(ToolContext.at(repo), count=0)
    assert not bad.success and "count" in (bad.error or "")


async def test_empty_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")
    ctx = ToolContext.at(tmp_path)
    log = await git_log(ctx)
    assert log.success and log.commits == ()
    status = await git_status(ctx)
    assert status.success and status.clean and status.branch == "trunk"


async def test_not_a_git_repository(tmp_path: Path) -> None:
    ctx = ToolContext.at(make_repo(tmp_path))
    for result in (await git_status(ctx), await git_diff(ctx), await git_log(ctx)):
        assert not result.success
        assert result.error is not None and "is not a git repository" in result.error


async def test_a_workspace_inside_a_repository_sees_only_itself(repo: Path) -> None:
    (repo / "tests" / "test_calc.py").write_text("# emptied\n")
    ctx = ToolContext.at(repo / "tests")
    status = await git_status(ctx)
    assert [(e.path, e.code) for e in status.entries] == [("test_calc.py", " M")]
    diff = await git_diff(ctx)
    assert [(f.path, f.added, f.removed) for f in diff.files] == [("test_calc.py", 1, 9)]
    log = await git_log(ctx)
    assert [c.subject for c in log.commits] == ["Initial sample"]
