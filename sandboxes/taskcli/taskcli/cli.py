"""Argument parsing and dispatch."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from taskcli import commands
from taskcli.storage import StorageError, TaskStore, default_path

Handler = Callable[[argparse.Namespace, TaskStore, date], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tasks", description="A tiny task tracker.")
    parser.add_argument("--file", type=Path, default=None, help="task file (default ~/.tasks.json)")
    sub = parser.add_subparsers(dest="command", required=True)

    add = sub.add_parser("add", help="add a task")
    add.add_argument("title", nargs="+")
    add.add_argument("--due", help='"today", "tomorrow", "friday", "+3d" or YYYY-MM-DD')
    add.add_argument("--priority", choices=["low", "normal", "high"], default="normal")
    add.add_argument("--tag", action="append", default=[])
    add.set_defaults(handler=commands.cmd_add)

    ls = sub.add_parser("list", help="list tasks")
    ls.add_argument("--open", action="store_true", help="hide completed tasks")
    ls.add_argument("--overdue", action="store_true")
    ls.add_argument("--tag")
    ls.add_argument("--search")
    ls.add_argument("--summary", action="store_true")
    ls.set_defaults(handler=commands.cmd_list)

    done = sub.add_parser("done", help="mark tasks as done")
    done.add_argument("ids", nargs="+", type=int)
    done.set_defaults(handler=commands.cmd_done)

    remove = sub.add_parser("remove", help="delete a task")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=commands.cmd_remove)

    export = sub.add_parser("export", help="print an iCalendar feed of open tasks")
    export.set_defaults(handler=commands.cmd_export)
    return parser


def main(argv: Sequence[str] | None = None, today: date | None = None) -> int:
    args = build_parser().parse_args(argv)
    path = args.file or default_path()
    try:
        store = TaskStore.open(path)
    except StorageError as exc:
        print(f"error: {exc}")
        return 1
    handler: Handler = args.handler
    return handler(args, store, today or date.today())
