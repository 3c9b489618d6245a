"""``punie harvest --repo PATH... --out DB``: verified traces from real repos."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import anyio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from punie.cli._common import emit_json
from punie.errors import PunieError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    parser = sub.add_parser("harvest", help="harvest verified traces from real repos")
    parser.add_argument(
        "--repo",
        action="append",
        required=True,
        help="a sandbox name or directory (repeat for several; harvested in parallel)",
    )
    parser.add_argument("--out", type=Path, required=True, help="trace database to write")
    parser.add_argument(
        "--teacher", default=None, help="model that writes the programs (default: synthesizer)"
    )
    parser.add_argument("--per-intent", type=int, default=4, help="targets per intent (4)")
    parser.add_argument("--limit", type=int, default=None, help="new queries per repo at most")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--phrasings", choices=["train", "holdout", "all"], default="train", help="templates"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from punie.agent.backends.base import Backend
    from punie.training.harvest.runner import HarvestConfig, TeacherFactory, harvest
    from punie.training.queries import Query

    if int(args.per_intent) < 1:
        raise PunieError("--per-intent must be at least 1")
    config = HarvestConfig(
        repos=tuple(str(r) for r in args.repo),
        out=Path(args.out),
        seed=int(args.seed),
        per_intent=int(args.per_intent),
        phrasings=args.phrasings,
        limit=args.limit,
    )
    factory: TeacherFactory | None = None
    if args.teacher:
        from punie.agent.backends import load_backend

        teacher = load_backend(str(args.teacher))

        def factory_fn(queries: Sequence[Query]) -> Backend:
            return teacher

        factory = factory_fn
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=bool(args.json),
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(repo: str, done: int, total: int) -> None:
            if repo not in tasks:
                tasks[repo] = bar.add_task(f"harvest {repo}", total=total)
            bar.update(tasks[repo], completed=done)  # pyright: ignore[reportArgumentType]

        report = anyio.run(lambda: harvest(config, teacher_factory=factory, progress=progress))
    if args.json:
        emit_json(report.to_json())
        return 0
    table = Table(title=f"harvest -> {args.out}")
    for column in ("repo", "planned", "already done", "kept", "rejected"):
        table.add_column(column)
    for r in report.repos:
        rejected = ", ".join(f"{k}: {v}" for k, v in r.rejected.most_common()) or "-"
        table.add_row(r.repo, str(r.planned), str(r.skipped), str(r.kept), rejected)
    Console().print(table)
    print(
        f"{report.kept} verified traces in {report.wall_s:.1f} s "
        f"({report.traces_per_minute:.0f} per minute)"
    )
    return 0
