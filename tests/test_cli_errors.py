"""Bad input at the command line gets one clear line and a non-zero status, never a traceback;
a reader that leaves early (``| head``) is not an error; nothing is left behind."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

PUNIE = [sys.executable, "-m", "punie"]


def _run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PUNIE, *args], capture_output=True, text=True, timeout=timeout)


def test_serve_and_harvest_name_the_bad_input(tmp_path: Path) -> None:
    nope = str(tmp_path / "nope")
    served = _run("serve", "--repo", nope, "--port", "0")
    assert served.returncode == 2 and "Traceback" not in served.stderr
    assert f"workspace {nope!r} is not a directory" in served.stderr
    wide = _run("serve", "--host", "0.0.0.0", "--port", "0", "--repo", str(tmp_path))
    assert wide.returncode == 2 and "only listens on loopback, not '0.0.0.0'" in wide.stderr
    db = tmp_path / "h.db"
    harvest = _run("harvest", "--repo", nope, "--out", str(db))
    assert harvest.returncode == 2 and "Traceback" not in harvest.stderr
    assert nope in harvest.stderr
    assert not db.exists(), "a harvest that cannot start must not leave an empty database"


def test_a_reader_that_leaves_early_is_not_an_error(shop_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    harvest = _run("harvest", "--repo", str(shop_copy), "--out", str(db), "--limit", "3")
    assert harvest.returncode == 0, harvest.stderr
    for args in (
        ["tool", "grep", "def", "--repo", str(shop_copy)],
        ["traces", "list", "--db", str(db)],
    ):
        command = " ".join([*PUNIE, *args]) + " | true"  # the reader is gone before any write
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
        assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


def test_harvest_leaves_no_copy_behind(shop_copy: Path, tmp_path: Path) -> None:
    scratch = Path(tempfile.gettempdir())
    before = set(scratch.glob("punie-shop-*"))
    done = _run(
        "harvest", "--repo", str(shop_copy), "--out", str(tmp_path / "h.db"), "--limit", "2"
    )
    assert done.returncode == 0, done.stderr
    assert set(scratch.glob("punie-shop-*")) - before == set()
