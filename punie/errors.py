"""The root of punie's exception hierarchy."""

from __future__ import annotations

__all__ = ["PunieError"]


class PunieError(Exception):
    """Any error punie raises on purpose; its message names the input that caused it."""
