"""``punie mcp --repo DIR``: the tool catalogue and Code Mode for any MCP client (an editor's
agent), over stdio, with every call kept as a deployment trace.

:func:`build_server` makes the MCP server (the official SDK's low-level ``Server``) for one
workspace; :func:`run_stdio` serves it on stdin/stdout.
"""

from __future__ import annotations

from punie.mcp.server import McpSession, build_server, run_stdio

__all__ = ["McpSession", "build_server", "run_stdio"]
