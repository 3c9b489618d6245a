"""Timed training steps with mlx-lm's trainer (the one ``punie train`` uses), for the benchmarks."""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class StepRun:
    model: Any
    tokenizer: Any
    train_set: Any
    reports: list[dict[str, float]]
    """mlx-lm's per-step reports after the first (compiling) step."""

    @property
    def seconds_per_step(self) -> float:
        return statistics.median(1.0 / r["iterations_per_second"] for r in self.reports)

    @property
    def mean_tokens(self) -> float:
        return sum(self.train_set.lengths) / len(self.train_set.lengths)


def train_steps(
    model_dir: Path,
    data: Path,
    method: str,
    iters: int,
    batch_size: int,
    *,
    loss: Any = None,
    batches: Any = None,
    **options: Any,
) -> StepRun:
    """Load ``model_dir`` and train ``iters`` measured steps (plus one warm-up) on ``data``
    (mlx-lm's own loss and batches unless ``loss`` / ``batches`` are given)."""
    from punie.model.mlx_api import module
    from punie.training.train.config import TrainConfig
    from punie.training.train.data import find_dataset_files, load_datasets
    from punie.training.train.run import make_optimizer, prepare_model

    utils = module("mlx_lm.utils")
    trainer = module("mlx_lm.tuner.trainer")
    model, config = utils.load_model(Path(model_dir))
    tokenizer = utils.load_tokenizer(Path(model_dir))
    train_set, _, _ = load_datasets(find_dataset_files(Path(data)), tokenizer)
    cfg = TrainConfig(method=method, iters=iters + 1, batch_size=batch_size, **options)  # type: ignore[arg-type]
    reports: list[dict[str, float]] = []

    class Callback:
        def on_train_loss_report(self, info: dict[str, Any]) -> None:
            reports.append({k: float(v) for k, v in info.items()})

        def on_val_loss_report(self, info: dict[str, Any]) -> None:
            pass

    with tempfile.TemporaryDirectory() as tmp:
        prepare_model(model, cfg, config, Path(tmp))
        trainer.train(
            model=model,
            optimizer=make_optimizer(cfg),
            train_dataset=train_set.mlx_dataset,
            val_dataset=None,
            args=trainer.TrainingArgs(
                batch_size=batch_size,
                iters=iters + 1,
                steps_per_report=1,
                steps_per_save=10**9,
                adapter_file=str(Path(tmp) / "a.safetensors"),
            ),
            training_callback=Callback(),
            **({"loss": loss} if loss is not None else {}),
            **({"iterate_batches": batches} if batches is not None else {}),
        )
    return StepRun(model, tokenizer, train_set, reports[1:] or reports)
