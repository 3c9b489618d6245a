"""Sandbox repos for episodes: bundled projects, PyPI sdists, disposable git copies.

- :func:`list_sandboxes` / :func:`resolve_sandbox`: bundled (``sandboxes/`` or
  ``$PUNIE_SANDBOXES``) and fetched (in the cache) sandboxes.
- :func:`materialize` / :func:`reset`: a scratch git copy of a sandbox, and its fast reset;
  :func:`disposable`: one for a ``with`` block, removed after it.
- :func:`fetch`: ``NAME==VERSION`` from PyPI, hash-verified, unpacked safely, cached
  (``~/.cache/punie`` or ``$PUNIE_CACHE``) so that the next fetch works offline.
"""

from __future__ import annotations

from punie.sandboxes.archive import safe_extract
from punie.sandboxes.catalog import SandboxInfo, list_sandboxes, resolve_sandbox
from punie.sandboxes.episode import discard, disposable, is_episode, materialize, reset
from punie.sandboxes.errors import (
    FetchError,
    HashMismatch,
    InvalidSpec,
    NetworkUnavailable,
    NotAnEpisode,
    SandboxError,
    UnknownSandbox,
    UnsafeArchive,
)
from punie.sandboxes.paths import bundled_dir, cache_dir
from punie.sandboxes.pypi import FetchedSandbox, fetch, parse_spec

__all__ = [
    "discard",
    "disposable",
    "FetchError",
    "FetchedSandbox",
    "HashMismatch",
    "InvalidSpec",
    "NetworkUnavailable",
    "NotAnEpisode",
    "SandboxError",
    "SandboxInfo",
    "UnknownSandbox",
    "UnsafeArchive",
    "bundled_dir",
    "cache_dir",
    "fetch",
    "is_episode",
    "list_sandboxes",
    "materialize",
    "parse_spec",
    "reset",
    "resolve_sandbox",
    "safe_extract",
]
