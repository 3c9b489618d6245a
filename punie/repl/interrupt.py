"""Ctrl-C while the REPL is busy: cancel the work, leave every child process alone.

While a turn runs the terminal's ``ISIG`` is turned off and stdin is watched for ``^C``, so the
keystroke never becomes a SIGINT sent to the whole foreground process group (which holds the
sandbox workers). A SIGINT from elsewhere (``kill -INT``) cancels too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import termios
from collections.abc import Callable, Generator

__all__ = ["interruptible"]

_CTRL_C = b"\x03"


@contextlib.contextmanager
def _raw_stdin(loop: asyncio.AbstractEventLoop, fire: Callable[[], None]) -> Generator[None]:
    try:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd) if os.isatty(fd) else None
    except (OSError, ValueError, termios.error):
        saved = None
    if saved is None:
        yield
        return
    fd = sys.stdin.fileno()
    quiet = list(saved)
    quiet[3] = saved[3] & ~(termios.ICANON | termios.ECHO | termios.ISIG)
    cc = list(saved[6])
    cc[termios.VMIN], cc[termios.VTIME] = 1, 0
    quiet[6] = cc
    termios.tcsetattr(fd, termios.TCSANOW, quiet)

    def readable() -> None:
        try:
            data = os.read(fd, 1024)
        except OSError:
            return
        if _CTRL_C in data:
            fire()

    loop.add_reader(fd, readable)
    try:
        yield
    finally:
        loop.remove_reader(fd)
        termios.tcsetattr(fd, termios.TCSANOW, saved)


@contextlib.contextmanager
def interruptible(on_interrupt: Callable[[], None]) -> Generator[None]:
    """Call ``on_interrupt`` (in the event loop) on Ctrl-C or SIGINT inside the block."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
        handled = True
    except (RuntimeError, ValueError, NotImplementedError):  # not the main thread
        handled = False
    try:
        with _raw_stdin(loop, on_interrupt):
            yield
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)
