"""The bundled sandboxes, checked against the real tools, and sandbox management.

pyright, ruff and pytest run as real subprocesses on episode copies (never on the tracked
``sandboxes/`` tree, so no caches land there); the expectations live in ``sandbox_facts.py``.
The fetch tests download one small sdist from PyPI and skip only when PyPI is unreachable.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from punie.cli import sandbox_cmd
from punie.sandboxes import (
    FetchedSandbox,
    HashMismatch,
    InvalidSpec,
    NetworkUnavailable,
    NotAnEpisode,
    SandboxError,
    UnknownSandbox,
    UnsafeArchive,
    bundled_dir,
    fetch,
    is_episode,
    list_sandboxes,
    materialize,
    parse_spec,
    reset,
    safe_extract,
)
from punie.sandboxes.pypi import read_pins, sha256_of
from tests.sandbox_facts import SANDBOX_FACTS

NAMES = sorted(SANDBOX_FACTS)
BIN = Path(sys.executable).parent
FETCH_SPEC = "six==1.17.0"
CACHE_SKIP = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


def _tool(name: str) -> str:
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    assert found, f"{name} is not installed in the test environment"
    return found


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    for key in ("PYTEST_ADDOPTS", "PYTHONPATH", "PUNIE_SANDBOXES"):
        env.pop(key, None)
    return env


# ----------------------------------------------------------------------------- episode copies


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("episodes")
    return {name: materialize(name, root / name) for name in NAMES}


@pytest.fixture(scope="module")
def pyright_reports(copies: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """``pyright --outputjson`` in each copy, the three runs in parallel."""
    procs = {
        name: subprocess.Popen(
            [_tool("pyright"), "--outputjson"],
            cwd=path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_clean_env(),
        )
        for name, path in copies.items()
    }
    reports: dict[str, dict[str, Any]] = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=180)
        assert proc.returncode in (0, 1), f"pyright failed on {name}: {err[-2000:]}"
        reports[name] = json.loads(out)
    return reports


def test_bundled_sandboxes_are_listed() -> None:
    infos = {info.name: info for info in list_sandboxes()}
    for name in NAMES:
        assert infos[name].kind == "bundled"
        assert infos[name].path == bundled_dir() / name
        assert infos[name].version
        assert not (bundled_dir() / name / ".git").exists(), "bundled sandboxes hold no .git"


@pytest.mark.parametrize("name", NAMES)
def test_python_files_match_facts(name: str) -> None:
    root = bundled_dir() / name
    found = sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if not CACHE_SKIP.intersection(path.relative_to(root).parts)
    )
    assert found == SANDBOX_FACTS[name]["python_files"]


@pytest.mark.parametrize("name", NAMES)
def test_sandbox_imports_only_stdlib(name: str) -> None:
    root = bundled_dir() / name
    package = SANDBOX_FACTS[name]["package"]
    allowed = set(sys.stdlib_module_names) | {package, "tests", "__future__"}
    for rel in SANDBOX_FACTS[name]["python_files"]:
        text = (root / rel).read_text(encoding="utf-8")
        for match in re.finditer(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", text, re.MULTILINE):
            assert match.group(1) in allowed, f"{name}/{rel} imports {match.group(1)}"


@pytest.mark.parametrize("name", NAMES)
def test_pyright_type_errors(name: str, pyright_reports: dict[str, dict[str, Any]]) -> None:
    report = pyright_reports[name]
    base = _copy_root(report, name)
    errors = sorted(
        (
            Path(diag["file"]).relative_to(base).as_posix(),
            diag["range"]["start"]["line"] + 1,
            diag.get("rule"),
        )
        for diag in report["generalDiagnostics"]
        if diag["severity"] == "error"
    )
    assert errors == sorted(SANDBOX_FACTS[name]["type_errors"])
    assert 2 <= len(errors) <= 4
    assert report["summary"]["warningCount"] == SANDBOX_FACTS[name]["pyright_warnings"]


def _copy_root(report: dict[str, Any], name: str) -> Path:
    """The copy's root, recovered from an error's file path and the facts' relative path."""
    first = SANDBOX_FACTS[name]["type_errors"][0][0]
    for diag in report["generalDiagnostics"]:
        path = Path(diag["file"])
        if path.as_posix().endswith("/" + first):
            return Path(path.as_posix()[: -len(first) - 1])
    raise AssertionError(f"pyright reported nothing in {first} for {name}")


def _ruff(path: Path, *extra: str) -> list[tuple[str, int, str]]:
    done = subprocess.run(
        [_tool("ruff"), "check", "--no-cache", "--output-format", "json", *extra, "."],
        cwd=path,
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    return sorted(
        (Path(item["filename"]).relative_to(path).as_posix(), item["location"]["row"], item["code"])
        for item in json.loads(done.stdout)
    )


@pytest.mark.parametrize("name", NAMES)
def test_ruff_violations(name: str, copies: dict[str, Path]) -> None:
    found = _ruff(copies[name])
    assert found == sorted(SANDBOX_FACTS[name]["ruff_violations"])
    assert 3 <= len(found) <= 6
    assert {code for _, _, code in found} <= {
        "E711",
        "E722",
        "E731",
        "E741",
        "F401",
        "F541",
        "F841",
    }


@pytest.mark.parametrize("name", NAMES)
def test_ruff_isolated_violations(name: str, copies: dict[str, Path]) -> None:
    assert _ruff(copies[name], "--isolated") == sorted(
        SANDBOX_FACTS[name]["ruff_isolated_violations"]
    )


@pytest.fixture(scope="module")
def pytest_runs(copies: dict[str, Path]) -> dict[str, tuple[int, str]]:
    """``python -m pytest -q -rA`` in each copy, the three runs in parallel."""
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA"],
            cwd=path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=_clean_env(),
        )
        for name, path in copies.items()
    }
    return {name: (proc.wait(timeout=180), proc.communicate()[0]) for name, proc in procs.items()}


@pytest.mark.parametrize("name", NAMES)
def test_pytest_outcomes(name: str, pytest_runs: dict[str, tuple[int, str]]) -> None:
    facts = SANDBOX_FACTS[name]
    code, output = pytest_runs[name]
    assert code == 1, output[-3000:]
    lines = output.splitlines()
    passed = [line.split()[1] for line in lines if line.startswith("PASSED ")]
    failed = [line.split()[1] for line in lines if line.startswith("FAILED ")]
    assert failed == [facts["failing_test"]]
    assert sorted(passed + failed) == sorted(facts["test_ids"])
    assert len(facts["test_ids"]) == facts["tests_total"] == facts["tests_passed"] + 1
    summary = output.strip().splitlines()[-1]
    assert re.match(rf"^=* ?1 failed, {facts['tests_passed']} passed in ", summary), summary


@pytest.mark.parametrize("name", NAMES)
def test_todo_comments(name: str) -> None:
    root = bundled_dir() / name
    found: list[tuple[str, int, str]] = []
    for rel in SANDBOX_FACTS[name]["python_files"]:
        lines = (root / rel).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            match = re.search(r"#\s*(TODO|FIXME)\b", line)
            if match:
                found.append((rel, number, match.group(1)))
    assert found == SANDBOX_FACTS[name]["todo_comments"]


@pytest.mark.parametrize("name", NAMES)
def test_symbol_facts_point_at_the_names(name: str) -> None:
    """Each recorded definition position holds the name; each referencing file mentions it.

    (The reference lists themselves were measured with pyright's textDocument/references.)
    """
    root = bundled_dir() / name
    for qualified, symbol in SANDBOX_FACTS[name]["symbols"].items():
        short = qualified.rsplit(".", 1)[-1]
        file, line, column = symbol["defined_at"]
        text = (root / file).read_text(encoding="utf-8").splitlines()[line - 1]
        assert text[column - 1 :].startswith(short), (qualified, text)
        keyword = "class" if symbol["kind"] == "class" else "def"
        assert text.lstrip().startswith(f"{keyword} {short}"), (qualified, text)
        assert file in symbol["referenced_in"]
        for ref_file in symbol["referenced_in"]:
            ref_text = (root / ref_file).read_text(encoding="utf-8")
            assert re.search(rf"\b{re.escape(short)}\b", ref_text), (qualified, ref_file)
        assert symbol["reference_count"] >= len(symbol["referenced_in"])


def test_calculate_total_is_cross_file() -> None:
    symbol = SANDBOX_FACTS["shop"]["symbols"]["calculate_total"]
    assert symbol["defined_at"][0] == "shop/pricing.py"
    users = set(symbol["referenced_in"]) - {"shop/pricing.py", "shop/__init__.py"}
    assert {"shop/cart.py", "shop/orders.py", "shop/reports.py"} <= users
    init = (bundled_dir() / "shop" / "shop" / "__init__.py").read_text(encoding="utf-8")
    assert '"calculate_total"' in init and "__all__" in init


# --------------------------------------------------------------------- materialize and reset


def _git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_materialize_edit_reset(tmp_path: Path) -> None:
    original = bundled_dir() / "shop" / "shop" / "pricing.py"
    before = original.read_bytes()
    copy = materialize("shop", tmp_path / "ep")
    assert copy == (tmp_path / "ep").resolve()
    assert is_episode(copy)
    assert (
        _git(copy, "log", "--format=%an <%ae> %aI")
        == "punie <punie@localhost> 2000-01-01T00:00:00+00:00"
    )
    assert _git(copy, "status", "--porcelain") == ""
    head = _git(copy, "rev-parse", "HEAD")

    edited = copy / "shop" / "pricing.py"
    edited.write_text("def calculate_total():\n    return 0\n")
    (copy / "shop" / "notes.txt").write_text("scratch")
    (copy / "shop" / "__pycache__").mkdir(exist_ok=True)
    (copy / "shop" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (copy / "tests" / "test_pricing.py").unlink()
    assert original.read_bytes() == before, "editing the copy touched the original"
    _git(copy, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qam", "agent commit")
    _git(copy, "checkout", "-qb", "feature")
    (copy / "nested").mkdir()
    _git(copy / "nested", "init", "-q")

    assert reset(copy) == copy
    assert edited.read_bytes() == before
    assert not (copy / "shop" / "notes.txt").exists()
    assert not (copy / "shop" / "__pycache__").exists()
    assert (copy / "tests" / "test_pricing.py").is_file()
    assert _git(copy, "status", "--porcelain", "--ignored") == ""
    assert _git(copy, "rev-parse", "HEAD") == head
    assert _git(copy, "branch", "--show-current") == "main"
    assert not (copy / "nested").exists()


def test_materialize_default_dest_is_temporary() -> None:
    copy = materialize("taskcli")
    try:
        assert copy.name == "taskcli"
        assert bundled_dir() not in copy.parents
        assert (copy / "taskcli" / "cli.py").is_file()
    finally:
        shutil.rmtree(copy.parent)


def test_materialize_is_deterministic(tmp_path: Path) -> None:
    first = materialize("textkit", tmp_path / "a")
    second = materialize("textkit", tmp_path / "b")
    assert _git(first, "rev-parse", "HEAD") == _git(second, "rev-parse", "HEAD")


def test_materialize_errors(tmp_path: Path) -> None:
    with pytest.raises(UnknownSandbox, match="no-such-sandbox"):
        materialize("no-such-sandbox")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "file").write_text("x")
    with pytest.raises(SandboxError, match="busy"):
        materialize("shop", busy)


def test_materialize_from_a_path_and_env_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "bundle" / "mini"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "mini"\nversion = "0.1"\n')
    (project / "mini.py").write_text("X = 1\n")
    (project / "__pycache__").mkdir()
    (project / "__pycache__" / "mini.cpython-311.pyc").write_bytes(b"\0")
    copy = materialize(project, tmp_path / "from-path")
    assert (copy / "mini.py").read_text() == "X = 1\n"
    assert not (copy / "__pycache__").exists()

    monkeypatch.setenv("PUNIE_SANDBOXES", str(tmp_path / "bundle"))
    monkeypatch.setenv("PUNIE_CACHE", str(tmp_path / "empty-cache"))
    assert [(info.name, info.kind, info.version) for info in list_sandboxes()] == [
        ("mini", "bundled", "0.1")
    ]
    assert (materialize("mini", tmp_path / "by-name") / "mini.py").is_file()


def test_materialize_refuses_symlinks_leading_out(tmp_path: Path) -> None:
    project = tmp_path / "linky"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "linky"\n')
    (project / "inside.py").write_text("")
    (project / "ok-link").symlink_to("inside.py")
    (project / "secret").symlink_to(tmp_path)
    with pytest.raises(SandboxError, match="secret"):
        materialize(project, tmp_path / "copy")
    assert not (tmp_path / "copy").exists()
    (project / "secret").unlink()
    copy = materialize(project, tmp_path / "copy")
    assert (copy / "ok-link").is_symlink()


def test_reset_refuses_foreign_directories(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=plain, check=True)
    with pytest.raises(NotAnEpisode, match="plain"):
        reset(plain)
    with pytest.raises(NotAnEpisode, match="missing"):
        reset(tmp_path / "missing")


# -------------------------------------------------------------------------- archive safety


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def _file(name: str, data: bytes = b"data") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def _special(name: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    return info, None


UNSAFE_CASES: dict[str, tuple[list[tuple[tarfile.TarInfo, bytes | None]], str]] = {
    "dotdot": ([_file("pkg/ok.py"), _file("pkg/../../escaped.txt")], "escaped.txt"),
    "absolute": ([_file("/tmp/punie-absolute-escape.txt")], "punie-absolute-escape.txt"),
    "symlink-absolute": ([_link("pkg/passwd", "/etc/passwd")], "pkg/passwd"),
    "symlink-out": ([_link("pkg/up", "../../..")], "pkg/up"),
    "through-symlink": (
        [_link("pkg/here", "."), _file("pkg/here/x.txt")],
        "pkg/here/x.txt",
    ),
    "late-binding-symlink": (
        [_link("pkg/l2", "l1/../../outside"), _link("pkg/l1", ".")],
        "pkg/l2",
    ),
    "hardlink-out": ([_link("pkg/hard", "/etc/passwd", tarfile.LNKTYPE)], "pkg/hard"),
    "fifo": ([_special("pkg/pipe", tarfile.FIFOTYPE)], "pkg/pipe"),
    "device": ([_special("pkg/dev", tarfile.CHRTYPE)], "pkg/dev"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE_CASES))
def test_unsafe_archive_members_are_refused(tmp_path: Path, case: str) -> None:
    members, bad_member = UNSAFE_CASES[case]
    archive = _tar(tmp_path / f"evil-{case}.tar.gz", members)
    target = tmp_path / "area" / "out"
    with pytest.raises(UnsafeArchive) as caught:
        safe_extract(archive, target)
    message = str(caught.value)
    assert archive.name in message
    assert bad_member in message
    assert not target.exists(), "a refused archive leaves nothing behind"
    assert not (tmp_path / "area" / "escaped.txt").exists()
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/tmp/punie-absolute-escape.txt").exists()


def test_safe_archive_extracts(tmp_path: Path) -> None:
    exe = tarfile.TarInfo("pkg-1.0/bin/run")
    exe.mode = 0o755
    archive = _tar(
        tmp_path / "good.tar.gz",
        [
            (exe, b"#!/bin/sh\n"),
            _file("pkg-1.0/pkg/__init__.py", b"X = 1\n"),
            _link("pkg-1.0/docs/readme-link", "../pkg/__init__.py"),
            _link("pkg-1.0/pkg/copy.py", "pkg-1.0/pkg/__init__.py", tarfile.LNKTYPE),
        ],
    )
    out = safe_extract(archive, tmp_path / "out")
    assert (out / "pkg-1.0/pkg/__init__.py").read_text() == "X = 1\n"
    assert (out / "pkg-1.0/docs/readme-link").read_text() == "X = 1\n"
    assert (out / "pkg-1.0/pkg/copy.py").read_text() == "X = 1\n"
    assert os.access(out / "pkg-1.0/bin/run", os.X_OK)


def test_zip_sdists(tmp_path: Path) -> None:
    good = tmp_path / "good-1.0.zip"
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr("good-1.0/good.py", "Y = 2\n")
    assert (safe_extract(good, tmp_path / "ok") / "good-1.0/good.py").read_text() == "Y = 2\n"
    evil = tmp_path / "evil-1.0.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("evil-1.0/ok.py", "")
        archive.writestr("evil-1.0/../../zip-escaped.txt", "x")
    with pytest.raises(UnsafeArchive, match=r"evil-1\.0\.zip.*zip-escaped\.txt"):
        safe_extract(evil, tmp_path / "area" / "bad")
    assert not (tmp_path / "area" / "bad").exists()
    assert not (tmp_path / "zip-escaped.txt").exists()


def test_corrupt_archive_is_a_clear_error(tmp_path: Path) -> None:
    archive = tmp_path / "broken-1.0.tar.gz"
    archive.write_bytes(b"this is not a tarball")
    with pytest.raises(UnsafeArchive, match=re.escape("broken-1.0.tar.gz")):
        safe_extract(archive, tmp_path / "out")


# --------------------------------------------------------------------------------- fetching


def test_parse_spec() -> None:
    spec = parse_spec("More_Itertools==10.5.0")
    assert (spec.normalized, spec.version, spec.dirname) == (
        "more-itertools",
        "10.5.0",
        "more-itertools-10.5.0",
    )
    for bad in ("six", "six>=1.0", "six==", "==1.0", "six==1.0/../x", "../six==1"):
        with pytest.raises(InvalidSpec, match=re.escape(repr(bad))):
            parse_spec(bad)


def test_pin_file_pins_the_test_sdist() -> None:
    pins = read_pins(bundled_dir() / "pins.txt")
    assert re.fullmatch(r"[0-9a-f]{64}", pins[FETCH_SPEC])


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FetchedSandbox, Path]]:
    cache = tmp_path_factory.mktemp("punie-cache")
    try:
        result = fetch(FETCH_SPEC, cache, pin_file=bundled_dir() / "pins.txt")
    except NetworkUnavailable as exc:
        pytest.skip(f"PyPI is unreachable from this machine: {exc}")
    yield result, cache


def test_fetch_downloads_verifies_and_commits(fetched: tuple[FetchedSandbox, Path]) -> None:
    result, cache = fetched
    assert result.downloaded
    assert (result.name, result.version) == ("six", "1.17.0")
    assert result.path == cache / "repos" / "six-1.17.0"
    assert (result.path / "six.py").is_file() and (result.path / "setup.py").is_file()
    assert result.sdist == cache / "sdists" / "six-1.17.0.tar.gz"
    assert sha256_of(result.sdist) == result.sha256
    assert result.sha256 == read_pins(bundled_dir() / "pins.txt")[FETCH_SPEC]
    assert _git(result.path, "rev-parse", "HEAD") == result.commit
    assert _git(result.path, "status", "--porcelain") == ""
    lock = json.loads((cache / "sandboxes.lock.json").read_text())
    assert lock["sdists"][FETCH_SPEC]["sha256"] == result.sha256
    assert lock["sdists"][FETCH_SPEC]["commit"] == result.commit


def test_fetch_again_works_offline(
    fetched: tuple[FetchedSandbox, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, cache = fetched

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network used on a cached fetch: {args!r}")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    again = fetch(FETCH_SPEC, cache, offline=True)
    assert not again.downloaded
    assert (again.path, again.sha256, again.commit) == (first.path, first.sha256, first.commit)

    shutil.rmtree(first.path)  # the repo is rebuilt from the cached sdist, still offline
    rebuilt = fetch("Six==1.17.0", cache)
    assert rebuilt.commit == first.commit, "unpack + commit is deterministic"

    with pytest.raises(SandboxError, match=r"six==9\.9\.9"):
        fetch("six==9.9.9", cache, offline=True)


def test_fetched_sandbox_is_listed_and_copyable(
    fetched: tuple[FetchedSandbox, Path], tmp_path: Path
) -> None:
    result, cache = fetched
    names = {info.name: info for info in list_sandboxes(cache)}
    assert names["six-1.17.0"].kind == "fetched"
    copy = materialize("six==1.17.0", tmp_path / "six", cache_dir=cache)
    (copy / "six.py").write_text("broken\n")
    reset(copy)
    assert (copy / "six.py").read_bytes() == (result.path / "six.py").read_bytes()


def test_wrong_hashes_are_clear_errors(
    fetched: tuple[FetchedSandbox, Path], tmp_path: Path
) -> None:
    _, cache = fetched
    pins = tmp_path / "pins.txt"
    pins.write_text(f"six==1.17.0 sha256:{'0' * 64}\n")
    with pytest.raises(HashMismatch) as caught:
        fetch(FETCH_SPEC, cache, pin_file=pins)
    assert str(pins) in str(caught.value) and "six-1.17.0.tar.gz" in str(caught.value)

    corrupt_cache = tmp_path / "cache"
    shutil.copytree(cache, corrupt_cache)
    sdist = corrupt_cache / "sdists" / "six-1.17.0.tar.gz"
    sdist.write_bytes(sdist.read_bytes() + b"tampered")
    with pytest.raises(HashMismatch, match=re.escape(str(sdist))):
        fetch(FETCH_SPEC, corrupt_cache)


# ------------------------------------------------------------------------------------- CLI


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="punie")
    sandbox_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


def test_cli_list_copy_reset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUNIE_CACHE", str(tmp_path / "cache"))
    assert _cli(["sandbox", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {item["name"] for item in listed} >= set(NAMES)

    assert _cli(["sandbox", "copy", "textkit", str(tmp_path / "tk")]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == (tmp_path / "tk").resolve()
    (path / "textkit" / "stats.py").write_text("oops\n")
    assert _cli(["sandbox", "reset", str(path)]) == 0
    assert "oops" not in (path / "textkit" / "stats.py").read_text()

    assert _cli(["sandbox", "copy", "shop", "--json"]) == 0
    copied = Path(json.loads(capsys.readouterr().out)["path"])
    assert (copied / "shop" / "pricing.py").is_file()
    shutil.rmtree(copied.parent)


def test_cli_fetch_json(
    fetched: tuple[FetchedSandbox, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    result, cache = fetched
    assert _cli(["sandbox", "fetch", FETCH_SPEC, "--cache", str(cache), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == str(result.path) and data["downloaded"] is False


def test_cli_is_wired_into_punie_main(capsys: pytest.CaptureFixture[str]) -> None:
    from punie.cli import main

    assert main(["sandbox", "list", "--json"]) == 0
    assert {item["name"] for item in json.loads(capsys.readouterr().out)} >= set(NAMES)


def test_relative_file_urls_from_an_index_mirror_are_resolved() -> None:
    from punie.sandboxes.pypi import _absolute  # pyright: ignore[reportPrivateUsage]

    files = [{"url": "../../packages/f1/70/idna-3.10.tar.gz"}, {"url": "https://x.org/a.tar.gz"}]
    resolved = _absolute(files, "https://pypi.org/pypi/idna/json")
    assert resolved[0]["url"] == "https://pypi.org/packages/f1/70/idna-3.10.tar.gz"
    assert resolved[1]["url"] == "https://x.org/a.tar.gz"
