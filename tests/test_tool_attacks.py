"""Attacks a model-written program could make through the tools, against the real git, ruff and
grep: each must fail while the tool itself keeps working. (The OS sandbox around every tool
process is a separate, open piece of work; these are the specific closes.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from punie.tools import files
from punie.tools._context import ToolContext
from punie.tools.edits import replace_in_file, write_file
from punie.tools.files import grep
from punie.tools.git import git_diff, git_status
from punie.tools.quality import ruff_check
from tests._tool_repo import git, make_repo

pytestmark = pytest.mark.anyio


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "ws")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "Initial sample")
    return root


def _append_config(repo: Path, text: str) -> None:
    with (repo / ".git" / "config").open("a") as handle:
        handle.write(text)


async def test_fsmonitor_in_the_repo_config_runs_nothing(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "fsmonitor-ran"
    _append_config(repo, f'[core]\n\tfsmonitor = "touch {marker}; false"\n')
    (repo / "calc.py").write_text("X = 2\n")
    result = await git_status(ToolContext.at(repo))
    assert result.success and ("calc.py", " M") in {(e.path, e.code) for e in result.entries}
    assert not marker.exists()


async def test_textconv_and_external_diff_drivers_run_nothing(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "driver-ran"
    _append_config(
        repo,
        f'[diff "evil"]\n\ttextconv = "touch {marker}; cat"\n'
        f'[diff]\n\texternal = "touch {marker}"\n',
    )
    (repo / ".gitattributes").write_text("*.py diff=evil\n")
    (repo / "calc.py").write_text("X = 2\n")
    result = await git_diff(ToolContext.at(repo))
    assert result.success and "+X = 2" in result.text
    assert not marker.exists()


async def test_edits_never_reach_into_git(repo: Path) -> None:
    ctx = ToolContext.at(repo)
    config = (repo / ".git" / "config").read_text()
    written = await write_file(ctx, ".git/config", "[core]\n\tfsmonitor = x\n")
    assert not written.success and "inside .git" in (written.error or "")
    hook = await write_file(ctx, "sub/../.git/hooks/pre-commit", "#!/bin/sh\n")
    assert not hook.success and "inside .git" in (hook.error or "")
    replaced = await replace_in_file(ctx, ".git/config", "[core]", "[core]\n\tpager = x")
    assert not replaced.success and "inside .git" in (replaced.error or "")
    assert (repo / ".git" / "config").read_text() == config
    ok = await write_file(ctx, "notes/git.txt", "a .git-like name elsewhere is fine\n")
    assert ok.success


async def test_ruff_config_extending_an_outside_file_shows_none_of_it(
    repo: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:TOPSECRET-LINE\n")
    (repo / "ruff.toml").write_text(f'extend = "{secret}"\n')
    result = await ruff_check(ToolContext.at(repo))
    assert not result.success and result.error
    assert "TOPSECRET" not in result.error and "root:x" not in result.error
    assert "secret.txt" in result.error  # the path is named, its content is not


async def test_catastrophic_regex_is_stopped_at_its_deadline(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "GREP_SECONDS", 1.0)
    (repo / "evil.txt").write_text("a" * 40 + "!\n")
    ctx = ToolContext.at(repo)
    started = time.monotonic()
    quick = await grep(ctx, "(a+)+$", regex=True)  # the pattern: linear in `regex`
    assert quick.success and quick.match_count == 0 and time.monotonic() - started < 1
    started = time.monotonic()
    result = await grep(ctx, "(a|a)+$", regex=True)  # exponential even there
    assert time.monotonic() - started < 5
    assert not result.success and "longer than 1s" in (result.error or "")
    plain = await grep(ctx, "aaaa!")
    assert plain.success and plain.match_count == 1  # grep still works
