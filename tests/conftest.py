"""Shared fixtures: the anyio backend (pygls needs asyncio) and disposable sandbox copies."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SANDBOXES = REPO / "sandboxes"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def anyio_backend_module() -> str:
    return "asyncio"


def copy_sandbox(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(SANDBOXES / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture
def shop_copy(tmp_path: Path) -> Path:
    """A fresh copy of the shop sandbox that a test may edit."""
    return copy_sandbox("shop", tmp_path)


def live_processes() -> list[tuple[int, int, int]]:
    """``(pid, parent pid, process group)`` of every live (non-zombie) process, from /proc."""
    found: list[tuple[int, int, int]] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            found.append((int(entry), int(fields[1]), int(fields[2])))
    return found


def group_processes(pgid: int) -> list[int]:
    """Live processes in process group ``pgid``."""
    return [pid for pid, _, group in live_processes() if group == pgid]


@pytest.fixture
def no_leftover_processes() -> Iterator[list[int]]:
    """Collects server process-group ids; asserts after the test that none of them survive."""
    groups: list[int] = []
    yield groups
    deadline = time.monotonic() + 3.0  # a SIGKILLed group takes a moment to be reaped
    for pgid in groups:
        while group_processes(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert group_processes(pgid) == [], f"process group {pgid} still has live processes"


@pytest.fixture
def ray_cluster() -> Iterator[object]:
    """A real two-node Ray cluster on this machine (one CPU each), joined by this process."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
    try:
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
