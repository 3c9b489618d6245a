"""Errors raised while listing, copying or fetching sandboxes; each message names its input."""

from __future__ import annotations

from punie.errors import PunieError

__all__ = [
    "FetchError",
    "HashMismatch",
    "InvalidSpec",
    "NetworkUnavailable",
    "NotAnEpisode",
    "SandboxError",
    "UnknownSandbox",
    "UnsafeArchive",
]


class SandboxError(PunieError):
    """Any sandbox-management failure."""


class UnknownSandbox(SandboxError):
    """A sandbox name or path that does not resolve to a sandbox directory."""


class NotAnEpisode(SandboxError):
    """``reset`` was pointed at a directory that punie did not materialize."""


class InvalidSpec(SandboxError):
    """A fetch spec that is not ``NAME==VERSION``."""


class FetchError(SandboxError):
    """PyPI metadata or an sdist could not be obtained."""


class NetworkUnavailable(FetchError):
    """The package index could not be reached at all (no route, DNS failure, timeout)."""


class HashMismatch(SandboxError):
    """A file's sha256 differs from the digest it was supposed to have."""


class UnsafeArchive(SandboxError):
    """An archive member would land outside the extraction directory, or is not a plain entry."""
