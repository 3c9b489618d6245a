"""``punie harvest``: questions grounded in real code, answered by a teacher in the real executor,
kept only when verified. Parallel across repos (one warm language server each), resumable.

Each query's trace and its verdict are written in one transaction, keyed by the query's stable
uid: a killed harvest loses at most the query in flight, and a resumed one skips what is done.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import anyio

from punie.agent.backends.base import Backend
from punie.agent.executor import Executor
from punie.agent.loop import run_turn
from punie.errors import PunieError
from punie.sandboxes import disposable, resolve_sandbox
from punie.tools import ToolContext
from punie.traces import TraceStore, TurnMeta
from punie.traces.ledger import HARVEST_LEDGER, done_uids
from punie.training.harvest.config import HarvestConfig, plan_queries, repo_name
from punie.training.harvest.verify import verify_turn
from punie.training.harvest.worker import Record
from punie.training.harvest.writer import write_record
from punie.training.queries import Query, SynthesizerTeacher

__all__ = ["HarvestConfig", "HarvestReport", "RepoReport", "TeacherFactory", "harvest"]


@dataclass
class RepoReport:
    repo: str
    planned: int = 0
    skipped: int = 0
    kept: int = 0
    rejected: Counter[str] = field(default_factory=Counter[str])
    seconds: dict[str, float] = field(default_factory=dict[str, float])
    restarts: int = 0
    """Workers lost while harvesting it (a parallel harvest gives the repo to a fresh one)."""
    failure: str | None = None
    """Why the repo was skipped (its language server did not start, ...); None: harvested."""


@dataclass(frozen=True)
class HarvestReport:
    repos: tuple[RepoReport, ...]
    wall_s: float

    @property
    def kept(self) -> int:
        return sum(r.kept for r in self.repos)

    @property
    def rejected(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for r in self.repos:
            total.update(r.rejected)
        return total

    @property
    def traces_per_minute(self) -> float:
        return 60.0 * self.kept / self.wall_s if self.wall_s > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "kept": self.kept,
            "rejected": dict(self.rejected),
            "wall_s": round(self.wall_s, 2),
            "traces_per_minute": round(self.traces_per_minute, 1),
            "failed_repos": [r.repo for r in self.repos if r.failure is not None],
            "repos": [
                {
                    "repo": r.repo,
                    "planned": r.planned,
                    "skipped_done": r.skipped,
                    "kept": r.kept,
                    "rejected": dict(r.rejected),
                    "seconds": {k: round(v, 2) for k, v in r.seconds.items()},
                    "restarts": r.restarts,
                    "failure": r.failure,
                }
                for r in self.repos
            ],
        }


ProgressHook = Callable[[str, int, int], None]
"""``(repo, done, total)`` after each query."""

TeacherFactory = Callable[[Sequence[Query]], Backend]


async def _harvest_repo(
    spec: str,
    config: HarvestConfig,
    store: TraceStore,
    done: set[str],
    teacher_factory: TeacherFactory,
    report: RepoReport,
    progress: ProgressHook | None,
) -> None:
    clock = time.perf_counter()
    name = repo_name(spec)
    with disposable(spec) as copy:  # never outlives its harvest
        async with ToolContext.at(copy) as ctx, Executor(ctx) as executor:
            await ctx.lsp()
            report.seconds["start"] = time.perf_counter() - clock
            clock = time.perf_counter()
            queries = await plan_queries(ctx, name, config)
            report.seconds["inventory"] = time.perf_counter() - clock
            todo = [q for q in queries if q.uid not in done]
            report.skipped = len(queries) - len(todo)
            if config.limit is not None:
                todo = todo[: config.limit]
            report.planned = len(todo)
            teacher = teacher_factory(todo)
            meta = TurnMeta.collect(copy, teacher.identity)
            turn_s = store_s = 0.0
            for index, query in enumerate(todo):
                started = time.perf_counter()
                turn = await run_turn(query.question, teacher, executor, max_steps=config.max_steps)
                ok, reason = verify_turn(query, turn)
                elapsed = time.perf_counter() - started
                turn_s += elapsed
                started = time.perf_counter()
                record = Record(query, turn, ok, reason, elapsed)
                write_record(store, name, meta, teacher.identity, record)
                store_s += time.perf_counter() - started
                if ok:
                    report.kept += 1
                else:
                    report.rejected[reason] += 1
                if progress is not None:
                    progress(name, index + 1, len(todo))
                await anyio.sleep(0)  # let the other repos' harvests run
            report.seconds["turns"] = turn_s
            report.seconds["store"] = store_s


async def harvest(
    config: HarvestConfig,
    *,
    teacher_factory: TeacherFactory | None = None,
    progress: ProgressHook | None = None,
) -> HarvestReport:
    """Harvest every repo concurrently into ``config.out``."""
    factory: TeacherFactory = teacher_factory or SynthesizerTeacher
    started = time.perf_counter()
    for spec in config.repos:  # a bad spec fails here, before the store is created
        resolve_sandbox(spec)
    with TraceStore(config.out, extensions=(HARVEST_LEDGER,)) as store:
        done = done_uids(store.connection)
        reports = [RepoReport(repo_name(spec)) for spec in config.repos]

        async def one(spec: str, report: RepoReport) -> None:
            try:
                await _harvest_repo(spec, config, store, done, factory, report, progress)
            except PunieError as exc:  # this repo cannot be harvested: report it, go on
                report.failure = f"{type(exc).__name__}: {exc}"

        async with anyio.create_task_group() as group:
            for spec, report in zip(config.repos, reports, strict=True):
                group.start_soon(one, spec, report)
    return HarvestReport(tuple(reports), time.perf_counter() - started)
