"""The ``punie`` command line: one small module per command group, each with ``register()``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from asyncio import CancelledError
from collections.abc import Sequence
from typing import cast

from punie.errors import PunieError

__all__ = ["main"]


_COMMANDS = (
    "tool_cmd",
    "serve_cmd",
    "mcp_cmd",
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
    except BaseExceptionGroup as group:  # a task group's failure: report its punie errors
        errors = _punie_errors(group)
        if errors is None:
            raise
        for exc in errors:
            print(f"punie: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("punie: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `punie ... | head`: the reader left; that is not an error
        _quiet_stdout()
        return 0
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except ValueError:  # stdout already closed (an MCP stdio session that ended)
        pass
    return int(code or 0)


def _punie_errors(group: BaseExceptionGroup[BaseException]) -> list[PunieError] | None:
    """The PunieErrors a (nested) exception group holds, or None if it holds anything else
    (cancellations aside)."""
    found: list[PunieError] = []
    for exc in group.exceptions:
        if isinstance(exc, PunieError):
            found.append(exc)
        elif isinstance(exc, BaseExceptionGroup):
            inner = _punie_errors(cast(BaseExceptionGroup[BaseException], exc))
            if inner is None:
                return None
            found.extend(inner)
        elif not isinstance(exc, CancelledError):
            return None
    return found or None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
