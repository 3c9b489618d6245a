"""Content hashes of model weights and data files, independent of file layout."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import mlx.core as mx

from punie.model.mlx_api import eval_arrays

__all__ = ["file_sha256", "files_sha256", "tensors_sha256", "weights_sha256"]


def _tensor_bytes(array: mx.array) -> bytes:
    if array.dtype == mx.bfloat16:
        array = array.view(mx.uint16)
    buffer: Any = array
    return bytes(memoryview(buffer))


def tensors_sha256(tensors: Mapping[str, mx.array]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        array = tensors[name]
        eval_arrays(array)
        digest.update(f"{name}|{array.dtype}|{tuple(array.shape)}\n".encode())
        digest.update(_tensor_bytes(array))
    return digest.hexdigest()


def weights_sha256(model_dir: Path) -> str:
    """Hash of all ``*.safetensors`` weights in a model directory (adapters excluded)."""
    tensors: dict[str, mx.array] = {}
    files = sorted(Path(model_dir).glob("model*.safetensors"))
    if not files:
        raise FileNotFoundError(f"no model*.safetensors in {model_dir}")
    for file in files:
        loaded = mx.load(str(file))
        if not isinstance(loaded, dict):  # pragma: no cover - safetensors always gives a dict
            raise TypeError(f"{file} did not load as a tensor dictionary")
        tensors.update(loaded)
    return tensors_sha256(tensors)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_sha256(paths: Iterable[Path]) -> str:
    """One hash over several files: each file's name and content hash, in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(f"{Path(path).name}:{file_sha256(path)}\n".encode())
    return digest.hexdigest()
