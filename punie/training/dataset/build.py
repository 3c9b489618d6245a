"""``build_dataset``: a trace database in, an mlx-lm dataset directory with its card out."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from punie.agent.prompt import PromptStyle, model_prompt_style, system_prompt, template_problem
from punie.errors import PunieError
from punie.traces.reader import TraceRecord, read_traces
from punie.training.dataset import select as select_module
from punie.training.dataset.card import counts, write_card
from punie.training.dataset.formats import sample_key
from punie.training.dataset.select import Sample, select_samples
from punie.training.dataset.split import split_samples
from punie.training.dataset.tokens import (
    count_tokens,
    distribution,
    load_tokenizer,
    resolve_tokenizer_dir,
)

__all__ = ["BuildResult", "build_dataset", "write_jsonl"]


@dataclass(frozen=True)
class BuildResult:
    out: Path
    card: dict[str, Any]
    seconds: float

    @property
    def samples(self) -> int:
        return sum(int(s["samples"]) for s in self.card["splits"].values())


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _repos(used: list[TraceRecord], samples: dict[str, list[Sample]]) -> dict[str, Any]:
    repos: dict[str, dict[str, Any]] = {}
    for trace in used:
        info = repos.setdefault(
            select_module.repo_name(trace),
            {"paths": set[str](), "commits": set[str](), "dirty": False, "samples": 0},
        )
        info["paths"].add(trace.repo_path)
        if trace.git_commit:
            info["commits"].add(trace.git_commit)
        info["dirty"] = bool(info["dirty"] or trace.git_dirty)
    for part in samples.values():
        for sample in part:
            repos[sample.repo]["samples"] += 1
    return {
        name: {
            "paths": sorted(info["paths"]),
            "commits": sorted(info["commits"]),
            "dirty": info["dirty"],
            "samples": info["samples"],
        }
        for name, info in sorted(repos.items())
    }


def _split_stats(part: list[Sample]) -> dict[str, Any]:
    return {
        "samples": len(part),
        "traces": len({s.trace_uid for s in part}),
        "groups": len({s.group for s in part}),
        "corrected": sum(s.corrected for s in part),
        "multi_message_context": sum(any(m["role"] == "tool" for m in s.messages) for s in part),
        "categories": counts([s.category for s in part]),
        "tools": counts([t for s in part for t in s.tools]),
        "repos": counts([s.repo for s in part]),
        "sources": counts([s.source for s in part]),
        "tokens": distribution([s.tokens for s in part]),
    }


def build_dataset(
    traces_db: Path,
    out: Path,
    *,
    holdout_repos: Sequence[str] = (),
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    tokenizer_dir: Path | None = None,
    max_seq_length: int = 2048,
    prompt_style: PromptStyle | None = None,
) -> BuildResult:
    """Select, split, shuffle and write; see :mod:`punie.training.dataset.select` and
    :mod:`punie.training.dataset.split` for the rules. ``prompt_style`` defaults to the one the
    tokenizer's model directory names (:func:`punie.agent.prompt.model_prompt_style`)."""
    from punie.tools.catalogue import tool_specs

    started = time.perf_counter()
    snapshot = read_traces(Path(traces_db))
    tok_dir = resolve_tokenizer_dir(tokenizer_dir)
    style = model_prompt_style(tok_dir) if prompt_style is None else prompt_style
    system = system_prompt(style)
    known = tuple(s.name for s in tool_specs())
    selection = select_samples(snapshot.traces, known, style)
    if not selection.samples:
        reasons = ", ".join(f"{k}: {v}" for k, v in selection.excluded.items()) or "no traces"
        raise PunieError(f"no usable traces in {traces_db} ({reasons})")
    tokenizer = load_tokenizer(tok_dir)
    for sample in selection.samples:
        problem = template_problem(tokenizer, sample.record()["messages"], style)
        if problem is not None:
            raise PunieError(
                f"the chat template of {tok_dir} cannot carry the dataset's samples "
                f"({problem}); a model trained on it would learn empty replies"
            )
    kept: list[Sample] = []
    too_long = duplicates = 0
    seen: set[str] = set()
    for sample in selection.samples:
        # the same question answered by the same program on two repos (a direct question, a
        # repo-wide count) is one sample: keep the first, so no split repeats or leaks it
        key = sample_key(sample.record()["messages"])
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        sample.tokens = count_tokens(tokenizer, sample.record())
        if sample.tokens > max_seq_length:
            too_long += 1
        else:
            kept.append(sample)
    if not kept:
        raise PunieError(f"every sample is longer than max_seq_length {max_seq_length} tokens")
    splits = split_samples(
        kept,
        holdout=list(holdout_repos),
        valid_fraction=valid_fraction,
        test_fraction=test_fraction,
        seed=seed,
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for name, part in splits.by_name().items():
        data, meta = out / f"{name}.jsonl", out / f"{name}.meta.jsonl"
        if not part:  # mlx-lm and punie train reject an empty split file: leave none
            data.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
            continue
        write_jsonl(data, [s.record() for s in part])
        write_jsonl(meta, [s.meta() for s in part])
        files[name] = _sha256(data)
    by_name = {k: v for k, v in splits.by_name().items() if v}
    used = selection.used
    teachers = [
        row.teacher for t in used for row in t.ledger[:1] if any(r.verified for r in t.ledger)
    ]
    versions: dict[str, set[str]] = {}
    for trace in used:
        for package, version in trace.tool_versions.items():
            versions.setdefault(package, set()).add(version)
    seconds = time.perf_counter() - started
    card: dict[str, Any] = {
        "format": "mlx-lm chat+tools jsonl, one sample per assistant turn",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seed": seed,
        "valid_fraction": valid_fraction,
        "test_fraction": test_fraction,
        "max_seq_length": max_seq_length,
        "holdout_repos": sorted(holdout_repos),
        "tokenizer": str(tok_dir),
        "prompt_style": style,
        "system_prompt_sha256": hashlib.sha256(system.encode("utf-8")).hexdigest(),
        "source": {
            "path": str(Path(traces_db).resolve()),
            "sha256": snapshot.sha256,
            "has_ledger": snapshot.has_ledger,
            "traces_total": len(snapshot.traces),
            "traces_used": len(used),
            "excluded": dict(sorted(selection.excluded.items())),
            "skipped_steps": dict(sorted(selection.skipped_steps.items())),
            "dropped_too_long": too_long,
            "dropped_duplicates": duplicates,
        },
        "repos": _repos(used, by_name),
        "tool_versions": {k: sorted(v) for k, v in sorted(versions.items())},
        "models": counts([t.model for t in used]),
        "teachers": counts(teachers),
        "files": files,
        "splits": {name: _split_stats(part) for name, part in by_name.items()},
        "tokens": distribution([s.tokens for s in kept]),
        "build_seconds": round(seconds, 3),
        "selection_rules": (select_module.__doc__ or "").strip(),
    }
    write_card(out, card)
    return BuildResult(out, card, seconds)
