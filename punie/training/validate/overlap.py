"""Does a suite overlap the training data of the model being validated?

The model card (``model_card.json`` beside or above the weights, written by ``punie train``)
names the dataset directory; its ``train.jsonl`` questions and, when present, the ``repo`` and
``symbol`` of each sample (``train.meta.jsonl``) are compared with the suite's cases.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from punie.training.queries import Query

__all__ = ["find_overlap", "training_dataset"]


def training_dataset(model_dir: Path) -> Path | None:
    for folder in (model_dir, model_dir.parent):
        card = folder / "model_card.json"
        if card.is_file():
            try:
                data = json.loads(card.read_text(encoding="utf-8"))
                return Path(str(data["dataset"]["directory"]))
            except (OSError, ValueError, KeyError, TypeError):
                return None
    return None


def _jsonl(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        return []
    rows: list[dict[str, object]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            rows.append(value)  # pyright: ignore[reportUnknownArgumentType]
    return rows


def find_overlap(queries: list[Query], dataset: Path) -> list[str]:
    """Human-readable reasons, one per overlapping case (empty: no overlap)."""
    questions: set[str] = set()
    for row in _jsonl(dataset / "train.jsonl"):
        messages: Any = row.get("messages") or []
        for message in cast(list[Any], messages) if isinstance(messages, list) else []:
            if isinstance(message, dict):
                item = cast(dict[str, Any], message)
                if item.get("role") == "user":
                    questions.add(str(item.get("content", "")).strip())
    pairs = {
        (str(row.get("repo")), str(row.get("symbol")))
        for row in _jsonl(dataset / "train.meta.jsonl")
        if row.get("symbol") is not None
    }
    reasons: list[str] = []
    for query in queries:
        if query.question.strip() in questions:
            reasons.append(f"{query.uid}: question seen in training: {query.question!r}")
        elif query.symbol is not None and (query.repo, query.symbol) in pairs:
            reasons.append(f"{query.uid}: symbol {query.repo}:{query.symbol} seen in training")
    return reasons
