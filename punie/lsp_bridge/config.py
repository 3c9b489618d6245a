"""Which language server to run, and how patiently."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from punie.confinement import Mode, mode_from_env

__all__ = ["ServerConfig"]


def _venv_bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    return found or name


@dataclass(frozen=True)
class ServerConfig:
    """A language-server command and the timeouts punie uses with it.

    ``pyright`` is the default; ``ServerConfig.ty()`` runs ``ty server`` instead.
    """

    command: tuple[str, ...] = field(
        default_factory=lambda: (_venv_bin("pyright-langserver"), "--stdio")
    )
    name: str = "pyright"
    request_timeout: float = 10.0
    start_timeout: float = 60.0
    ready_timeout: float = 30.0
    """How long readiness may wait for its proof before the server counts as ready, unproven."""
    restart_attempts: int = 4
    restart_backoff: float = 0.25
    """Seconds before the second start attempt; doubled after each failed one."""
    shutdown_timeout: float = 3.0
    settings: dict[str, Any] = field(default_factory=lambda: {})
    confinement: Mode = field(default_factory=mode_from_env)
    """``bwrap``: the server runs in the OS sandbox (:mod:`punie.confinement`); ``off``
    (``PUNIE_UNCONFINED=1``): unconfined."""
    send_workspace_folders: bool = True
    """Handshake steps pyright needs; switchable only so tests can show each pitfall."""
    send_configuration_change: bool = True

    @classmethod
    def pyright(cls, **overrides: Any) -> ServerConfig:
        return cls(**overrides)

    @classmethod
    def ty(cls, **overrides: Any) -> ServerConfig:
        return cls(command=(_venv_bin("ty"), "server"), name="ty", **overrides)

    @classmethod
    def named(cls, name: str, **overrides: Any) -> ServerConfig:
        """``pyright``, ``ty``, or a full command line (``"mylsp --stdio"``)."""
        if name == "pyright":
            return cls.pyright(**overrides)
        if name == "ty":
            return cls.ty(**overrides)
        parts = tuple(name.split())
        return cls(command=parts, name=Path(parts[0]).name, **overrides)

    def configuration_for(self, section: str | None) -> Any:
        """The answer to one ``workspace/configuration`` item."""
        base: dict[str, Any] = {
            "python": {"pythonPath": sys.executable},
            "python.analysis": {
                "diagnosticMode": "openFilesOnly",
                "autoSearchPaths": True,
                "useLibraryCodeForTypes": True,
            },
            "pyright": {},
        }
        base.update(self.settings)
        if section is None:
            return base
        if section in base:
            return base[section]
        return None
