"""The one config of ``punie loop``: which repos, how much data, how long to train."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["LoopConfig"]


@dataclass(frozen=True)
class LoopConfig:
    workdir: Path = Path("runs") / "loop"
    train_repos: tuple[str, ...] = ("shop", "textkit")
    """Bundled sandboxes harvested for training."""
    holdout_repos: tuple[str, ...] = ("taskcli", "six==1.17.0", "idna==3.10")
    """Validated on, never trained on: one bundled sandbox and real PyPI projects."""
    per_intent: int = 16
    """Harvest targets per intent: ~600 verified traces (~450 training samples after dedup and
    splits) in under a minute. More (48: ~1,000 samples) measured worse at the same training
    time: fewer passes over each phrasing."""
    suite_per_intent: int = 1
    seed: int = 0
    method: str = "full"
    iters: int = 300
    batch_size: int = 16
    learning_rate: float | None = 3e-3
    warmup_steps: int = 30
    max_steps: int = 1
    """Model replies per validation case (every teacher program answers in one)."""
    max_tokens: int = 160
    validate_limit: int | None = None
    constrained: bool = True
    """Also validate the trained model with symbol-constrained decoding (trained without it)."""
    base_model: Path | None = None
    """Default: the embedded tiny model, built on first use."""
    extra_holdout_ok: bool = True
    """Skip a holdout repo that cannot be fetched (no network) instead of failing."""
