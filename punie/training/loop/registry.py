"""Which models ``punie loop`` trained: ``.punie/models/trained.json``, newest last.

``punie ask`` and ``punie repl`` without ``--model`` use the newest entry whose directory still
holds a model, so a user runs what the last loop validated, never random weights.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, cast

from punie.errors import PunieError

__all__ = ["REGISTRY", "TrainedModel", "newest_trained", "record_trained"]

REGISTRY: Final = Path(".punie") / "models" / "trained.json"


@dataclass(frozen=True)
class TrainedModel:
    path: str
    base: str
    report: str
    trained_at: str
    tool_ok: float
    answer_ok: float
    cases: int

    def describe(self) -> str:
        return (
            f"{self.path} (trained by punie loop {self.trained_at} from {Path(self.base).name}; "
            f"held-out suite: {100 * self.answer_ok:.0f}% correct, {100 * self.tool_ok:.0f}% "
            f"right tool, {self.cases} cases)"
        )


def _read(registry: Path) -> list[dict[str, Any]]:
    try:
        data: Any = json.loads(registry.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, json.JSONDecodeError) as exc:
        raise PunieError(f"trained-model registry {registry} is unreadable: {exc}") from exc
    if not isinstance(data, list):
        raise PunieError(f"trained-model registry {registry} is not a JSON list")
    return [cast(dict[str, Any], e) for e in cast(list[Any], data) if isinstance(e, dict)]


def record_trained(
    model: Path, base: Path, report: Path, overall: dict[str, Any], registry: Path = REGISTRY
) -> TrainedModel:
    """Append a trained model (written atomically, so a killed loop leaves the old list)."""
    entry = TrainedModel(
        path=str(Path(model).resolve()),
        base=str(Path(base).resolve()),
        report=str(Path(report).resolve()),
        trained_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        tool_ok=float(overall.get("tool_ok", 0.0)),
        answer_ok=float(overall.get("answer_ok", 0.0)),
        cases=int(overall.get("n", 0)),
    )
    entries = [e for e in _read(registry) if e.get("path") != entry.path] + [asdict(entry)]
    registry.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=registry.parent, prefix=".trained-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(entries, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, registry)
    return entry


def newest_trained(registry: Path = REGISTRY) -> TrainedModel | None:
    """The newest registered model whose directory still holds a model, or None."""
    from punie.training.base_model.build import is_model_dir

    fields = set(TrainedModel.__dataclass_fields__)
    for raw in reversed(_read(registry)):
        if fields <= set(raw) and is_model_dir(Path(str(raw["path"]))):
            return TrainedModel(**{k: raw[k] for k in fields})
    return None
