"""``punie sandbox``: list, fetch, copy and reset the repos that episodes run in."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)

from punie.sandboxes import fetch, list_sandboxes, materialize, reset
from punie.sandboxes.catalog import SandboxInfo
from punie.sandboxes.pypi import FetchedSandbox

__all__ = ["register"]


class _Subparsers(Protocol):
    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def register(subparsers: _Subparsers) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="list, fetch, copy and reset sandbox repos",
        description="Sandbox repos: bundled projects and PyPI sdists, copied per episode.",
    )
    sub = parser.add_subparsers(dest="sandbox_command", required=True)

    ls = sub.add_parser("list", help="bundled and fetched sandboxes")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.add_argument("--cache", help="cache directory (default $PUNIE_CACHE or ~/.cache/punie)")
    ls.set_defaults(handler=_list)

    get = sub.add_parser("fetch", help="fetch a PyPI sdist as a sandbox: NAME==VERSION")
    get.add_argument("spec", metavar="NAME==VERSION")
    get.add_argument("--json", action="store_true", help="print JSON")
    get.add_argument("--cache", help="cache directory (default $PUNIE_CACHE or ~/.cache/punie)")
    get.add_argument("--pins", help="pin file of 'NAME==VERSION sha256:HEX' lines")
    get.add_argument("--offline", action="store_true", help="use the cache only")
    get.set_defaults(handler=_fetch)

    copy = sub.add_parser("copy", help="copy a sandbox into a fresh git repo; prints its path")
    copy.add_argument("name", metavar="NAME", help="bundled or fetched name, or a directory")
    copy.add_argument("dest", metavar="DEST", nargs="?", help="target (default: a new temp dir)")
    copy.add_argument("--json", action="store_true", help="print JSON")
    copy.add_argument("--cache", help="cache directory (default $PUNIE_CACHE or ~/.cache/punie)")
    copy.set_defaults(handler=_copy)

    undo = sub.add_parser("reset", help="discard all changes in a copy made by 'copy'")
    undo.add_argument("path", metavar="PATH")
    undo.set_defaults(handler=_reset)


def _info_json(info: SandboxInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "kind": info.kind,
        "path": str(info.path),
        "version": info.version,
        "description": info.description,
    }


def _list(args: argparse.Namespace) -> int:
    infos = list_sandboxes(args.cache)
    if args.json:
        print(json.dumps([_info_json(info) for info in infos], indent=2))
        return 0
    if not infos:
        print("no sandboxes (bundled directory missing and nothing fetched)")
    for info in infos:
        print(info.render())
    return 0


def _fetched_json(result: FetchedSandbox) -> dict[str, Any]:
    return {
        "name": result.name,
        "version": result.version,
        "path": str(result.path),
        "sdist": str(result.sdist),
        "sha256": result.sha256,
        "url": result.url,
        "commit": result.commit,
        "downloaded": result.downloaded,
        "seconds": round(result.seconds, 3),
    }


class _DownloadBar:
    """A rich progress bar on stderr, started on the first callback (cache hits show nothing)."""

    def __init__(self, label: str) -> None:
        console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=True,
        )
        self.label = label
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int | None) -> None:
        if self.task is None:
            self.progress.console.print(f"downloading {self.label} …", highlight=False)
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total)
        self.progress.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()


def _fetch(args: argparse.Namespace) -> int:
    bar = _DownloadBar(args.spec)
    try:
        result = fetch(
            args.spec, args.cache, pin_file=args.pins, progress=bar, offline=args.offline
        )
    finally:
        bar.close()
    if args.json:
        print(json.dumps(_fetched_json(result), indent=2))
    else:
        print(result.render())
    return 0


def _copy(args: argparse.Namespace) -> int:
    path = materialize(args.name, args.dest, cache_dir=args.cache)
    if args.json:
        print(json.dumps({"name": args.name, "path": str(path)}))
    else:
        print(path)
    return 0


def _reset(args: argparse.Namespace) -> int:
    path = reset(Path(args.path))
    print(f"reset {path}", file=sys.stderr)
    return 0
