"""Token lengths as the trainer sees them: the full sample through the model's chat template
(``apply_chat_template(messages, tools=tools)``, exactly what mlx-lm's ``ChatDataset`` does)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from punie.errors import PunieError

__all__ = ["count_tokens", "distribution", "load_tokenizer", "resolve_tokenizer_dir"]


def resolve_tokenizer_dir(model_dir: Path | None) -> Path:
    """``model_dir``, or the default pretrained base (imported on first use)."""
    if model_dir is not None:
        if not Path(model_dir).is_dir():
            raise PunieError(f"tokenizer directory {model_dir} does not exist")
        return Path(model_dir)
    from punie.training.base_model.importer import ensure_default_base

    return ensure_default_base()


def load_tokenizer(model_dir: Path) -> Any:
    from punie.model.mlx_api import module

    try:
        return module("mlx_lm.utils").load_tokenizer(Path(model_dir))
    except Exception as exc:
        raise PunieError(
            f"cannot load a tokenizer from {model_dir}: {type(exc).__name__}: {exc}"
        ) from exc


def count_tokens(tokenizer: Any, sample: dict[str, Any]) -> int:
    tokens: Any = tokenizer.apply_chat_template(
        sample["messages"], tools=sample.get("tools"), return_dict=False
    )
    return len(tokens)


def _percentile(values: Sequence[int], q: float) -> int:
    ordered = sorted(values)
    index = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[index]


def distribution(values: Sequence[int]) -> dict[str, int]:
    """min/p50/p95/max (nearest-rank percentiles) and the total; zeros when empty."""
    if not values:
        return {"count": 0, "min": 0, "p50": 0, "p95": 0, "max": 0, "total": 0}
    return {
        "count": len(values),
        "min": min(values),
        "p50": _percentile(values, 0.5),
        "p95": _percentile(values, 0.95),
        "max": max(values),
        "total": sum(values),
    }
