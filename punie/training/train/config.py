"""The one training configuration: a dataclass, loadable from JSON or YAML, overridable by flags."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from punie.errors import PunieError

__all__ = ["Method", "TrainConfig", "load_config"]

Method = Literal["lora", "dora", "full"]
METHODS: tuple[Method, ...] = ("lora", "dora", "full")


@dataclass
class TrainConfig:
    method: Method = "lora"
    iters: int = 200
    seed: int = 0
    batch_size: int = 4
    # None: 1e-3 for "full" (tiny models are trained from scratch), 2e-4 for lora/dora.
    learning_rate: float | None = None
    warmup_steps: int = 0
    optimizer: Literal["adam", "adamw"] = "adamw"
    weight_decay: float = 0.0
    max_seq_length: int = 2048
    # Validation and checkpointing every K steps; the best checkpoint by validation loss wins.
    steps_per_eval: int = 50
    steps_per_report: int = 10
    val_batches: int = -1
    keep_all_checkpoints: bool = False
    repeat_corrected: int = 1
    """How many times each pass visits a corrected sample and a replayed anchor (``corrected``
    or ``anchor`` in the dataset's ``train.meta.jsonl``): a round's few corrections are its
    signal among the replayed samples around them, and the audit refuses duplicate rows, so
    the weight lives here."""
    select: Literal["best", "final"] = "best"
    """Which weights become the model: the checkpoint with the lowest validation loss, or the
    final ones (a round on a few deployment traces has too small a validation split to rank
    checkpoints by, and its starting point would often win)."""
    # LoRA / DoRA.
    num_layers: int = -1
    lora_rank: int = 8
    lora_scale: float = 20.0
    lora_dropout: float = 0.0
    # Export.
    q_bits: int | None = 5
    q_group_size: int = 64
    grad_checkpoint: bool = False
    # Memory check: refuse to start when the estimate exceeds this share of available memory.
    memory_fraction: float = 0.9

    def effective_learning_rate(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return 1e-3 if self.method == "full" else 2e-4

    def validate(self) -> None:
        if self.method not in METHODS:
            raise PunieError(f"unknown training method {self.method!r}; use lora, dora or full")
        for name in (
            "iters",
            "batch_size",
            "steps_per_eval",
            "steps_per_report",
            "lora_rank",
            "repeat_corrected",
        ):
            if int(getattr(self, name)) < 1:
                raise PunieError(f"config value {name} must be at least 1")
        if self.q_bits is not None and self.q_bits not in (2, 3, 4, 5, 6, 8):
            raise PunieError(
                f"--q-bits {self.q_bits} is not one of 2, 3, 4, 5, 6, 8 (or 0 for none)"
            )
        if self.select not in ("best", "final"):
            raise PunieError(f"unknown checkpoint selection {self.select!r}; use best or final")
        if self.optimizer not in ("adam", "adamw"):
            raise PunieError(f"unknown optimizer {self.optimizer!r}; use adam or adamw")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["effective_learning_rate"] = self.effective_learning_rate()
        return data


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise PunieError(f"cannot read config file {path}: {exc}") from exc
    try:
        if path.suffix in {".yaml", ".yml"}:
            import yaml

            loaded: Any = yaml.safe_load(text)
        else:
            loaded = json.loads(text)
    except Exception as exc:
        raise PunieError(
            f"config file {path} is not valid {path.suffix[1:] or 'JSON'}: {exc}"
        ) from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise PunieError(f"config file {path} must hold a mapping of option names to values")
    return cast(dict[str, Any], loaded)


def load_config(path: Path | None = None, **overrides: Any) -> TrainConfig:
    """Defaults, then the file's values, then the non-``None`` ``overrides`` (the flags)."""
    values: dict[str, Any] = {}
    if path is not None:
        values.update(_read_mapping(Path(path)))
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        where = f"config file {path}" if path is not None else "training options"
        raise PunieError(f"{where}: unknown option(s) {', '.join(unknown)}")
    config = TrainConfig(**values)
    if config.q_bits == 0:
        config.q_bits = None
    config.validate()
    return config
