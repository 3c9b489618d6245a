"""An OS sandbox for the processes the tools run on files the model can write.

pytest imports ``conftest.py``, git reads ``.git/config``, ruff follows ``extend``: each can run or
read what a model-written program put in the workspace. So every such process runs under
bubblewrap (``bwrap``, Debian's ``bubblewrap``) with:

* a minimal read-only root: ``/usr`` (and its ``/bin``, ``/lib`` links), a few ``/etc`` files, the
  Python installation and the project's environment; nothing else of the host, so ``$HOME``
  and other checkouts are not there, and a symlink that leads out of the workspace resolves
  to nothing;
* the workspace (and any scratch directory the tool names) as the only writable places, a
  private ``/tmp``, no network, its own PID namespace;
* a short allow-list environment: no tokens or keys from the host's.

Where bubblewrap is missing the tools refuse to run such processes, with a message that says
how to install it, unless confinement is switched off explicitly (``PUNIE_UNCONFINED=1``).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from punie.errors import PunieError

__all__ = ["Confinement", "ConfinementUnavailable", "Mode", "bwrap_program", "mode_from_env"]

Mode = Literal["bwrap", "off"]

_ETC = (
    "passwd",
    "group",
    "nsswitch.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "alternatives",
    "mime.types",
)
_TOP_LINKS = ("bin", "lib", "lib32", "lib64", "libx32", "sbin")
_ENV_KEEP = ("LANG", "LC_ALL", "LC_CTYPE", "TZ")


class ConfinementUnavailable(PunieError):
    """No OS sandbox on this machine, and confinement was not switched off."""


def mode_from_env(env: Mapping[str, str] | None = None) -> Mode:
    """``off`` when ``PUNIE_UNCONFINED=1`` is set, else ``bwrap``."""
    value = (env if env is not None else os.environ).get("PUNIE_UNCONFINED", "")
    return "off" if value.strip() in {"1", "true", "yes"} else "bwrap"


@cache
def bwrap_program() -> str | None:
    """The ``bwrap`` executable, or None (looked up once per process)."""
    return shutil.which("bwrap")


@cache
def _python_roots() -> tuple[Path, ...]:
    """The directories the running interpreter and its environment live in."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent}
    return tuple(sorted({p.resolve() for p in roots if p.exists()}))


@cache
def _system_mounts() -> tuple[str, ...]:
    """The read-only system part of every sandbox: ``/usr`` and its top-level links, a few
    ``/etc`` files, ``/proc``, ``/dev`` and a private ``/tmp`` (worked out once per process)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _TOP_LINKS:
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    for name in _ETC:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return (*args, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp")


@dataclass(frozen=True)
class Confinement:
    """How to run one process on ``workspace``; ``wrap`` gives the argv and environment."""

    workspace: Path
    mode: Mode = "bwrap"
    writable: tuple[Path, ...] = ()
    also_readable: tuple[Path, ...] = ()
    """Host paths the process may read besides the system, Python and the workspace (the
    ``.git`` directory of a repository the workspace sits inside)."""
    readable: tuple[Path, ...] = field(default_factory=_python_roots)

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The allow-listed environment: a PATH of the environment's and the system's bin
        directories, a throwaway HOME, the locale, and what the tool itself sets."""
        if self.mode == "off":
            return {**os.environ, **(extra or {})}
        path = [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
        env = {"PATH": os.pathsep.join(path), "HOME": "/tmp", "TERM": "dumb"}
        env.update({k: os.environ[k] for k in _ENV_KEEP if k in os.environ})
        env.setdefault("LANG", "C.UTF-8")
        env.update(extra or {})
        return env

    def wrap(
        self, argv: Sequence[str], cwd: Path, extra_env: Mapping[str, str] | None = None
    ) -> tuple[list[str], dict[str, str]]:
        """``(argv, env)`` to start: the program under bwrap, or as it is when off."""
        env = self.environment(extra_env)
        if self.mode == "off":
            return list(argv), env
        program = bwrap_program()
        if program is None:
            raise ConfinementUnavailable(
                f"refusing to run {Path(argv[0]).name} on the workspace unconfined: bubblewrap "
                "(bwrap) is not installed. Install it (Debian: apt-get install bubblewrap; "
                "bin/setup does) or set PUNIE_UNCONFINED=1 to run tools without an OS sandbox."
            )
        # no --new-session: callers start bwrap in a session of its own with no controlling
        # terminal, and keeping the sandbox in bwrap's process group lets a kill of the
        # group (a timeout) reach every process in it
        args = [program, "--die-with-parent"]
        args += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
        args += _system_mounts()
        mounted = (Path("/usr"), *self.readable, *self.also_readable, self.workspace.resolve())
        programs = [
            Path(a)
            for a in argv
            if a.startswith("/")
            and Path(a).is_file()
            and not any(Path(a).is_relative_to(root) for root in mounted)
        ]
        for path in (*self.readable, *self.also_readable, *programs):
            if not str(path).startswith("/usr/"):
                args += ["--ro-bind", str(path), str(path)]
        root = self.workspace.resolve()
        args += ["--bind", str(root), str(root)]
        for path in self.writable:
            args += ["--bind", str(path), str(path)]
        args += ["--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        args += ["--chdir", str(cwd.resolve()), "--", *argv]
        return args, env
