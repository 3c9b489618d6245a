"""Running a suite: every case through the real agent loop against the real tools."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import anyio

from punie.agent.backends.base import Backend
from punie.agent.executor import Executor
from punie.agent.loop import run_turn
from punie.sandboxes import materialize
from punie.tools._context import ToolContext
from punie.tools.navigation import document_symbols
from punie.training.queries import Query
from punie.training.validate.score import CaseResult, score_case

__all__ = ["known_symbols", "run_suite"]


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


async def known_symbols(ctx: ToolContext) -> set[str]:
    """Every name and dotted path the language server reports for the workspace's files."""
    names: set[str] = set()
    for path in ctx.workspace.python_files():
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
    ``constrain(symbols)``): names the language server knows plus the question's identifiers.
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
                    constrain_fn(repo_symbols | set(_IDENTIFIER.findall(query.question)))
                turn = await run_turn(query.question, backend, executor, max_steps=max_steps)
                result = score_case(query, turn)
                results.append(result)
                if progress is not None:
                    progress(result)
    return results
