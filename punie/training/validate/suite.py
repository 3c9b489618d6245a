"""Validation suites: held-out questions with their ground truth, frozen into a JSON file when
the suite is built (so a later run is scored against the same truth, whatever changed since)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

from punie.errors import PunieError
from punie.sandboxes import disposable
from punie.tools import ToolContext
from punie.training.queries import Query, Truth, build_inventory, generate_queries

__all__ = ["build_suite", "build_suites", "load_suite", "save_suite", "suite_sha256"]


def query_to_json(query: Query) -> dict[str, Any]:
    data = asdict(query)
    if data.get("first_try") is None:  # suites hold no recovery queries: same bytes as before
        data.pop("first_try", None)
    return data


def query_from_json(data: dict[str, Any], where: str) -> Query:
    try:
        truth = data["truth"]
        return Query(
            uid=str(data["uid"]),
            repo=str(data["repo"]),
            category=str(data["category"]),
            intent=str(data["intent"]),
            question=str(data["question"]),
            symbol=None if data.get("symbol") is None else str(data["symbol"]),
            expected_tools=tuple(str(t) for t in data["expected_tools"]),
            expected_fields=tuple(str(f) for f in data["expected_fields"]),
            truth=Truth(
                kind=truth["kind"], value=str(truth["value"]), accept=tuple(truth["accept"])
            ),
            phrasing=int(data["phrasing"]),
            holdout_phrasing=bool(data["holdout_phrasing"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PunieError(f"{where}: not a suite case ({exc!r})") from exc


def save_suite(path: Path, queries: list[Query], repos: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"repos": repos, "cases": [query_to_json(q) for q in queries]}
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def load_suite(path: Path) -> tuple[list[Query], dict[str, str]]:
    """The cases and ``{repo name: source}`` (a sandbox name or directory to materialize)."""
    try:
        payload: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PunieError(f"suite {path} cannot be read: {exc}") from exc
    data = cast(dict[str, Any], payload) if isinstance(payload, dict) else {}
    cases: Any = data.get("cases")
    if not isinstance(cases, list) or not cases:
        raise PunieError(f"suite {path} has no cases")
    rows = cast(list[dict[str, Any]], cases)
    queries = [query_from_json(c, f"{path} case {i}") for i, c in enumerate(rows)]
    raw_repos = cast(dict[str, Any], data.get("repos") or {})
    repos = {str(k): str(v) for k, v in raw_repos.items()}
    return queries, repos


def suite_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def build_suite(
    sources: list[str], *, seed: int = 1, per_intent: int = 2, phrasings: str = "holdout"
) -> tuple[list[Query], dict[str, str]]:
    """Queries (held-out phrasings by default) on each repo, truth computed now."""
    suites, repos = await build_suites(
        sources, seed=seed, per_intent=per_intent, phrasings=(phrasings,)
    )
    return suites[phrasings], repos


async def build_suites(
    sources: list[str],
    *,
    seed: int = 1,
    per_intent: int = 2,
    phrasings: Sequence[str] = ("holdout", "train"),
) -> tuple[dict[str, list[Query]], dict[str, str]]:
    """One suite per phrasing set (``holdout``, ``train``, ``all``) on each repo, from one
    inventory per repo, truth computed now."""
    suites: dict[str, list[Query]] = {p: [] for p in phrasings}
    repos: dict[str, str] = {}
    for source in sources:
        name = Path(source).name if Path(source).is_dir() else source
        repos[name] = source
        with disposable(source) as copy:  # removed once its inventory is taken
            async with ToolContext.at(copy) as ctx:
                inventory = await build_inventory(ctx, name)
        for phrasing in phrasings:
            suites[phrasing] += generate_queries(
                inventory,
                seed=seed,
                per_intent=per_intent,
                phrasings=phrasing,  # pyright: ignore[reportArgumentType]
            )
    return suites, repos
