"""What a harvest is asked to do: which repos, how many queries, which phrasings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from punie.tools import ToolContext
    from punie.training.queries import Query

__all__ = ["HarvestConfig", "Phrasings", "plan_queries", "repo_name"]

Phrasings = Literal["train", "holdout", "all"]


@dataclass(frozen=True)
class HarvestConfig:
    repos: tuple[str, ...]
    out: Path
    seed: int = 0
    per_intent: int = 4
    phrasings: Phrasings = "train"
    max_steps: int = 3
    limit: int | None = None
    """At most this many new queries per repo (``None``: all)."""
    recovery: int = 0
    """Recovery queries per repo, one for each of that many intents (a flawed first program,
    its genuine error, then the teacher's program; :mod:`punie.training.queries.flaws`)."""


def repo_name(spec: str) -> str:
    """The name a repo's traces are filed under: a directory's name, else the sandbox spec."""
    return Path(spec).name if ("/" in spec or Path(spec).is_dir()) else spec


async def plan_queries(ctx: ToolContext, name: str, config: HarvestConfig) -> list[Query]:
    """Every query ``config`` asks of the repo ``ctx`` works on, grounded in its inventory."""
    from punie.training.queries import build_inventory, generate_queries

    inventory = await build_inventory(ctx, name)
    return generate_queries(
        inventory,
        seed=config.seed,
        per_intent=config.per_intent,
        phrasings=config.phrasings,
        recovery=config.recovery,
    )
