"""Helpers shared by the CLI commands: JSON output, the language-server and Ray options."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from punie.lsp_bridge import ServerConfig

__all__ = ["add_ray_option", "add_server_option", "emit_json", "server_config"]


def add_ray_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--ray [ADDRESS]``: ``None`` when absent, ``""`` for a local cluster, else the address."""
    parser.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help=f"{what} on Ray actors (a local cluster, or the one at ADDRESS)",
    )


def add_server_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lsp",
        default="pyright",
        help="language server: pyright (default), ty, or a full command line",
    )
    parser.add_argument(
        "--lsp-timeout", type=float, default=10.0, help="seconds per language-server request"
    )


def server_config(args: argparse.Namespace) -> ServerConfig:
    return ServerConfig.named(str(args.lsp), request_timeout=float(args.lsp_timeout))


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
