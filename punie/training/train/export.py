"""After training: fuse adapters, save, quantize, plot the losses, write the model card."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from punie.model.hashing import weights_sha256
from punie.model.mlx_api import module

__all__ = [
    "fuse_adapters",
    "plot_losses",
    "quantizable_layers",
    "quantize_model_dir",
    "save_model_dir",
    "write_model_card",
]


def fuse_adapters(model: Any) -> int:
    """Fold every LoRA/DoRA adapter into its base layer, as ``mlx_lm.fuse`` does; return how many.

    Adapters over quantized layers are fused and re-quantized with the base layer's settings.
    """
    fused: list[tuple[str, Any]] = [
        (name, layer.fuse(dequantize=False))
        for name, layer in model.named_modules()
        if hasattr(layer, "fuse")
    ]
    if fused:
        model.update_modules(module("mlx.utils").tree_unflatten(fused))
    return len(fused)


def save_model_dir(dst: Path, src: Path, model: Any, tokenizer: Any, config: dict[str, Any]) -> str:
    """Save ``model`` with mlx-lm's writer (weights, config, tokenizer); return the weights hash."""
    if dst.exists():
        shutil.rmtree(dst)
    module("mlx_lm.utils").save(dst, src, model, tokenizer, dict(config), donate_model=False)
    return weights_sha256(dst)


def quantizable_layers(model: Any, group_size: int) -> tuple[int, int]:
    """(layers that can be quantized with ``group_size``, layers with quantizable types)."""
    nn = module("mlx.nn")
    total = 0
    fits = 0
    for _, layer in model.named_modules():
        if isinstance(layer, nn.Linear | nn.Embedding):
            total += 1
            if int(layer.weight.shape[-1]) % group_size == 0:
                fits += 1
    return fits, total


def quantize_model_dir(src: Path, dst: Path, bits: int, group_size: int) -> tuple[str | None, str]:
    """Quantize the float model in ``src`` into ``dst`` with ``mlx_lm.convert``.

    Returns (weights hash or None when skipped, a note saying what happened)."""
    config: dict[str, Any] = json.loads((src / "config.json").read_text())
    if "quantization" in config:
        q: Any = config["quantization"]
        bits_now = q.get("bits", "?")
        return None, f"not quantized again: the model is already quantized ({bits_now} bits)"
    model, _ = module("mlx_lm.utils").load_model(src, lazy=True)
    fits, total = quantizable_layers(model, group_size)
    del model
    if fits == 0:
        return None, (
            "quantization skipped: no layer's input dimension is a multiple of the group size "
            f"{group_size}"
        )
    if dst.exists():
        shutil.rmtree(dst)
    module("mlx_lm.convert").convert(
        str(src), str(dst), quantize=True, q_group_size=group_size, q_bits=bits
    )
    note = f"quantized to {bits} bits, group size {group_size}: {fits}/{total} layers"
    if fits < total:
        note += f" ({total - fits} left in float: dimensions not divisible by {group_size})"
    return weights_sha256(dst), note


def plot_losses(
    train: Sequence[tuple[int, float]],
    valid: Sequence[tuple[int, float]],
    best: tuple[int, float] | None,
    out: Path,
    title: str,
) -> None:
    module("matplotlib").use("Agg")
    plt = module("matplotlib.pyplot")
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    if train:
        ax.plot([i for i, _ in train], [v for _, v in train], label="train", color="tab:blue")
    if valid:
        xs = [i for i, _ in valid]
        ax.plot(xs, [v for _, v in valid], "o-", label="validation", color="tab:orange")
    if best is not None:
        ax.plot([best[0]], [best[1]], "*", markersize=14, color="tab:red", label="selected")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_model_card(out: Path, card: dict[str, Any]) -> None:
    """``model_card.json`` (everything) and ``MODEL.md`` (the same, for people)."""
    (out / "model_card.json").write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    base: dict[str, Any] = card["base_model"]
    data: dict[str, Any] = card["dataset"]
    result: dict[str, Any] = card["result"]
    outputs: dict[str, Any] = card["outputs"]
    timing: dict[str, Any] = card["timing_seconds"]
    lines = [
        f"# {card['name']}",
        "",
        f"Trained by `punie train` ({card['config']['method']}) on {card['created']}.",
        "",
        "## Base model",
        "",
        f"- path: `{base['path']}`",
        f"- weights sha256: `{base['weights_sha256']}`",
        f"- parameters: {base['parameters']:,}",
        "",
        "## Dataset",
        "",
        f"- directory: `{data['directory']}`",
        f"- sha256 (of the jsonl files): `{data['sha256']}`",
    ]
    for split in ("train", "valid", "test"):
        if split in data["splits"]:
            s: dict[str, Any] = data["splits"][split]
            lines.append(
                f"- {split}: {s['samples']} samples, {s['tokens']:,} tokens "
                f"({s['trained_tokens']:,} trained), file sha256 `{s['sha256'][:16]}…`"
            )
    lines += [
        "",
        "## Result",
        "",
        f"- selected checkpoint: iteration {result['best_iteration']} "
        f"(validation loss {_fmt(result['best_val_loss'])})",
        f"- final train loss: {_fmt(result['final_train_loss'])}; "
        f"first train loss: {_fmt(result['first_train_loss'])}",
    ]
    if result.get("test_loss") is not None:
        lines.append(f"- test loss: {_fmt(result['test_loss'])}")
    lines += [
        f"- trainable parameters: {result['trainable_parameters']:,}",
        f"- training tokens/s (loss tokens): {_fmt(result['trained_tokens_per_second'])}",
        f"- peak memory: {_fmt(result['peak_memory_gb'])} GB; BLAS: {card['blas']['mode']}",
        "",
        "## Outputs",
        "",
    ]
    for name, entry in outputs.items():
        if entry.get("path"):
            digest = entry.get("weights_sha256")
            suffix = f" (weights sha256 `{digest}`)" if digest else ""
            lines.append(f"- {name}: `{entry['path']}`{suffix}")
    for note in card.get("notes", []):
        lines.append(f"- note: {note}")
    lines += ["", "## Time", ""]
    lines += [f"- {k}: {v:.1f} s" for k, v in timing.items()]
    lines += [
        "",
        "## Configuration",
        "",
        "```json",
        json.dumps(card["config"], indent=2),
        "```",
        "",
    ]
    lines += ["![losses](losses.png)", ""]
    (out / "MODEL.md").write_text("\n".join(lines))
