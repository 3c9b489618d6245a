"""``punie train``: mlx-lm's trainer, in process, from a checked dataset to a quantized model.

Output directory layout::

    OUT/checkpoints/   trainable weights every ``steps_per_eval`` steps (best and final kept)
    OUT/adapters/      LoRA/DoRA only: adapter_config.json + adapters.safetensors (selected)
    OUT/model/         the selected float model (adapters fused in), loadable by mlx_lm.load
    OUT/model-q{N}/    the same, quantized to N bits (when --q-bits and the dimensions allow)
    OUT/losses.json, OUT/losses.png, OUT/MODEL.md, OUT/model_card.json
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import random
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import mlx.core as mx
import numpy as np

from punie.errors import PunieError
from punie.model.hashing import file_sha256, weights_sha256
from punie.model.mlx_api import eval_arrays, flatten, module, save_safetensors, versions
from punie.model.openblas import blas_status
from punie.training.train.batches import Repeated, iterate_batches
from punie.training.train.config import TrainConfig
from punie.training.train.data import (
    Dataset,
    corrected_rows,
    find_dataset_files,
    load_datasets,
    read_jsonl,
)
from punie.training.train.export import (
    fuse_adapters,
    plot_losses,
    quantize_model_dir,
    save_model_dir,
    write_model_card,
)
from punie.training.train.loss import masked_loss
from punie.training.train.memory import check_memory, estimate_memory

__all__ = ["TrainResult", "make_optimizer", "prepare_model", "train_model"]

Log = Callable[[str], None]


@dataclass
class TrainResult:
    out: Path
    model_path: Path
    float_model_path: Path
    quantized_model_path: Path | None
    best_iteration: int
    best_val_loss: float
    first_train_loss: float
    final_train_loss: float
    train_losses: list[tuple[int, float]]
    val_losses: list[tuple[int, float]]
    trained_tokens_per_second: float
    input_tokens_per_second: float
    seconds: float
    unchanged_parameters: list[str] = field(default_factory=lambda: [])
    card: dict[str, Any] = field(default_factory=lambda: {})
    notes: list[str] = field(default_factory=lambda: [])

    def to_dict(self) -> dict[str, Any]:
        quantized = str(self.quantized_model_path) if self.quantized_model_path else None
        return {
            "out": str(self.out),
            "model_path": str(self.model_path),
            "float_model_path": str(self.float_model_path),
            "quantized_model_path": quantized,
            "best_iteration": self.best_iteration,
            "best_val_loss": self.best_val_loss,
            "first_train_loss": self.first_train_loss,
            "final_train_loss": self.final_train_loss,
            "trained_tokens_per_second": self.trained_tokens_per_second,
            "input_tokens_per_second": self.input_tokens_per_second,
            "seconds": self.seconds,
            "notes": self.notes,
        }


def _trainable(model: Any) -> dict[str, mx.array]:
    return flatten(model.trainable_parameters())


class _Recorder:
    """mlx-lm training callback: keeps the losses and saves a checkpoint at every validation,
    so each checkpoint's weights are exactly the ones its validation loss was measured on."""

    def __init__(self, model: Any, directory: Path, keep_all: bool) -> None:
        self.model = model
        self.directory = directory
        self.keep_all = keep_all
        self.train: list[dict[str, float]] = []
        self.valid: list[tuple[int, float]] = []
        self.best: tuple[int, float, Path] | None = None

    def on_train_loss_report(self, train_info: dict[str, Any]) -> None:
        self.train.append({k: float(v) for k, v in train_info.items()})

    def on_val_loss_report(self, val_info: dict[str, Any]) -> None:
        self.record_val(int(val_info["iteration"]), float(val_info["val_loss"]))

    def record_val(self, iteration: int, loss: float, name: str | None = None) -> None:
        self.valid.append((iteration, loss))
        path = self.directory / (name or f"{iteration:07d}_weights.safetensors")
        save_safetensors(path, _trainable(self.model))
        previous = self.best
        if previous is None or loss <= previous[1]:
            self.best = (iteration, loss, path)
            if previous is not None and not self.keep_all:
                self._drop(previous[2])
        elif not self.keep_all:
            self._drop(path)

    def _drop(self, path: Path) -> None:
        if not path.name.startswith("final"):
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def _stdout_to_stderr(enabled: bool) -> Generator[None, None, None]:
    if not enabled:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _check_model_dir(model_dir: Path) -> None:
    if not model_dir.is_dir():
        raise PunieError(f"model directory {model_dir} does not exist")
    if not (model_dir / "config.json").is_file():
        raise PunieError(f"model {model_dir} does not load: no config.json")
    if not any(model_dir.glob("*.safetensors")):
        raise PunieError(f"model {model_dir} does not load: no *.safetensors weights")


def _load_tokenizer(model_dir: Path) -> Any:
    try:
        return module("mlx_lm.utils").load_tokenizer(model_dir)
    except Exception as exc:
        kind = type(exc).__name__
        raise PunieError(f"model {model_dir} does not load (tokenizer): {kind}: {exc}") from exc


def _load_model(model_dir: Path) -> tuple[Any, Any, dict[str, Any]]:
    utils = module("mlx_lm.utils")
    try:
        model, config = utils.load_model(model_dir)
        tokenizer = utils.load_tokenizer(model_dir, eos_token_ids=config.get("eos_token_id"))
    except Exception as exc:
        raise PunieError(f"model {model_dir} does not load: {type(exc).__name__}: {exc}") from exc
    return model, tokenizer, cast(dict[str, Any], config)


def _seed(seed: int) -> None:
    mx.random.seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def make_optimizer(config: TrainConfig) -> Any:
    optim = module("mlx.optimizers")
    lr = config.effective_learning_rate()
    schedule: Any = optim.cosine_decay(lr, max(config.iters - config.warmup_steps, 1), lr * 0.1)
    if config.warmup_steps > 0:
        warmup = optim.linear_schedule(lr * 0.01, lr, config.warmup_steps)
        schedule = optim.join_schedules([warmup, schedule], [config.warmup_steps])
    if config.optimizer == "adamw":
        return optim.AdamW(learning_rate=schedule, weight_decay=config.weight_decay)
    return optim.Adam(learning_rate=schedule)


def prepare_model(
    model: Any, config: TrainConfig, model_config: dict[str, Any], out: Path
) -> Path | None:
    """Make the right parameters trainable; return the adapters directory for LoRA/DoRA.

    Full training unfreezes EVERY parameter (embeddings, norms and head included), unlike
    ``mlx_lm.lora --fine-tune-type full``, which only unfreezes the transformer blocks."""
    if config.method == "full":
        if "quantization" in model_config:
            raise PunieError("full training needs a float model; this one is quantized (use lora)")
        model.unfreeze()
        return None
    n_layers = len(model.layers)
    num_layers = n_layers if config.num_layers < 0 else min(config.num_layers, n_layers)
    model.freeze()
    lora = {"rank": config.lora_rank, "scale": config.lora_scale, "dropout": config.lora_dropout}
    module("mlx_lm.tuner.utils").linear_to_lora_layers(
        model, num_layers, lora, use_dora=config.method == "dora"
    )
    if config.method == "dora":
        _fix_dora_over_quantized(model, lora)
    adapters = out / "adapters"
    adapters.mkdir(parents=True, exist_ok=True)
    adapter_config = {
        "fine_tune_type": config.method,
        "num_layers": num_layers,
        "lora_parameters": lora,
    }
    (adapters / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2) + "\n")
    return adapters


def _fix_dora_over_quantized(model: Any, lora: dict[str, Any]) -> int:
    """mlx-lm 0.32's ``DoRALinear.from_base`` sizes its adapters for a quantized layer with
    ``input_dims * (32 // bits)``, wrong for 3, 5 and 6 bits (5 bits gives 240 inputs for 256).
    Rebuild those layers with the true input size; return how many were rebuilt."""
    dora = module("mlx_lm.tuner.dora")
    nn = module("mlx.nn")
    fixes: list[tuple[str, Any]] = []
    for name, layer in model.named_modules():
        if isinstance(layer, dora.DoRALinear) and isinstance(layer.linear, nn.QuantizedLinear):
            output_dims, packed = layer.linear.weight.shape
            input_dims = int(packed) * 32 // int(layer.linear.bits)
            if int(layer.lora_a.shape[0]) != input_dims:
                fixed = dora.DoRALinear(
                    input_dims,
                    int(output_dims),
                    r=lora["rank"],
                    dropout=lora["dropout"],
                    scale=lora["scale"],
                )
                fixed.set_linear(layer.linear)
                fixes.append((name, fixed))
    if fixes:
        model.update_modules(module("mlx.utils").tree_unflatten(fixes))
    return len(fixes)


def _mean(values: list[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def _split_card(ds: Dataset) -> dict[str, Any]:
    return {
        "file": str(ds.path),
        "sha256": file_sha256(ds.path),
        "samples": len(ds),
        "tokens": ds.tokens,
        "trained_tokens": ds.trained_tokens,
        "longest": ds.longest,
    }


def train_model(
    data_dir: Path,
    model_dir: Path,
    out: Path,
    config: TrainConfig,
    *,
    quiet: bool = False,
    log: Log | None = None,
) -> TrainResult:
    """Train ``model_dir`` on ``data_dir`` into ``out`` (see the module docstring for the layout).

    ``quiet`` sends mlx-lm's progress display to stderr so stdout stays free for JSON.
    """
    trainer = module("mlx_lm.tuner.trainer")

    def say(message: str) -> None:
        if log is not None:
            log(message)

    started = time.perf_counter()
    timing: dict[str, float] = {}
    notes: list[str] = []
    config.validate()
    data_dir, model_dir, out = Path(data_dir), Path(model_dir), Path(out)

    # Cheap checks first: the dataset files and every line, then the model directory.
    files = find_dataset_files(data_dir)
    for path in files.all():
        read_jsonl(path)
    _check_model_dir(model_dir)
    tokenizer = _load_tokenizer(model_dir)
    train_set, valid_set, test_set = load_datasets(files, tokenizer)
    batch_size = min(config.batch_size, len(train_set), len(valid_set))
    if batch_size < config.batch_size:
        notes.append(
            f"batch size lowered from {config.batch_size} to {batch_size} "
            f"(train has {len(train_set)} samples, valid {len(valid_set)})"
        )
    longest = max(train_set.longest, valid_set.longest)
    if longest > config.max_seq_length:
        notes.append(f"samples up to {longest} tokens are truncated to {config.max_seq_length}")
    estimate = estimate_memory(model_dir, config.method, batch_size, config.max_seq_length, longest)
    check_memory(estimate, config.memory_fraction, model_dir)
    timing["prepare_data"] = time.perf_counter() - started

    tic = time.perf_counter()
    base_hash = weights_sha256(model_dir)
    model, tokenizer, model_config = _load_model(model_dir)
    base_params = sum(int(v.size) for v in flatten(model.parameters()).values())
    timing["load_model"] = time.perf_counter() - tic

    out.mkdir(parents=True, exist_ok=True)
    checkpoints = out / "checkpoints"
    checkpoints.mkdir(exist_ok=True)
    _seed(config.seed)
    adapters = prepare_model(model, config, model_config, out)
    trainable = sum(int(v.size) for v in _trainable(model).values())
    say(
        f"training {config.method} on {model_dir} ({trainable:,} of {base_params:,} parameters "
        f"trainable), {len(train_set)} train / {len(valid_set)} valid samples, "
        f"{config.iters} iterations"
    )
    # Arrays are immutable and the optimizer replaces them, so references are a snapshot.
    before = flatten(model.parameters())

    recorder = _Recorder(model, checkpoints, config.keep_all_checkpoints)
    if adapters is not None:
        adapter_file = adapters / "adapters.safetensors"
    else:
        adapter_file = checkpoints / "final_trained.safetensors"
    args = trainer.TrainingArgs(
        batch_size=batch_size,
        iters=config.iters,
        val_batches=config.val_batches,
        steps_per_report=min(config.steps_per_report, max(1, config.iters // 5)),
        steps_per_eval=config.steps_per_eval,
        steps_per_save=config.iters + 1,  # checkpoints are written by the recorder
        max_seq_length=config.max_seq_length,
        adapter_file=str(adapter_file),
        grad_checkpoint=config.grad_checkpoint,
    )
    train_data = train_set.mlx_dataset
    corrected = corrected_rows(files) if config.repeat_corrected > 1 else None
    if corrected is not None and any(corrected):
        train_data = Repeated(train_data, [config.repeat_corrected if c else 1 for c in corrected])
        say(
            f"{sum(corrected)} corrected (or anchor) samples visited "
            f"{config.repeat_corrected}x per pass"
        )
    mx.reset_peak_memory()
    tic = time.perf_counter()
    with _stdout_to_stderr(quiet):
        trainer.train(
            model=model,
            optimizer=make_optimizer(config),
            train_dataset=train_data,
            # nothing is selected by a mid-run loss when the final weights are kept: mlx-lm
            # would still evaluate at the first and last steps (~13 s each on SmolLM2)
            val_dataset=None if config.select == "final" else valid_set.mlx_dataset,
            args=args,
            loss=masked_loss,
            # mlx-lm calls it without a seed: bound here, so the same dataset and config train
            # the same model (unseeded, two loops on identical data answered 87% and 80%)
            iterate_batches=functools.partial(iterate_batches, seed=config.seed),
            training_callback=recorder,
        )
        final_val = float(
            trainer.evaluate(
                model=model,
                iterate_batches=iterate_batches,
                dataset=valid_set.mlx_dataset,
                batch_size=batch_size,
                num_batches=config.val_batches,
                max_seq_length=config.max_seq_length,
                loss=masked_loss,
            )
        )
    recorder.record_val(config.iters, final_val, name="final_weights.safetensors")
    timing["train"] = time.perf_counter() - tic
    peak_gb = mx.get_peak_memory() / 1e9

    after = flatten(model.parameters())
    unchanged = [
        name
        for name, value in before.items()
        if name in after and bool(mx.array_equal(value, after[name]).item())
    ]
    if config.method == "full" and unchanged:
        notes.append(f"{len(unchanged)} parameter tensors did not change: {unchanged[:5]}")

    if recorder.best is None:  # pragma: no cover - record_val above always sets it
        raise PunieError("training produced no validation result")
    best_iteration, best_loss, best_path = recorder.best
    if config.select == "final":
        best_iteration, best_loss = config.iters, final_val
        best_path = checkpoints / "final_weights.safetensors"
    say(f"selected iteration {best_iteration} (validation loss {best_loss:.4f}, {config.select})")
    model.load_weights(str(best_path), strict=False)
    eval_arrays(model.parameters())
    if adapters is not None:
        save_safetensors(adapters / "adapters.safetensors", _trainable(model))

    test_loss: float | None = None
    if test_set is not None and len(test_set) >= batch_size:
        test_loss = float(
            trainer.evaluate(
                model=model,
                iterate_batches=iterate_batches,
                dataset=test_set.mlx_dataset,
                batch_size=batch_size,
                # as many batches as each validation (all of them when that is -1): a loss
                # for the card, not a measurement anything is selected by
                num_batches=config.val_batches,
                max_seq_length=config.max_seq_length,
                loss=masked_loss,
            )
        )

    tic = time.perf_counter()
    model.eval()
    fused = fuse_adapters(model) if adapters is not None else 0
    float_dir = out / "model"
    float_hash = save_model_dir(float_dir, model_dir, model, tokenizer, model_config)
    timing["fuse_and_save"] = time.perf_counter() - tic

    tic = time.perf_counter()
    quant_dir: Path | None = None
    quant_hash: str | None = None
    if config.q_bits is None:
        notes.append("quantization not requested")
    else:
        candidate = out / f"model-q{config.q_bits}"
        with _stdout_to_stderr(True):
            quant_hash, note = quantize_model_dir(
                float_dir, candidate, config.q_bits, config.q_group_size
            )
        notes.append(note)
        quant_dir = candidate if quant_hash is not None else None
    timing["quantize"] = time.perf_counter() - tic

    train_points = [(int(r["iteration"]), r["train_loss"]) for r in recorder.train]
    losses: dict[str, Any] = {
        "train": [dict(r) for r in recorder.train],
        "valid": [{"iteration": i, "val_loss": v} for i, v in recorder.valid],
        "best": {"iteration": best_iteration, "val_loss": best_loss},
    }
    (out / "losses.json").write_text(json.dumps(losses, indent=2) + "\n")
    plot_losses(
        train_points,
        recorder.valid,
        (best_iteration, best_loss),
        out / "losses.png",
        f"punie train · {config.method} · {model_dir.name}",
    )
    trained_tps = _mean([r["tokens_per_second"] for r in recorder.train])
    its = _mean([r["iterations_per_second"] for r in recorder.train])
    input_tps = its * batch_size * _mean([float(x) for x in train_set.lengths])
    timing["total"] = time.perf_counter() - started

    final_model = quant_dir or float_dir
    splits = {"train": train_set, "valid": valid_set, "test": test_set}
    card: dict[str, Any] = {
        "name": f"{model_dir.name}-{config.method}-{out.name}",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "base_model": {
            "path": str(model_dir),
            "weights_sha256": base_hash,
            "parameters": base_params,
        },
        "dataset": {
            "directory": str(files.directory),
            "sha256": files.sha256(),
            "splits": {k: _split_card(ds) for k, ds in splits.items() if ds is not None},
        },
        "config": config.to_dict() | {"batch_size_used": batch_size},
        "result": {
            "best_iteration": best_iteration,
            "best_val_loss": best_loss,
            "first_train_loss": train_points[0][1] if train_points else None,
            "final_train_loss": train_points[-1][1] if train_points else None,
            "test_loss": test_loss,
            "trainable_parameters": trainable,
            "unchanged_parameter_tensors": len(unchanged),
            "fused_adapter_layers": fused,
            "trained_tokens_per_second": trained_tps,
            "input_tokens_per_second": input_tps,
            "peak_memory_gb": peak_gb,
        },
        "losses": losses,
        "outputs": {
            "model": {"path": str(final_model), "weights_sha256": quant_hash or float_hash},
            "float": {"path": str(float_dir), "weights_sha256": float_hash},
            "quantized": {
                "path": str(quant_dir) if quant_dir else None,
                "weights_sha256": quant_hash,
            },
            "adapters": {"path": str(adapters) if adapters else None},
        },
        "timing_seconds": timing,
        "blas": blas_status(),
        "versions": versions(),
        "notes": notes,
    }
    write_model_card(out, card)
    return TrainResult(
        out=out,
        model_path=final_model,
        float_model_path=float_dir,
        quantized_model_path=quant_dir,
        best_iteration=best_iteration,
        best_val_loss=best_loss,
        first_train_loss=train_points[0][1] if train_points else float("nan"),
        final_train_loss=train_points[-1][1] if train_points else float("nan"),
        train_losses=train_points,
        val_losses=list(recorder.valid),
        trained_tokens_per_second=trained_tps,
        input_tokens_per_second=input_tps,
        seconds=timing["total"],
        unchanged_parameters=unchanged,
        card=card,
        notes=notes,
    )
