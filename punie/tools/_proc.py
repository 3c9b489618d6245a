"""Running the real programs behind the tools: argv lists only (never a shell), a wall-clock limit
that kills the whole process group, and output captured up to a cap."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.abc import ByteReceiveStream

from punie.confinement import Confinement

__all__ = ["Completed", "run_program", "tail", "venv_program"]

DEFAULT_OUTPUT_CAP = 4_000_000


@dataclass(frozen=True)
class Completed:
    """What a finished (or killed) program left: exit status, decoded output, wall time."""

    returncode: int | None
    stdout: str
    stderr: str
    duration: float
    timed_out: bool
    truncated: bool


def venv_program(name: str) -> str:
    """The executable ``name`` installed next to the running interpreter (pyright, ruff)."""
    return str(Path(sys.executable).parent / name)


def tail(text: str, lines: int = 20) -> str:
    """The last ``lines`` non-empty lines of ``text``."""
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


class _Capture:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    async def drain(self, stream: ByteReceiveStream | None) -> None:
        if stream is None:
            return
        async for chunk in stream:  # keep reading past the cap so the program never blocks
            room = self.cap - self.size
            if room <= 0:
                self.truncated = True
                continue
            if len(chunk) > room:
                chunk = chunk[:room]
                self.truncated = True
            self.chunks.append(chunk)
            self.size += len(chunk)

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", errors="replace")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def run_program(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    confinement: Confinement | None = None,
) -> Completed:
    """Run ``argv`` in its own session; past ``timeout`` seconds the whole group is killed.

    With ``confinement`` the program runs in its OS sandbox and ``env`` holds only what the
    caller adds to the sandbox's allow-listed environment; without it ``env`` is passed as is.
    Raises :class:`OSError` when the program cannot be started, and
    :class:`~punie.confinement.ConfinementUnavailable` when it may not run unconfined.
    """
    start = time.perf_counter()
    out, err = _Capture(output_cap), _Capture(output_cap)
    timed_out = False
    if confinement is not None:
        command, environment = confinement.wrap(argv, cwd, env)
    else:
        command, environment = list(argv), None if env is None else dict(env)
    process = await anyio.open_process(
        command, cwd=cwd, env=environment, stdin=subprocess.DEVNULL, start_new_session=True
    )
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(out.drain, process.stdout)
            group.start_soon(err.drain, process.stderr)
            with anyio.move_on_after(timeout) as scope:
                await process.wait()
            timed_out = scope.cancelled_caught
            # Kill what is left of the group (the program on timeout, orphans it started otherwise)
            # so that the pipes close and nothing outlives the call.
            _kill_group(process.pid)
            await process.wait()
    finally:
        if process.returncode is None:
            _kill_group(process.pid)
            with anyio.CancelScope(shield=True):
                await process.wait()
        with anyio.CancelScope(shield=True):
            await process.aclose()
    return Completed(
        returncode=None if timed_out else process.returncode,
        stdout=out.text(),
        stderr=err.text(),
        duration=time.perf_counter() - start,
        timed_out=timed_out,
        truncated=out.truncated or err.truncated,
    )
