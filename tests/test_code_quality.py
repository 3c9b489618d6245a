"""punie's own code holds the bar it sets: ``pyright`` strict on ``punie/`` with the project's
environment (named in ``pyproject.toml``), ``ruff check`` and ``ruff format --check``."""

from __future__ import annotations

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
