"""Typed doorways into mlx, mlx-lm and matplotlib, whose Python APIs are mostly unannotated.

Modules come back as ``Any`` (so strict type checking does not chase unknown types through
them), and the handful of calls used everywhere get real signatures here.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path
from typing import Any

import mlx.core as mx

__all__ = [
    "eval_arrays",
    "flatten",
    "module",
    "save_safetensors",
    "versions",
]


def module(name: str) -> Any:
    """Import ``name`` (e.g. ``"mlx_lm.tuner.trainer"``) and return it untyped."""
    return importlib.import_module(name)


def eval_arrays(*values: Any) -> None:
    """``mx.eval`` over arrays or trees of arrays."""
    module("mlx.core").eval(*values)


def flatten(tree: Any) -> dict[str, mx.array]:
    """A parameter tree (``model.parameters()``) as ``{"dotted.name": array}``."""
    pairs: list[tuple[str, mx.array]] = module("mlx.utils").tree_flatten(tree)
    return dict(pairs)


def save_safetensors(
    path: Path, arrays: dict[str, mx.array], metadata: dict[str, str] | None = None
) -> None:
    module("mlx.core").save_safetensors(str(path), arrays, metadata=metadata)


def versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in ("mlx", "mlx-lm", "tokenizers", "transformers"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
