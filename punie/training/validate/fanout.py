"""Validation fanned out over Ray actors: each actor loads the model once and runs the cases of
one repo at a time (its own disposable copy and warm language server), as :func:`run_suite`
does in one process; the driver gathers the results in suite order.

Greedy decoding makes a case's result independent of where it ran, so a fanned-out report
equals the one-process report case by case (``tests/test_validate_fanout.py`` checks this).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

import anyio
import anyio.to_thread
from anyio.from_thread import start_blocking_portal

from punie.errors import PunieError
from punie.training.queries import Query
from punie.training.validate.run import local_backend, run_suite
from punie.training.validate.score import CaseResult

__all__ = ["ValidateWorker", "run_suite_on_ray"]


class ValidateWorker:
    """A model loaded once; ``run`` answers a group of cases (a Ray actor's body)."""

    def __init__(self, model: str, max_tokens: int, batch_size: int) -> None:
        self._exits = ExitStack()
        self._portal = self._exits.enter_context(start_blocking_portal())
        self._backend, self._batched = local_backend(model, max_tokens, batch_size)
        self._batch_size = batch_size

    def identity(self) -> str:
        return self._backend.identity

    def run(
        self,
        queries: Sequence[Query],
        sources: dict[str, str],
        max_steps: int,
        constrain: bool,
    ) -> list[CaseResult]:
        async def go() -> list[CaseResult]:
            return await run_suite(
                self._backend,
                queries,
                sources,
                max_steps=max_steps,
                constrain=constrain,
                concurrency=self._batch_size,
            )

        return self._portal.call(go)

    def shutdown(self) -> None:
        if self._batched is not None:
            self._batched.close()
        self._exits.close()


async def run_suite_on_ray(
    model: str,
    queries: Sequence[Query],
    sources: dict[str, str],
    *,
    address: str | None,
    max_steps: int,
    max_tokens: int,
    constrain: bool,
    batch_size: int,
    workers: int | None = None,
    progress: Callable[[CaseResult], None] | None = None,
) -> tuple[str, list[CaseResult]]:
    """(the model's identity, the results in ``queries`` order), on ``workers`` actors (default:
    one per CPU of the cluster, at most one per repo)."""
    ray: Any = importlib.import_module("ray")
    owned = not ray.is_initialized()
    if owned:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        groups: dict[str, list[int]] = {}
        for index, query in enumerate(queries):
            groups.setdefault(query.repo, []).append(index)
        cpus = max(int(ray.cluster_resources().get("CPU", 1)), 1)
        count = max(1, min(workers or cpus, len(groups)))
        actor_class: Any = ray.remote(num_cpus=1, max_restarts=0)(ValidateWorker)
        actors: list[Any] = [
            actor_class.remote(model, max_tokens, batch_size) for _ in range(count)
        ]
        results: dict[int, CaseResult] = {}
        pending = list(groups.items())

        async def actor_loop(actor: Any) -> None:
            while pending:
                _, indices = pending.pop(0)
                cases = [queries[i] for i in indices]
                ref = actor.run.remote(cases, sources, max_steps, constrain)
                try:
                    found: list[CaseResult] = await anyio.to_thread.run_sync(ray.get, ref)
                except Exception as exc:
                    raise PunieError(f"a validation worker failed: {exc}") from exc
                for index, result in zip(indices, found, strict=True):
                    results[index] = result
                    if progress is not None:
                        progress(result)

        identity: str = await anyio.to_thread.run_sync(ray.get, actors[0].identity.remote())
        try:
            async with anyio.create_task_group() as group:
                for actor in actors:
                    group.start_soon(actor_loop, actor)
        finally:
            for actor in actors:
                ray.kill(actor)
        return identity, [results[i] for i in sorted(results)]
    finally:
        if owned:
            ray.shutdown()
