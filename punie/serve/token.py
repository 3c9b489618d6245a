"""The per-server token: written to a 0600 file when ``punie serve`` listens on TCP, required
on every request, read back by clients of the same user."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from punie.sandboxes.paths import cache_dir

__all__ = ["new_token_file", "read_token", "token_file"]


def token_file(host: str, port: int) -> Path:
    """``serve/HOST-PORT.token`` in punie's cache (``$PUNIE_CACHE`` or ``~/.cache/punie``)."""
    return cache_dir() / "serve" / f"{host}-{port}.token"


def new_token_file(host: str, port: int) -> tuple[str, Path]:
    """A fresh random token, written to its file with mode 0600 (the directory 0700)."""
    path = token_file(host, port)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    token = secrets.token_urlsafe(32)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token, path


def read_token(host: str, port: int) -> str | None:
    try:
        return token_file(host, port).read_text().strip() or None
    except OSError:
        return None
