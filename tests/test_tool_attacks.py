"""Attacks a model-written program could make through the tools, against the real git, ruff,
pytest and grep: each must fail while the tool itself keeps working. The first tests are the
OS sandbox (bubblewrap) around every tool process; the rest are the specific closes, which hold
even with the sandbox switched off."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from punie.tools import ToolConfig, ToolContext, files
from punie.tools.edits import replace_in_file, write_file
from punie.tools.files import grep, run_command
from punie.tools.git import git_diff, git_status
from punie.tools.quality import ruff_check, ruff_format
from punie.tools.testing import pytest_run
from tests._tool_repo import git, make_repo

pytestmark = pytest.mark.anyio


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "ws")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "Initial sample")
    return root


_CONFTEST = """
import os, socket, pathlib

def _try(what, fn):
    try:
        fn()
        return f"{what}: done"
    except Exception as exc:
        return f"{what}: {type(exc).__name__}"

def _connect():
    socket.create_connection(("127.0.0.1", @PORT@), timeout=2).close()

report = [
    _try("host file", lambda: pathlib.Path("@MARKER@").write_text("pwned")),
    _try("outside read", lambda: pathlib.Path("@SECRET@").read_text()),
    _try("network", _connect),
    "env secret: " + os.environ.get("PUNIE_TEST_SECRET", "absent"),
    "home: " + os.environ.get("HOME", ""),
]
pathlib.Path("attack-report.txt").write_text("\\n".join(report))
"""


async def test_conftest_code_runs_in_the_sandbox_not_on_the_host(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conftest.py the model wrote runs when pytest_run runs, by design; in the sandbox it
    cannot write the host's files, read outside the workspace, reach the network or see the
    host's environment, and the tests still run."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    marker, secret = tmp_path / "pytest-escaped", tmp_path / "secret.txt"
    secret.write_text("the host's secret")
    monkeypatch.setenv("PUNIE_TEST_SECRET", "sk-do-not-leak")
    conftest = (
        _CONFTEST.replace("@PORT@", str(listener.getsockname()[1]))
        .replace("@MARKER@", str(marker))
        .replace("@SECRET@", str(secret))
    )
    (repo / "tests" / "conftest.py").write_text(conftest)
    try:
        result = await pytest_run(ToolContext.at(repo), select="not hang")
    finally:
        listener.close()
    assert result.success and result.passed >= 1, result.error
    report = (repo / "attack-report.txt").read_text().splitlines()
    assert report[1:] == [
        "outside read: FileNotFoundError",
        "network: OSError" if "network: OSError" in report else "network: ConnectionRefusedError",
        "env secret: absent",
        "home: /tmp",
    ], report
    assert not marker.exists()  # the write landed in the sandbox's private /tmp, if anywhere


async def test_a_symlink_out_of_the_workspace_leads_nowhere(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("x   =   1\n")
    (repo / "escape.py").symlink_to(outside)
    result = await ruff_format(ToolContext.at(repo), ".", check=False)
    assert outside.read_text() == "x   =   1\n"  # the outside file is untouched
    assert "escape.py" not in result.files  # nothing was reformatted through the link
    unconfined = ToolContext(ToolContext.at(repo).workspace, ToolConfig(confinement="off"))
    check = await ruff_format(unconfined, ".", check=True)
    assert "escape.py" in check.files  # without the sandbox ruff would follow it
    listed = await run_command(
        ToolContext(ToolContext.at(repo).workspace, ToolConfig(allowed_commands=("cat",))),
        "cat",
        "escape.py",
    )
    assert "x   =   1" not in listed.stdout


async def test_without_bubblewrap_the_process_tools_refuse(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from punie import confinement

    monkeypatch.setattr(confinement, "bwrap_program", lambda: None)
    result = await pytest_run(ToolContext.at(repo), select="not hang")
    assert not result.success and "bubblewrap" in (result.error or "")
    assert "PUNIE_UNCONFINED=1" in (result.error or "")
    status = await git_status(ToolContext.at(repo))
    assert not status.success and "bubblewrap" in (status.error or "")


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
