"""Dataset directories in mlx-lm's layout (``train.jsonl``, ``valid.jsonl``, optionally
``test.jsonl``), checked line by line before anything is trained, then wrapped in mlx-lm's
dataset classes.

A line is ``{"messages": [...], "tools": [...]}`` (chat, the format punie exports), or
``{"text": ...}``, or ``{"prompt": ..., "completion": ...}``. Prompts are masked: only the last
message of a chat sample (which must be the assistant's) is trained on.
"""

from __future__ import annotations

import json
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from punie.agent.prompt import style_of, template_problem
from punie.errors import PunieError
from punie.model.hashing import files_sha256
from punie.model.mlx_api import module
from punie.traces.messages import message_problems

__all__ = [
    "Dataset",
    "DatasetFiles",
    "corrected_rows",
    "find_dataset_files",
    "load_datasets",
    "read_jsonl",
]


@dataclass(frozen=True)
class DatasetFiles:
    directory: Path
    train: Path
    valid: Path
    test: Path | None

    def all(self) -> list[Path]:
        return [p for p in (self.train, self.valid, self.test) if p is not None]

    def sha256(self) -> str:
        return files_sha256(self.all())


@dataclass
class Dataset:
    """One split: the raw samples, mlx-lm's dataset object wrapped in ``CacheDataset``, and token
    statistics from processing every sample once."""

    path: Path
    samples: list[dict[str, Any]]
    mlx_dataset: Any
    tokens: int = 0
    trained_tokens: int = 0
    longest: int = 0
    lengths: list[int] = field(default_factory=lambda: [])

    def __len__(self) -> int:
        return len(self.samples)


def find_dataset_files(directory: Path) -> DatasetFiles:
    directory = Path(directory)
    if not directory.is_dir():
        raise PunieError(f"dataset directory {directory} does not exist")
    missing = [n for n in ("train.jsonl", "valid.jsonl") if not (directory / n).is_file()]
    if missing:
        raise PunieError(
            f"dataset directory {directory} is missing {' and '.join(missing)} "
            "(expected train.jsonl and valid.jsonl, optionally test.jsonl)"
        )
    test = directory / "test.jsonl"
    return DatasetFiles(
        directory,
        directory / "train.jsonl",
        directory / "valid.jsonl",
        test if test.is_file() else None,
    )


def _check_sample(where: str, sample: dict[str, Any]) -> None:
    if "messages" in sample:
        problems = message_problems(sample["messages"])
        if problems:
            raise PunieError(f"{where}: {problems[0]}")
        tools = sample.get("tools")
        if tools is not None and not isinstance(tools, list):
            raise PunieError(f"{where}: 'tools' must be a list")
    elif "prompt" in sample and "completion" in sample:
        if not isinstance(sample["prompt"], str) or not isinstance(sample["completion"], str):
            raise PunieError(f"{where}: 'prompt' and 'completion' must be strings")
    elif "text" in sample:
        if not isinstance(sample["text"], str):
            raise PunieError(f"{where}: 'text' must be a string")
    else:
        raise PunieError(
            f"{where}: expected an object with 'messages' (or 'prompt'/'completion', or 'text'); "
            f"got keys {sorted(sample)}"
        )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Parse and check every line of ``path``; errors name the file and the 1-based line."""
    samples: list[dict[str, Any]] = []
    kinds: set[str] = set()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PunieError(f"cannot read dataset file {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            value: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PunieError(f"{where}: malformed JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(value, dict):
            raise PunieError(f"{where}: expected a JSON object, got {type(value).__name__}")
        sample = cast(dict[str, Any], value)
        _check_sample(where, sample)
        kinds.add(
            "messages" if "messages" in sample else "prompt" if "prompt" in sample else "text"
        )
        samples.append(sample)
    if len(kinds) > 1:
        raise PunieError(f"{path} mixes sample formats ({', '.join(sorted(kinds))}); use one")
    if not samples:
        raise PunieError(f"dataset file {path} is empty")
    return samples


def _build(path: Path, samples: list[dict[str, Any]], tokenizer: Any) -> Dataset:
    datasets = module("mlx_lm.tuner.datasets")
    mask = "text" not in samples[0]
    options = types.SimpleNamespace(mask_prompt=mask)
    cached: Any = datasets.CacheDataset(datasets.create_dataset(samples, tokenizer, options))
    dataset = Dataset(path=path, samples=samples, mlx_dataset=cached)
    # Render and tokenize every sample now, so a sample the chat template cannot render is
    # reported with its line, and token counts are known before training.
    line_numbers = [
        n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip()
    ]
    for index in range(len(samples)):
        try:
            item: Any = cached[index]
        except Exception as exc:
            raise PunieError(
                f"{path} line {line_numbers[index]}: the model's chat template or tokenizer "
                f"cannot process this sample: {exc}"
            ) from exc
        tokens_list = cast(Sequence[int], item[0])
        offset = int(item[1])
        if "messages" in samples[index]:
            style = style_of(samples[index])
            problem = template_problem(tokenizer, samples[index]["messages"], style)
            if problem is not None:
                raise PunieError(
                    f"{path} line {line_numbers[index]}: the model's chat template cannot "
                    f"carry this sample: {problem}"
                )
        if offset >= len(tokens_list):
            raise PunieError(
                f"{path} line {line_numbers[index]}: nothing left to train on after the prompt"
            )
        dataset.tokens += len(tokens_list)
        dataset.trained_tokens += len(tokens_list) - offset
        dataset.longest = max(dataset.longest, len(tokens_list))
        dataset.lengths.append(len(tokens_list))
    return dataset


def load_datasets(files: DatasetFiles, tokenizer: Any) -> tuple[Dataset, Dataset, Dataset | None]:
    """Read, check and tokenize the splits."""
    train = _build(files.train, read_jsonl(files.train), tokenizer)
    valid = _build(files.valid, read_jsonl(files.valid), tokenizer)
    test = _build(files.test, read_jsonl(files.test), tokenizer) if files.test else None
    return train, valid, test


def corrected_rows(files: DatasetFiles) -> list[bool] | None:
    """Which train rows are corrections, their anchors or other weighted labels (``corrected``,
    ``anchor`` or ``weighted`` in ``train.meta.jsonl``, the line beside each row that ``punie
    dataset build`` and a round's replay write); ``None`` without a meta file that matches."""
    meta = files.train.with_name("train.meta.jsonl")
    if not meta.is_file():
        return None
    flags: list[bool] = []
    for line in meta.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            value: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PunieError(f"{meta}: malformed JSON ({exc.msg})") from exc
        item = cast(dict[str, Any], value) if isinstance(value, dict) else {}
        flags.append(bool(item.get("corrected") or item.get("anchor") or item.get("weighted")))
    rows = sum(1 for line in files.train.read_text(encoding="utf-8").splitlines() if line.strip())
    return flags if len(flags) == rows else None
