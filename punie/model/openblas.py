"""Use a multi-threaded OpenBLAS for MLX on Linux CPUs.

The ``mlx[cpu]`` wheel links ``cblas_sgemm`` from a bundled single-threaded reference BLAS
(a few GFLOPS). Debian's ``libopenblas0-pthread`` package provides
``/usr/lib/x86_64-linux-gnu/libopenblas.so.0``; when that library is found first, MLX's matrix
products run 15-30x faster. Two ways to get it in front:

* :func:`preload_in_process` loads it with ``RTLD_GLOBAL`` *before* ``mlx.core`` is imported; the
  dynamic linker then resolves MLX's BLAS symbols to it.
* :func:`reexec_with_openblas` restarts the current command with ``LD_PRELOAD`` set, for when
  MLX is already loaded. ``PUNIE_OPENBLAS_REEXEC`` guards against loops.

:func:`ensure_openblas` picks one. ``PUNIE_NO_OPENBLAS=1`` turns all of this off.
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys
from pathlib import Path
from typing import Final

__all__ = [
    "DISABLE_ENV",
    "GUARD_ENV",
    "blas_status",
    "ensure_openblas",
    "find_openblas",
    "preload_in_process",
    "reexec_with_openblas",
]

DISABLE_ENV: Final = "PUNIE_NO_OPENBLAS"
GUARD_ENV: Final = "PUNIE_OPENBLAS_REEXEC"
LIBRARY_ENV: Final = "PUNIE_OPENBLAS_LIB"
_CANDIDATES: Final = (
    "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib64/libopenblas.so.0",
    "/usr/lib/libopenblas.so.0",
)

_state: dict[str, str] = {}


def _disabled() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def find_openblas() -> str | None:
    """Path of an OpenBLAS shared library on this machine, or ``None`` (never on macOS)."""
    if not sys.platform.startswith("linux"):
        return None
    override = os.environ.get(LIBRARY_ENV)
    if override:
        return override if Path(override).is_file() else None
    for candidate in _CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = sorted(glob.glob("/usr/lib*/**/libopenblas*.so.0", recursive=True))
    return found[0] if found else None


def _preloaded() -> bool:
    return any("openblas" in part for part in os.environ.get("LD_PRELOAD", "").split(":"))


def preload_in_process(library: str | None = None) -> bool:
    """Load OpenBLAS globally so MLX, imported afterwards, uses it. False when MLX is already
    imported (too late), when disabled, or when no library is found."""
    if _disabled():
        _state["mode"] = "disabled"
        return False
    library = library or find_openblas()
    if library is None:
        _state.setdefault("mode", "unavailable")
        return False
    if _preloaded():
        _state["mode"] = "ld_preload"
        _state["library"] = library
        return True
    if _state.get("mode") == "in_process":
        return True
    if "mlx.core" in sys.modules:
        return False
    try:
        ctypes.CDLL(library, mode=ctypes.RTLD_GLOBAL)
    except OSError:
        _state["mode"] = "unavailable"
        return False
    _state["mode"] = "in_process"
    _state["library"] = library
    return True


def reexec_with_openblas(argv: list[str] | None = None, library: str | None = None) -> bool:
    """Replace this process with the same command and ``LD_PRELOAD`` pointing at OpenBLAS.

    Returns False (and does nothing) when disabled, when no library exists, when it is already
    preloaded, or when this process is itself the re-executed one. On success it does not return.
    """
    if _disabled() or os.environ.get(GUARD_ENV):
        return False
    library = library or find_openblas()
    if library is None or _preloaded():
        return False
    env = dict(os.environ)
    env["LD_PRELOAD"] = ":".join(p for p in (library, env.get("LD_PRELOAD", "")) if p)
    env[GUARD_ENV] = "1"
    command = argv if argv is not None else [sys.executable, *sys.orig_argv[1:]]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, env)
    return True  # pragma: no cover - execve does not return


def _invoked_as_punie() -> bool:
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    if argv0.name in {"punie", "punie.exe"}:
        return True
    return argv0.name == "__main__.py" and argv0.parent.name == "punie"


def ensure_openblas(*, allow_reexec: bool = True) -> str:
    """Make MLX use OpenBLAS if possible; return how: ``ld_preload``, ``in_process``,
    ``disabled``, ``unavailable`` or ``too_late`` (MLX loaded and no re-exec allowed).

    Re-exec happens only when this process was started as the ``punie`` command, so calling
    this from a test or a library never restarts the host program.
    """
    if preload_in_process():
        return _state["mode"]
    if _state.get("mode") in {"disabled", "unavailable"}:
        return _state["mode"]
    if allow_reexec and _invoked_as_punie():
        reexec_with_openblas()
    _state["mode"] = "too_late"
    return "too_late"


def blas_status() -> dict[str, str]:
    """What :func:`ensure_openblas` did in this process, plus the library loaded, if any."""
    status = dict(_state)
    status.setdefault("mode", "ld_preload" if _preloaded() else "not_requested")
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        maps = ""
    status["openblas_mapped"] = "yes" if "libopenblas" in maps else "no"
    return status
