"""The dataset card: ``dataset_card.json`` (machine-readable) and ``DATASET.md`` (the same, for
people)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["counts", "render_markdown", "write_card"]


def counts(values: list[str]) -> dict[str, int]:
    """Counts, most frequent first, ties by name."""
    return dict(sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return lines


def render_markdown(card: dict[str, Any]) -> str:
    src = card["source"]
    splits: dict[str, Any] = card["splits"]
    out: list[str] = [
        "# Dataset card",
        "",
        f"Built {card['created_at']} by `punie dataset build` (seed {card['seed']}).",
        "Format: mlx-lm chat with tools, one sample a line: "
        '`{"messages": [...], "tools": [execute_code]}`; each sample ends with the assistant '
        "turn it trains (one sample per assistant turn). Provenance of line N of `SPLIT.jsonl` "
        "is line N of `SPLIT.meta.jsonl`.",
        "",
        "## Provenance",
        "",
        f"- Trace database: `{src['path']}`",
        f"- Database sha256 (image read, WAL included): `{src['sha256']}`",
        f"- Traces: {src['traces_total']} stored, {src['traces_used']} used",
        f"- Prompt style: {card.get('prompt_style', 'catalogue')}; system prompt sha256: "
        f"`{card['system_prompt_sha256']}`",
        f"- Tokenizer: `{card['tokenizer']}`; max_seq_length {card['max_seq_length']}",
        f"- Holdout repos (test only): {', '.join(card['holdout_repos']) or 'none'}",
        "",
        "### Repositories",
        "",
    ]
    out += _table(
        ["repo", "commits", "uncommitted changes", "samples"],
        [
            [
                name,
                ", ".join(c[:12] for c in info["commits"]) or "unknown",
                info["dirty"],
                info["samples"],
            ]
            for name, info in card["repos"].items()
        ],
    )
    out += ["", "### Models and teachers", ""]
    out += _table(["model (turns.model)", "traces"], [[k, v] for k, v in card["models"].items()])
    out += [""]
    out += _table(
        ["teacher (harvest ledger)", "traces"], [[k, v] for k, v in card["teachers"].items()]
    )
    out += ["", "### Tool versions (from the turns)", ""]
    out += _table(
        ["package", "versions"], [[k, ", ".join(v)] for k, v in card["tool_versions"].items()]
    )
    out += ["", "### Excluded", ""]
    excluded = {**src["excluded"], **{f"step: {k}": v for k, v in src["skipped_steps"].items()}}
    excluded["sample longer than max_seq_length"] = src["dropped_too_long"]
    out += _table(["reason", "count"], [[k, v] for k, v in excluded.items()])
    out += ["", "## Splits", ""]
    out += _table(
        ["split", "samples", "traces", "groups", "tokens min", "p50", "p95", "max"],
        [
            [
                name,
                s["samples"],
                s["traces"],
                s["groups"],
                s["tokens"]["min"],
                s["tokens"]["p50"],
                s["tokens"]["p95"],
                s["tokens"]["max"],
            ]
            for name, s in splits.items()
        ],
    )
    for title, key in (("Categories", "categories"), ("Tools called", "tools"), ("Repos", "repos")):
        names = sorted({n for s in splits.values() for n in s[key]})
        out += ["", f"### {title}", ""]
        out += _table(
            [key[:-1] if key != "categories" else "category", *splits],
            [[n, *(s[key].get(n, 0) for s in splits.values())] for n in names],
        )
    t = card["tokens"]
    out += [
        "",
        f"All samples: {t['count']} samples, tokens min {t['min']} / p50 {t['p50']} / "
        f"p95 {t['p95']} / max {t['max']} (total {t['total']}).",
        "",
        "## Selection rules",
        "",
        card["selection_rules"],
        "",
    ]
    return "\n".join(out)


def write_card(out: Path, card: dict[str, Any]) -> None:
    (out / "dataset_card.json").write_text(
        json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "DATASET.md").write_text(render_markdown(card), encoding="utf-8")
