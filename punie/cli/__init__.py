"""The ``punie`` command line: one small module per command group, each with ``register()``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from punie.errors import PunieError

__all__ = ["main"]


_COMMANDS = (
    "tool_cmd",
    "serve_cmd",
    "sandbox_cmd",
    "ask_cmd",
    "repl_cmd",
    "traces_cmd",
    "harvest_cmd",
    "dataset_cmd",
    "model_cmd",
    "train_cmd",
    "validate_cmd",
    "loop_cmd",
)
"""Command modules of ``punie.cli``, in ``--help`` order; each has ``register(subparsers)``."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="punie", description="Code-Mode agent runtime with a live LSP tool server"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in _COMMANDS:
        importlib.import_module(f"punie.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.handler(args)
    except PunieError as exc:
        print(f"punie: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("punie: interrupted", file=sys.stderr)
        return 130
    return int(code or 0)
