"""A harvest spread over workers (:mod:`punie.training.harvest.pool`), one repo per worker at a
time, with this process as the single writer of the trace store and the ledger.

The driver hands a worker a repo, gets its plan, skips the queries the ledger already holds,
and asks for the rest in batches; each record is written (trace and verdict in one transaction)
as its batch arrives. So a killed driver resumes as the in-process harvest does, and a lost
worker costs only its batch in flight: the repo goes to a fresh worker, which plans it again
and skips what was written. A repo that fails (its language server cannot start, its copy
cannot be made) is reported and skipped; the harvest goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from punie.errors import PunieError
from punie.traces import TraceStore
from punie.traces.ledger import HARVEST_LEDGER, done_uids
from punie.training.harvest.config import HarvestConfig, repo_name
from punie.training.harvest.pool import WorkerFailed, WorkerLost, WorkerPool
from punie.training.harvest.runner import HarvestReport, ProgressHook, RepoReport
from punie.training.harvest.worker import Plan
from punie.training.harvest.writer import write_record

__all__ = ["ParallelOptions", "harvest_parallel"]

PlanHook = Callable[[Plan], None]
"""Called with each plan a worker returns (it names the worker's pid)."""


@dataclass(frozen=True)
class ParallelOptions:
    workers: int = 2
    batch: int = 8
    """Queries per request to a worker: what a lost worker can cost."""
    attempts: int = 3
    """Workers a repo may use up (lost ones) before it is reported as failed."""


async def harvest_parallel(
    config: HarvestConfig,
    pool: WorkerPool,
    options: ParallelOptions = ParallelOptions(),
    *,
    progress: ProgressHook | None = None,
    on_plan: PlanHook | None = None,
) -> HarvestReport:
    """Harvest ``config.repos`` on ``options.workers`` workers of ``pool`` into ``config.out``."""
    if options.workers < 1 or options.batch < 1 or options.attempts < 1:
        raise PunieError("workers, batch and attempts must each be at least 1")
    started = time.perf_counter()
    reports = [RepoReport(repo_name(spec)) for spec in config.repos]
    pending = list(zip(config.repos, reports, strict=True))
    with TraceStore(config.out, extensions=(HARVEST_LEDGER,)) as store:
        done = done_uids(store.connection)

        async def repo(spec: str, report: RepoReport) -> None:
            for attempt in range(options.attempts):
                try:
                    await _harvest_repo(
                        spec, config, pool, options, store, done, report, progress, on_plan
                    )
                    return
                except WorkerLost as exc:
                    report.restarts += 1
                    report.failure = f"{exc} (attempt {attempt + 1} of {options.attempts})"
                except (WorkerFailed, PunieError) as exc:
                    report.failure = str(exc)
                    return
                except Exception as exc:  # a worker that cannot even start: never fatal
                    report.failure = f"{type(exc).__name__}: {exc}"
                    return
            report.failure = f"gave up after {options.attempts} lost workers: {report.failure}"

        async def slot() -> None:
            while pending:
                spec, report = pending.pop(0)
                await repo(spec, report)

        async with anyio.create_task_group() as group:
            for _ in range(min(options.workers, len(pending))):
                group.start_soon(slot)
    return HarvestReport(tuple(reports), time.perf_counter() - started)


async def _harvest_repo(
    spec: str,
    config: HarvestConfig,
    pool: WorkerPool,
    options: ParallelOptions,
    store: TraceStore,
    done: set[str],
    report: RepoReport,
    progress: ProgressHook | None,
    on_plan: PlanHook | None,
) -> None:
    clock = time.perf_counter()
    worker = await pool.start()
    try:
        plan = await worker.open(spec, config)
        if on_plan is not None:
            on_plan(plan)
        for stage, seconds in plan.seconds.items():
            report.seconds[stage] = report.seconds.get(stage, 0.0) + seconds
        todo = [q for q in plan.queries if q.uid not in done]
        if report.planned == 0:  # the first attempt's view of the repo
            report.skipped = len(plan.queries) - len(todo)
            if config.limit is not None:
                todo = todo[: config.limit]
            report.planned = len(todo)
        else:  # a later attempt finishes what the first one planned
            todo = todo[: max(report.planned - report.kept - sum(report.rejected.values()), 0)]
        finished = report.kept + sum(report.rejected.values())
        if not todo and progress is not None:
            progress(plan.repo, finished, report.planned)  # nothing (left) to do: it is done
        for start in range(0, len(todo), options.batch):
            batch = todo[start : start + options.batch]
            records = await worker.run([q.uid for q in batch])
            clock_store = time.perf_counter()
            for record in records:
                if record.query.uid in done:  # never twice, whatever a worker sends
                    continue
                write_record(store, plan.repo, plan.meta, plan.teacher, record)
                done.add(record.query.uid)
                if record.verified:
                    report.kept += 1
                else:
                    report.rejected[record.reason] += 1
                finished += 1
                report.seconds["turns"] = report.seconds.get("turns", 0.0) + record.seconds
                if progress is not None:
                    progress(plan.repo, finished, report.planned)
            report.seconds["store"] = (
                report.seconds.get("store", 0.0) + time.perf_counter() - clock_store
            )
        report.failure = None
    finally:
        await worker.stop()
        report.seconds["wall"] = report.seconds.get("wall", 0.0) + time.perf_counter() - clock
