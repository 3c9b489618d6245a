"""Running a suite: every case through the real agent loop against the real tools."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import anyio

from punie.agent.backends.base import Backend
from punie.agent.backends.batched import BatchedMlxBackend
from punie.agent.backends.mlx import MlxBackend
from punie.agent.executor import Executor
from punie.agent.loop import CONSTRAIN, MAX_STEPS, MAX_TOKENS, run_turn
from punie.agent.symbols import allowed_names, known_symbols
from punie.errors import PunieError
from punie.sandboxes import disposable
from punie.tools import ToolContext
from punie.training.queries import Query
from punie.training.validate.overlap import find_overlap, training_dataset
from punie.training.validate.report import ValidationReport
from punie.training.validate.score import CaseResult, score_case
from punie.training.validate.suite import load_suite, suite_sha256

__all__ = ["allowed_names", "known_symbols", "local_backend", "run_suite", "validate_model"]


async def _run_repo(
    backend: Backend,
    ctx: ToolContext,
    cases: Sequence[tuple[int, Query]],
    *,
    max_steps: int,
    constrain: bool,
    concurrency: int,
    done: Callable[[int, CaseResult], None],
) -> None:
    """The cases of one repo, ``concurrency`` turns at a time, each with its own executor;
    with a :class:`BatchedMlxBackend` their replies are decoded together."""
    batched = backend if isinstance(backend, BatchedMlxBackend) else None
    constrain_fn = getattr(backend, "constrain", None) if constrain and batched is None else None
    symbols = await known_symbols(ctx) if constrain else set[str]()
    pending = list(cases)

    async def worker() -> None:
        async with Executor(ctx) as executor:
            while pending:
                index, query = pending.pop(0)
                turn_backend: Backend = backend
                allowed = allowed_names(query.question, symbols) if constrain else None
                if batched is not None:
                    turn_backend = batched.view(allowed)
                elif constrain_fn is not None:
                    constrain_fn(allowed)
                turn = await run_turn(
                    query.question,
                    turn_backend,
                    executor,
                    max_steps=max_steps,
                    generate_in_thread=batched is not None,
                )
                done(index, score_case(query, turn))

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency if batched is not None else 1):
            tg.start_soon(worker)


async def run_suite(
    backend: Backend,
    queries: Sequence[Query],
    repos: dict[str, str],
    *,
    max_steps: int = MAX_STEPS,
    constrain: bool = CONSTRAIN,
    progress: Callable[[CaseResult], None] | None = None,
    concurrency: int = 1,
) -> list[CaseResult]:
    """Cases grouped by repo; each repo gets one disposable copy and one warm language server.

    ``constrain`` switches on symbol-constrained decoding with :func:`allowed_names`.
    ``concurrency`` turns run at once when ``backend`` batches (:class:`BatchedMlxBackend`);
    results come back in suite order either way.
    """
    found: dict[int, CaseResult] = {}
    by_repo: dict[str, list[tuple[int, Query]]] = {}
    for index, query in enumerate(queries):
        by_repo.setdefault(query.repo, []).append((index, query))

    def done(index: int, result: CaseResult) -> None:
        found[index] = result
        if progress is not None:
            progress(result)

    for repo, cases in by_repo.items():
        source = repos.get(repo, repo)
        with disposable(source) as copy:  # a copy per run, removed after it
            async with ToolContext.at(copy) as ctx:
                await ctx.lsp()
                await _run_repo(
                    backend,
                    ctx,
                    cases,
                    max_steps=max_steps,
                    constrain=constrain,
                    concurrency=concurrency,
                    done=done,
                )
    return [found[i] for i in sorted(found)]


def local_backend(
    model: str, max_tokens: int, batch_size: int
) -> tuple[Backend, BatchedMlxBackend | None]:
    """The backend validation runs ``model`` with: a local mlx model decodes ``batch_size``
    cases' replies together (the batcher, returned too, must be closed)."""
    from punie.agent.backends import load_backend

    backend: Backend = load_backend(model, max_tokens=max_tokens)
    if isinstance(backend, MlxBackend) and batch_size > 1:
        batched = BatchedMlxBackend(backend, batch_size=batch_size)
        return batched, batched
    return backend, None


async def validate_model(
    model: str,
    suite: Path,
    *,
    repos: dict[str, str] | None = None,
    limit: int | None = None,
    every: int = 1,
    max_steps: int = MAX_STEPS,
    max_tokens: int = MAX_TOKENS,
    constrain: bool = CONSTRAIN,
    allow_overlap: bool = False,
    progress: Callable[[CaseResult], None] | None = None,
    batch_size: int = 8,
    ray: str | None = None,
) -> ValidationReport:
    """Run ``suite`` with ``model`` (an mlx model dir or ``openai:URL#ID``) and score it.

    A suite that overlaps the model's training data is refused, or with ``allow_overlap`` run
    and flagged in the report. ``repos`` adds or overrides where a case's repo comes from.
    A local model decodes up to ``batch_size`` cases' replies together (1: one at a time).
    ``every`` keeps every k-th case (after ``limit``): an evenly spread sample.
    ``ray``: fan the repos out over Ray actors, each loading the model once (``""``: a local
    cluster, else its address; :mod:`punie.training.validate.fanout`).
    """

    queries, sources = load_suite(suite)
    sources.update(repos or {})
    if limit is not None:
        queries = queries[:limit]
    queries = queries[:: max(1, every)]
    warning: str | None = None
    dataset = None if model.startswith("openai:") else training_dataset(Path(model))
    if dataset is not None:
        overlap = find_overlap(queries, dataset)
        if overlap:
            message = (
                f"suite {suite} overlaps the training data of {model} ({dataset}) in "
                f"{len(overlap)} case(s); first: {overlap[0]}"
            )
            if not allow_overlap:
                raise PunieError(message + " (use --allow-overlap to run it anyway)")
            warning = message
    if ray is not None:
        from punie.training.validate.fanout import run_suite_on_ray

        identity, cases = await run_suite_on_ray(
            model,
            queries,
            sources,
            address=ray or None,
            max_steps=max_steps,
            max_tokens=max_tokens,
            constrain=constrain,
            batch_size=batch_size,
            progress=progress,
        )
    else:
        backend, batched = local_backend(model, max_tokens, batch_size)
        identity = backend.identity
        try:
            cases = await run_suite(
                backend,
                queries,
                sources,
                max_steps=max_steps,
                constrain=constrain,
                progress=progress,
                concurrency=batch_size,
            )
        finally:
            if batched is not None:
                batched.close()
    return ValidationReport(
        model=identity,
        suite=str(suite),
        suite_sha256=suite_sha256(suite),
        cases=tuple(cases),
        overlap_warning=warning,
    )
