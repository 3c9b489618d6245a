"""Running a suite: every case through the real agent loop against the real tools."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio

from punie.agent.backends.base import Backend
from punie.agent.executor import Executor
from punie.agent.loop import run_turn
from punie.errors import PunieError
from punie.sandboxes import materialize
from punie.tools._context import ToolContext
from punie.tools.navigation import document_symbols
from punie.training.queries import Query
from punie.training.validate.overlap import find_overlap, training_dataset
from punie.training.validate.report import ValidationReport
from punie.training.validate.score import CaseResult, score_case
from punie.training.validate.suite import load_suite, suite_sha256

__all__ = ["known_symbols", "run_suite", "validate_model"]


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_PATH = re.compile(r"[A-Za-z0-9_./-]+\.py\b")


def allowed_names(question: str, known: set[str]) -> set[str]:
    """What a constrained navigation argument may be for ``question``: the known names and
    files the question mentions, or, when it mentions none, every known name plus the
    question's identifiers. The model still chooses the tool, the program and the fields;
    the constraint only keeps it from naming something the user did not ask about."""
    words = set(_IDENTIFIER.findall(question)) | set(_PATH.findall(question))
    return (words & known) or (known | words)


async def known_symbols(ctx: ToolContext) -> set[str]:
    """Every file, and every name and dotted path the language server reports in them."""
    names: set[str] = set()
    for path in ctx.workspace.python_files():
        names.add(ctx.workspace.relative(path))
        result = await document_symbols(ctx, ctx.workspace.relative(path))
        for symbol in result.symbols:
            names.update((symbol.name, symbol.qualified))
    return names


async def run_suite(
    backend: Backend,
    queries: Sequence[Query],
    repos: dict[str, str],
    *,
    max_steps: int = 3,
    constrain: bool = False,
    progress: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Cases grouped by repo; each repo gets one disposable copy and one warm language server.

    ``constrain`` switches on symbol-constrained decoding (for backends that offer
    ``constrain(symbols)``) with :func:`allowed_names`.
    """
    constrain_fn = getattr(backend, "constrain", None) if constrain else None
    results: list[CaseResult] = []
    by_repo: dict[str, list[Query]] = {}
    for query in queries:
        by_repo.setdefault(query.repo, []).append(query)
    for repo, cases in by_repo.items():
        source = repos.get(repo, repo)
        copy = await anyio.to_thread.run_sync(materialize, source)
        async with ToolContext.at(copy) as ctx, Executor(ctx) as executor:
            await ctx.lsp()
            repo_symbols = await known_symbols(ctx) if constrain_fn is not None else set[str]()
            for query in cases:
                if constrain_fn is not None:
                    constrain_fn(allowed_names(query.question, repo_symbols))
                turn = await run_turn(query.question, backend, executor, max_steps=max_steps)
                result = score_case(query, turn)
                results.append(result)
                if progress is not None:
                    progress(result)
    return results


def validate_model(
    model: str,
    suite: Path,
    *,
    repos: dict[str, str] | None = None,
    limit: int | None = None,
    max_steps: int = 3,
    max_tokens: int = 512,
    constrain: bool = False,
    allow_overlap: bool = False,
    progress: Callable[[CaseResult], None] | None = None,
) -> ValidationReport:
    """Run ``suite`` with ``model`` (an mlx model dir or ``openai:URL#ID``) and score it.

    A suite that overlaps the model's training data is refused, or with ``allow_overlap`` run
    and flagged in the report. ``repos`` adds or overrides where a case's repo comes from.
    """
    from punie.agent.backends import load_backend

    queries, sources = load_suite(suite)
    sources.update(repos or {})
    if limit is not None:
        queries = queries[:limit]
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
    backend = load_backend(model, max_tokens=max_tokens)
    cases = anyio.run(
        lambda: run_suite(
            backend,
            queries,
            sources,
            max_steps=max_steps,
            constrain=constrain,
            progress=progress,
        )
    )
    return ValidationReport(
        model=backend.identity,
        suite=str(suite),
        suite_sha256=suite_sha256(suite),
        cases=tuple(cases),
        overlap_warning=warning,
    )
