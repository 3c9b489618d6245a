"""``punie harvest --repo PATH... | --corpus FILE --out DB``: verified traces from real repos,
in this process, on local worker processes (``--workers N``) or on Ray (``--ray [ADDRESS]``)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from punie.cli._common import add_ray_option, emit_json
from punie.errors import PunieError

if TYPE_CHECKING:
    from punie.training.harvest.config import HarvestConfig
    from punie.training.harvest.runner import HarvestReport, ProgressHook

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    parser = sub.add_parser("harvest", help="harvest verified traces from real repos")
    parser.add_argument(
        "--repo",
        action="append",
        default=[],
        help="a sandbox name or directory (repeat for several; harvested in parallel)",
    )
    parser.add_argument(
        "--corpus",
        default=None,
        help="a file of repos, one per line (NAME==VERSION or a directory); 'default': the "
        "shipped corpus of 30 PyPI projects",
    )
    parser.add_argument(
        "--pins", type=Path, default=None, help="sha256 pins for the corpus (pins.txt beside it)"
    )
    parser.add_argument(
        "--allow-unpinned", action="store_true", help="fetch corpus releases without a pin"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="harvest on N local worker processes, one repo each at a time",
    )
    add_ray_option(parser, "harvest")
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
    parser.add_argument(
        "--recovery",
        type=int,
        default=0,
        metavar="N",
        help="recovery traces per repo, one for each of N intents (a failed program, then the fix)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=_run)


def _repos(args: argparse.Namespace, console: Console) -> list[str]:
    repos = [str(r) for r in args.repo]
    if args.corpus is not None:
        from punie.training.harvest.corpus import corpus_path, fetch_corpus

        path = corpus_path(str(args.corpus))
        with console.status(f"fetching the corpus {path}"):
            fetched = fetch_corpus(
                path, pin_file=args.pins, allow_unpinned=bool(args.allow_unpinned)
            )
        for spec, why in fetched.failed.items():
            console.print(f"[yellow]corpus: left out {spec}: {why}[/]")
        repos += [r for r in fetched.repos if r not in repos]
    if not repos:
        raise PunieError("give --repo (repeatable) or --corpus FILE")
    return repos


def _run(args: argparse.Namespace) -> int:
    from punie.agent.backends.base import Backend
    from punie.training.harvest.runner import HarvestConfig, TeacherFactory, harvest
    from punie.training.queries import Query

    if int(args.per_intent) < 1:
        raise PunieError("--per-intent must be at least 1")
    if int(args.recovery) < 0:
        raise PunieError("--recovery must be 0 or more")
    parallel = args.workers is not None or args.ray is not None
    if parallel and args.teacher:
        raise PunieError("--teacher runs in this process only: drop --workers/--ray with it")
    if args.workers is not None and int(args.workers) < 1:
        raise PunieError("--workers must be at least 1")
    console = Console(stderr=True)
    config = HarvestConfig(
        repos=tuple(_repos(args, console)),
        out=Path(args.out),
        seed=int(args.seed),
        per_intent=int(args.per_intent),
        phrasings=args.phrasings,
        limit=args.limit,
        recovery=int(args.recovery),
    )
    factory: TeacherFactory | None = None
    if args.teacher:
        from punie.agent.backends import load_backend

        teacher = load_backend(str(args.teacher))

        def factory_fn(queries: Sequence[Query]) -> Backend:
            return teacher

        factory = factory_fn
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[rate]}"),
        console=console,
        transient=bool(args.json),
    ) as bar:
        tasks: dict[str, int] = {}
        overall = bar.add_task("repos done", total=len(config.repos), rate="")
        started = time.perf_counter()
        traces = [0]
        last: dict[str, int] = {}
        finished: set[str] = set()

        def progress(repo: str, done: int, total: int) -> None:
            if repo in finished:
                return
            if repo not in tasks:
                tasks[repo] = bar.add_task(f"harvest {repo}", total=total, rate="")
            traces[0] += max(done - last.get(repo, 0), 0)
            last[repo] = done
            per_minute = 60.0 * traces[0] / max(time.perf_counter() - started, 1e-9)
            bar.update(tasks[repo], completed=done)  # pyright: ignore[reportArgumentType]
            if done >= total:
                finished.add(repo)
                bar.remove_task(tasks[repo])  # pyright: ignore[reportArgumentType]
                bar.advance(overall)
            bar.update(overall, rate=f"{per_minute:.0f} traces/min")

        if parallel:
            report = anyio.run(lambda: _parallel(args, config, progress))
        else:
            report = anyio.run(lambda: harvest(config, teacher_factory=factory, progress=progress))
    if args.json:
        emit_json(report.to_json())
        return 0
    table = Table(title=f"harvest -> {args.out}")
    for column in ("repo", "planned", "already done", "kept", "rejected", "failure"):
        table.add_column(column)
    for r in report.repos:
        rejected = ", ".join(f"{k}: {v}" for k, v in r.rejected.most_common()) or "-"
        failure = r.failure or (f"{r.restarts} worker(s) lost, recovered" if r.restarts else "-")
        table.add_row(r.repo, str(r.planned), str(r.skipped), str(r.kept), rejected, failure)
    Console().print(table)
    print(
        f"{report.kept} verified traces in {report.wall_s:.1f} s "
        f"({report.traces_per_minute:.0f} per minute)"
    )
    return 0


async def _parallel(
    args: argparse.Namespace, config: HarvestConfig, progress: ProgressHook
) -> HarvestReport:
    from punie.training.harvest.parallel import ParallelOptions, harvest_parallel
    from punie.training.harvest.pool import ProcessPool, RayPool, WorkerPool

    pool: WorkerPool
    if args.ray is not None:
        pool = RayPool(str(args.ray) or None)
        default_workers = pool.cpus()
    else:
        pool = ProcessPool()
        default_workers = 2
    try:
        options = ParallelOptions(workers=int(args.workers or default_workers))
        return await harvest_parallel(config, pool, options, progress=progress)
    finally:
        pool.close()
