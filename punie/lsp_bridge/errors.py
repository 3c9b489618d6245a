"""Errors raised by the language-server bridge."""

from __future__ import annotations

from punie.errors import PunieError

__all__ = ["LspError", "LspNotReady", "LspUnavailable", "RequestTimeout", "ServerCrashed"]


class LspError(PunieError):
    """The language server answered a request with an error."""


class ServerCrashed(PunieError):
    """The language-server process is gone."""


class RequestTimeout(PunieError):
    """A request got no answer within its timeout (the server was sent ``$/cancelRequest``)."""


class LspNotReady(PunieError):
    """The server never answered the readiness probe."""


class LspUnavailable(PunieError):
    """A request failed, the server was restarted, and the retry failed too."""
