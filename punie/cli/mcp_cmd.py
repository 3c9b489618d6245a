"""``punie mcp --repo DIR``: punie's tools and Code Mode for an MCP client, over stdio."""

from __future__ import annotations

import argparse
from pathlib import Path

import anyio

from punie.errors import PunieError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    parser = sub.add_parser(
        "mcp",
        help="serve the tools and execute_code to an MCP client (stdio); every call is a trace",
        description="An MCP server on stdin/stdout for an editor's agent (Claude Code, Cursor, "
        "...): the typed tools, execute_code(question, code) and rate(turn_id, rating).",
    )
    parser.add_argument("--repo", default=".", help="workspace root (default: .)")
    parser.add_argument(
        "--traces", type=Path, default=Path(".punie") / "traces.db", help="trace database"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from punie.mcp import run_stdio

    repo = Path(args.repo)
    if not repo.is_dir():
        raise PunieError(f"repo {str(repo)!r} is not a directory")
    anyio.run(run_stdio, repo.resolve(), Path(args.traces).resolve())
    return 0
