"""punie's own code holds the bar it sets: ``pyright`` strict on ``punie/`` with the project's
environment (named in ``pyproject.toml``), ``ruff check`` and ``ruff format --check``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.timeout(600)
def test_pyright_strict_on_punie_reports_nothing() -> None:
    out = _run(str(BIN / "pyright"), "punie")
    assert out.returncode == 0, out.stdout[-4000:]
    assert "0 errors, 0 warnings" in out.stdout


def test_ruff_check_and_format_are_clean() -> None:
    check = _run(str(BIN / "ruff"), "check", "punie", "tests", "benchmarks")
    assert check.returncode == 0, check.stdout[-4000:]
    formatted = _run(str(BIN / "ruff"), "format", "--check", "punie", "tests", "benchmarks")
    assert formatted.returncode == 0, formatted.stdout[-4000:]


def test_every_parse_goes_through_the_thread_safe_one() -> None:
    """CPython 3.11's ``ast.parse`` races across threads (python/cpython#106905): a CI harvest of
    two repositories failed with ``AST constructor recursion depth mismatch``. So only
    ``punie/pysyntax.py`` may call it; everything else calls ``punie.pysyntax.parse``."""
    offenders: list[str] = []
    for path in sorted([*(REPO / "punie").rglob("*.py"), *(REPO / "tests").rglob("*.py")]):
        if path.is_relative_to(REPO / "punie" / "sandboxes") or path.name == "pysyntax.py":
            continue
        tree = compile(path.read_text("utf-8"), str(path), "exec", ast.PyCF_ONLY_AST)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "parse"
                and isinstance(node.value, ast.Name)
                and node.value.id == "ast"
            ):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == [], offenders
