"""A coarse check that a training run fits in memory, made before the model is loaded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from punie.errors import PunieError

__all__ = ["MemoryEstimate", "available_memory", "check_memory", "estimate_memory"]

# Resident copies of the weights' size that each method needs: full fine-tuning keeps weights,
# gradients and two Adam moments (in float32), plus slack for the compiled graph; LoRA keeps the
# frozen weights (possibly dequantized on the fly) and small adapters.
_FACTORS = {"full": 5.0, "lora": 1.6, "dora": 1.8}


@dataclass(frozen=True)
class MemoryEstimate:
    weights_bytes: int
    activation_bytes: int
    total_bytes: int
    available_bytes: int | None


def available_memory() -> int | None:
    """``MemAvailable`` from ``/proc/meminfo`` in bytes, or None where there is no such file."""
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            parts = line.split()
            return int(parts[1]) * 1024
    return None


def _weights_bytes(model_dir: Path) -> int:
    return sum(p.stat().st_size for p in model_dir.glob("*.safetensors"))


def _config(model_dir: Path) -> dict[str, Any]:
    try:
        return cast(dict[str, Any], json.loads((model_dir / "config.json").read_text()))
    except (OSError, ValueError):
        return {}


def estimate_memory(
    model_dir: Path, method: str, batch_size: int, max_seq_length: int, longest: int
) -> MemoryEstimate:
    weights = _weights_bytes(model_dir)
    config = _config(model_dir)
    factor = _FACTORS.get(method, 5.0)
    hidden = int(config.get("hidden_size", 1024))
    layers = int(config.get("num_hidden_layers", 24))
    vocab = int(config.get("vocab_size", 32000))
    seq = min(max_seq_length, max(longest, 1))
    # Per token: ~34 hidden-sized float32 activations per layer kept for the backward pass,
    # and the logits (with their gradient).
    activations = batch_size * seq * 4 * (34 * hidden * layers + 3 * vocab)
    total = int(weights * factor + activations + 256 * 1024**2)
    return MemoryEstimate(weights, activations, total, available_memory())


def check_memory(estimate: MemoryEstimate, fraction: float, model_dir: Path) -> None:
    if estimate.available_bytes is None:
        return
    if estimate.total_bytes > estimate.available_bytes * fraction:
        gib = 1024**3
        raise PunieError(
            f"not enough memory to train {model_dir}: "
            f"estimated {estimate.total_bytes / gib:.1f} GiB "
            f"(weights {estimate.weights_bytes / gib:.2f} GiB on disk, activations "
            f"{estimate.activation_bytes / gib:.1f} GiB) but only "
            f"{estimate.available_bytes / gib:.1f} GiB is available; use --method lora, a smaller "
            "batch_size or max_seq_length, or a smaller model"
        )
