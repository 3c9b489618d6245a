"""A small real repository for the tool tests, with known findings.

- pyright: one error (``calc.py`` line 11, reportReturnType) and one warning (line 19,
  reportUnusedExpression).
- ruff (rules E and F from ``ruff.toml``): F401 at calc.py:3:8 (fixable) and F841 at calc.py:15:5
  (not fixable by ``--fix``: its fix is unsafe).
- ruff format: only ``messy.py`` would be reformatted.
- pytest: ``tests/test_calc.py`` has one passing and one failing test; ``tests/test_hang.py`` hangs
  (it starts a ``sleep`` child too, and writes both pids to ``hang.pids``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FILES = {
    "ruff.toml": '[lint]\nselect = ["E", "F"]\n',
    "calc.py": '''"""A small calculator."""

import os


def add(a: int, b: int) -> int:
    return a + b


def label(n: int) -> str:
    return n


def unused_local() -> None:
    value = 1


def touch() -> None:
    add
''',
    "messy.py": "def double(x: int) -> int:\n    return x*2\n",
    "notes.txt": "TODO: add subtraction\nnothing here\ntodo lowercase\n",
    "tests/test_calc.py": """from calc import add


def test_add_ok() -> None:
    assert add(1, 2) == 3


def test_add_wrong() -> None:
    assert add(1, 2) == 4
""",
    "tests/test_hang.py": """import os
import subprocess
import time
from pathlib import Path


def test_hang() -> None:
    child = subprocess.Popen(["sleep", "1000"])
    Path("hang.pids").write_text(f"{os.getpid()} {child.pid}")
    time.sleep(1000)
""",
}

GIT_IDENTITY = ["-c", "user.name=Punie Test", "-c", "user.email=test@example.com"]


def make_repo(root: Path) -> Path:
    """Write :data:`FILES` under ``root``; return ``root``."""
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=root, check=True, capture_output=True, text=True
    )
    return done.stdout
