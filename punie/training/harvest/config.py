"""What a harvest is asked to do: which repos, how many queries, which phrasings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["HarvestConfig", "Phrasings", "repo_name"]

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


def repo_name(spec: str) -> str:
    """The name a repo's traces are filed under: a directory's name, else the sandbox spec."""
    return Path(spec).name if ("/" in spec or Path(spec).is_dir()) else spec
