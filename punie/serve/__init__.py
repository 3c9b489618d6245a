"""``punie serve``: the tool catalogue over JSON-RPC, with one warm language server shared by
many punie processes (TCP on loopback with a per-server token, or stdio).

:func:`serve_tcp` / :func:`serve_stdio` run the server; :class:`RemoteTools` is the client.
"""

from __future__ import annotations

from punie.serve.remote import RemoteTools, parse_address
from punie.serve.server import MAX_MESSAGE_BYTES, ToolService, serve_stdio, serve_tcp
from punie.serve.token import read_token, token_file

__all__ = [
    "MAX_MESSAGE_BYTES",
    "RemoteTools",
    "ToolService",
    "parse_address",
    "read_token",
    "serve_stdio",
    "serve_tcp",
    "token_file",
]
