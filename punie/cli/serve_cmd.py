"""``punie serve --repo PATH``: one warm language server shared by many punie processes."""

from __future__ import annotations

import argparse
import signal
import sys

import anyio

from punie.cli._common import add_server_option, server_config
from punie.serve import serve_stdio, serve_tcp
from punie.tools import ToolContext

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    parser = sub.add_parser("serve", help="serve the tools over JSON-RPC with a warm pyright")
    parser.add_argument("--repo", default=".", help="workspace root (default: .)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port (0 picks a free one)")
    parser.add_argument("--stdio", action="store_true", help="serve one client on stdin/stdout")
    add_server_option(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    anyio.run(_serve, args)
    return 0


async def _serve(args: argparse.Namespace) -> None:
    async with anyio.create_task_group() as group:
        group.start_soon(_serve_until_cancelled, args)
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            async for _ in signals:
                break  # leave the context below cleanly: the language server is shut down
        group.cancel_scope.cancel()


def _log(message: str) -> None:
    """Language-server events (restarts, failed attempts) on the server's log, stderr."""
    print(f"punie serve: {message}", file=sys.stderr, flush=True)


async def _serve_until_cancelled(args: argparse.Namespace) -> None:
    async with ToolContext.at(args.repo, server=server_config(args)) as ctx:
        if args.stdio:
            await serve_stdio(ctx)
            return

        def ready(port: int) -> None:
            bridge = ctx.bridge
            status = bridge.status_line() if bridge is not None else "not started"
            if bridge is not None:
                bridge.on_event = _log
            print(
                f"punie: serving {ctx.workspace.root} on {args.host}:{port} ({status})",
                file=sys.stderr,
                flush=True,
            )
            print(f"{args.host}:{port}", flush=True)

        await serve_tcp(ctx, args.host, int(args.port), on_ready=ready)
