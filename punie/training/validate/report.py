"""Validation reports: per-category and overall figures, as text and JSON, and comparisons."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from punie.errors import PunieError
from punie.training.validate.score import CaseResult

__all__ = ["METRICS", "ValidationReport", "compare", "load_report", "summarize", "wilson"]

METRICS = ("tool_ok", "ran", "fields_ok", "answer_ok")


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion (sound at 0% and 100% too)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def summarize(cases: Sequence[CaseResult]) -> dict[str, float]:
    """Each metric's share of ``cases``, with ``<metric>_lo``/``_hi``: its 95% interval."""
    n = len(cases)
    if n == 0:
        return {"n": 0}
    out: dict[str, float] = {"n": n}
    for metric in METRICS:
        hits = sum(bool(getattr(c, metric)) for c in cases)
        out[metric] = hits / n
        out[f"{metric}_lo"], out[f"{metric}_hi"] = wilson(hits, n)
    out["steps"] = sum(c.steps for c in cases) / n
    out["tokens"] = sum(c.prompt_tokens + c.completion_tokens for c in cases) / n
    out["latency_s"] = sum(c.latency_s for c in cases) / n
    return out


@dataclass(frozen=True)
class ValidationReport:
    model: str
    suite: str
    suite_sha256: str
    cases: tuple[CaseResult, ...]
    overlap_warning: str | None = None

    def by_category(self) -> dict[str, dict[str, float]]:
        groups: dict[str, list[CaseResult]] = {}
        for case in self.cases:
            groups.setdefault(case.category, []).append(case)
        return {cat: summarize(group) for cat, group in sorted(groups.items())}

    def overall(self) -> dict[str, float]:
        return summarize(self.cases)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "suite": self.suite,
            "suite_sha256": self.suite_sha256,
            "overlap_warning": self.overlap_warning,
            "overall": self.overall(),
            "by_category": self.by_category(),
            "cases": [asdict(c) for c in self.cases],
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    def table_rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for name, stats in [*self.by_category().items(), ("overall", self.overall())]:
            rows.append(
                (
                    name,
                    str(int(stats["n"])),
                    *(f"{100 * stats[m]:.0f}%" for m in METRICS),
                    f"{stats['steps']:.1f}",
                    f"{stats['tokens']:.0f}",
                    f"{stats['latency_s']:.2f}",
                )
            )
        return rows

    def render(self) -> str:
        header = ("category", "n", "tool", "ran", "fields", "correct", "steps", "tokens", "s")
        rows = self.table_rows()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [f"model: {self.model}", f"suite: {self.suite} (sha256 {self.suite_sha256[:12]})"]
        if self.overlap_warning:
            lines.append(f"WARNING: {self.overlap_warning}")
        for row in [header, *rows]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        return "\n".join(lines)


def load_report(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PunieError(f"report {path} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or "cases" not in data:
        raise PunieError(f"{path} is not a validation report")
    return data  # pyright: ignore[reportUnknownVariableType]


def compare(new: ValidationReport, old: dict[str, Any]) -> dict[str, Any]:
    """Deltas per category and overall (new - old), and every case that regressed."""
    deltas: dict[str, dict[str, float]] = {}
    old_cats: dict[str, dict[str, float]] = dict(old.get("by_category", {}))
    for name, stats in [*new.by_category().items(), ("overall", new.overall())]:
        before = old.get("overall", {}) if name == "overall" else old_cats.get(name, {})
        deltas[name] = {m: stats.get(m, 0.0) - float(before.get(m, 0.0)) for m in METRICS}
    old_cases = {str(c["uid"]): c for c in old.get("cases", [])}
    regressed = [
        {
            "uid": c.uid,
            "question": c.question,
            "before": old_cases[c.uid].get("answer"),
            "after": c.answer,
            "reason": c.reason,
        }
        for c in new.cases
        if c.uid in old_cases and old_cases[c.uid].get("answer_ok") and not c.answer_ok
    ]
    return {"old_model": old.get("model"), "deltas": deltas, "regressed": regressed}
