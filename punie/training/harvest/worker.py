"""One repository's harvest, driven from synchronous code: a worker process or a Ray actor.

A :class:`RepoWorker` owns one warm tool context at a time (pyright, ruff and pytest on a
disposable copy of the repo). ``open`` starts it and plans the repo's queries, ``run`` answers
a batch of them with the teacher in the real executor and verifies each, ``close`` stops it
and removes the copy. It writes nothing: the driver (:mod:`punie.training.harvest.parallel`)
is the single writer of the trace store and the ledger, so a lost worker loses only the batch
in flight, which the driver plans again.

The async tool context lives in one task of an anyio blocking portal (its own event loop, in a
thread), which serves the batches; so the context is entered and left in the same task.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from anyio.from_thread import BlockingPortal, start_blocking_portal

from punie.agent.executor import Executor
from punie.agent.loop import TurnResult, run_turn
from punie.sandboxes import disposable
from punie.tools import ToolContext
from punie.traces import TurnMeta
from punie.training.harvest.config import HarvestConfig, plan_queries, repo_name
from punie.training.harvest.verify import verify_turn
from punie.training.queries import Query, SynthesizerTeacher

__all__ = ["Plan", "Record", "RepoWorker"]


@dataclass(frozen=True)
class Plan:
    """What a worker found in a repo: every query (the driver skips those already done)."""

    repo: str
    queries: tuple[Query, ...]
    meta: TurnMeta
    teacher: str
    pid: int
    """The worker's process id (a test kills it to lose the worker)."""
    seconds: dict[str, float] = field(default_factory=dict[str, float])


@dataclass(frozen=True)
class Record:
    """One answered query: the genuine turn and its verdict, for the driver to write."""

    query: Query
    turn: TurnResult
    verified: bool
    reason: str
    seconds: float


_Request = tuple[tuple[str, ...], "Future[list[Record]]"]


class RepoWorker:
    """``open(spec, config)`` -> :class:`Plan`; ``run(uids)`` -> records; ``close()``."""

    def __init__(self) -> None:
        self._exits = ExitStack()
        self._portal: BlockingPortal = self._exits.enter_context(start_blocking_portal())
        self._send: ObjectSendStream[_Request] | None = None
        self._task: Future[None] | None = None

    def open(self, spec: str, config: HarvestConfig) -> Plan:
        if self._task is not None:
            raise RuntimeError("this worker already holds a repo; close it first")
        send, receive = self._portal.call(_streams)
        ready: Future[Plan] = Future()
        self._send = send
        task = self._task = self._portal.start_task_soon(self._serve, spec, config, ready, receive)
        if not _first_done(ready, task):  # failed before it planned: its exception says why
            self._send = self._task = None
            task.result()
            raise RuntimeError(f"the harvest of {spec} stopped before it planned")
        return ready.result()

    def run(self, uids: Sequence[str]) -> list[Record]:
        if self._send is None or self._task is None:
            raise RuntimeError("no repo is open")
        answer: Future[list[Record]] = Future()
        self._portal.call(self._send.send, (tuple(uids), answer))
        if not _first_done(answer, self._task):
            self._task.result()
            raise RuntimeError("the repo's harvest stopped")
        return answer.result()

    def close(self) -> None:
        if self._send is not None:
            self._portal.call(self._send.aclose)
        if self._task is not None:
            try:
                self._task.result(timeout=60)
            finally:
                self._send = self._task = None

    def shutdown(self) -> None:
        """Close the repo (if any) and the portal's event loop."""
        try:
            self.close()
        finally:
            self._exits.close()

    async def _serve(
        self,
        spec: str,
        config: HarvestConfig,
        ready: Future[Plan],
        requests: ObjectReceiveStream[_Request],
    ) -> None:
        clock = time.perf_counter()
        name = repo_name(spec)
        with disposable(spec) as copy:
            async with ToolContext.at(copy) as ctx, Executor(ctx) as executor, requests:
                await ctx.lsp()
                seconds = {"start": time.perf_counter() - clock}
                clock = time.perf_counter()
                queries = await plan_queries(ctx, name, config)
                seconds["inventory"] = time.perf_counter() - clock
                teacher = SynthesizerTeacher(queries)
                meta = TurnMeta.collect(copy, teacher.identity)
                by_uid = {q.uid: q for q in queries}
                ready.set_result(
                    Plan(name, tuple(queries), meta, teacher.identity, os.getpid(), seconds)
                )
                async for uids, answer in requests:
                    records: list[Record] = []
                    try:
                        for uid in uids:
                            query = by_uid[uid]
                            started = time.perf_counter()
                            turn = await run_turn(
                                query.question, teacher, executor, max_steps=config.max_steps
                            )
                            ok, reason = verify_turn(query, turn)
                            elapsed = time.perf_counter() - started
                            records.append(Record(query, turn, ok, reason, elapsed))
                    except Exception as exc:
                        answer.set_exception(exc)
                        continue
                    answer.set_result(records)


def _first_done(wanted: Future[Any], task: Future[None]) -> bool:
    """Block until ``wanted`` or the serving ``task`` is done; True when ``wanted`` is."""
    wait((wanted, task), return_when=FIRST_COMPLETED)
    return wanted.done()


def _streams() -> tuple[ObjectSendStream[_Request], ObjectReceiveStream[_Request]]:
    send: Any
    receive: Any
    send, receive = anyio.create_memory_object_stream[_Request](1)
    return send, receive
