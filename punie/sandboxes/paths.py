"""Where sandboxes live: the bundled directory, the cache, the pin file."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["bundled_dir", "cache_dir", "default_pin_file"]

_REPO_ROOT = Path(__file__).resolve().parents[2]


def bundled_dir() -> Path:
    """The directory of bundled sandboxes: ``$PUNIE_SANDBOXES`` or the repo's ``sandboxes/``.

    The directory may not exist (an installed wheel carries no sandboxes); callers check.
    """
    override = os.environ.get("PUNIE_SANDBOXES")
    if override:
        return Path(override).expanduser().resolve()
    return _REPO_ROOT / "sandboxes"


def cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else ``$PUNIE_CACHE``, else ``~/.cache/punie`` (absolute, not created)."""
    if explicit is not None:
        return Path(explicit).expanduser().resolve()
    override = os.environ.get("PUNIE_CACHE")
    if override:
        return Path(override).expanduser().resolve()
    return (Path.home() / ".cache" / "punie").resolve()


def default_pin_file() -> Path:
    """``$PUNIE_SANDBOX_PINS``, else ``pins.txt`` in the bundled sandboxes directory."""
    override = os.environ.get("PUNIE_SANDBOX_PINS")
    if override:
        return Path(override).expanduser().resolve()
    return bundled_dir() / "pins.txt"
