"""``punie dataset build|audit``: training datasets from the trace store, and their checks.

``punie dataset build --traces DB --out DIR [--holdout-repo NAME ...] [--valid-fraction 0.1]
[--test-fraction 0.1] [--seed 0] [--tokenizer MODEL_DIR] [--max-seq-length 2048] [--json]``
``punie dataset audit DIR [--max-seq-length N] [--balance-threshold 0.03] [--strict-balance]
[--tokenizer MODEL_DIR] [--json]``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, cast

from punie.cli._common import emit_json
from punie.errors import PunieError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    from punie.agent.prompt import PROMPT_STYLES

    parser = sub.add_parser("dataset", help="build and audit training datasets from traces")
    dataset_sub = parser.add_subparsers(dest="dataset_command", required=True)

    build = dataset_sub.add_parser("build", help="trace DB -> train/valid/test.jsonl + card")
    build.add_argument("--traces", type=Path, required=True, help="trace database")
    build.add_argument("--out", type=Path, required=True, help="dataset directory")
    build.add_argument(
        "--holdout-repo",
        action="append",
        default=[],
        metavar="NAME",
        help="repo whose samples only go to test (repeatable)",
    )
    build.add_argument("--valid-fraction", type=float, default=0.1)
    build.add_argument("--test-fraction", type=float, default=0.1)
    build.add_argument("--seed", type=int, default=0)
    build.add_argument(
        "--tokenizer",
        type=Path,
        default=None,
        metavar="MODEL_DIR",
        help="model the dataset is for: its tokenizer counts tokens and its prompt style is "
        "used (default: the embedded tiny model)",
    )
    build.add_argument(
        "--prompt-style",
        choices=PROMPT_STYLES,
        default=None,
        help="system prompt of every sample (default: the --tokenizer model's)",
    )
    build.add_argument("--max-seq-length", type=int, default=2048)
    build.add_argument("--json", action="store_true")
    build.set_defaults(handler=_build)

    audit = dataset_sub.add_parser("audit", help="check a dataset directory before training")
    audit.add_argument("directory", type=Path)
    audit.add_argument("--max-seq-length", type=int, default=None, help="(default: the card's)")
    audit.add_argument("--balance-threshold", type=float, default=0.03)
    audit.add_argument(
        "--strict-balance", action="store_true", help="under-represented categories/tools fail"
    )
    audit.add_argument(
        "--tokenizer",
        type=Path,
        default=None,
        metavar="MODEL_DIR",
        help="tokenizer for the length check (default: the card's, else the tiny model)",
    )
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(handler=_audit)


def _build(args: argparse.Namespace) -> int:
    from punie.training.dataset.build import build_dataset

    result = build_dataset(
        Path(args.traces),
        Path(args.out),
        holdout_repos=list(args.holdout_repo),
        valid_fraction=float(args.valid_fraction),
        test_fraction=float(args.test_fraction),
        seed=int(args.seed),
        tokenizer_dir=args.tokenizer,
        max_seq_length=int(args.max_seq_length),
        prompt_style=args.prompt_style,
    )
    card = result.card
    if args.json:
        emit_json({"out": str(result.out), "seconds": result.seconds, "card": card})
        return 0
    splits = ", ".join(f"{k} {v['samples']}" for k, v in card["splits"].items())
    src = card["source"]
    print(f"wrote {result.out}: {splits} samples in {result.seconds:.2f}s")
    print(f"traces: {src['traces_used']} used of {src['traces_total']}")
    for reason, n in {**src["excluded"], **src["skipped_steps"]}.items():
        print(f"  skipped {n}: {reason}")
    if src["dropped_too_long"]:
        print(f"  dropped {src['dropped_too_long']}: longer than {card['max_seq_length']} tokens")
    t = card["tokens"]
    print(f"tokens: min {t['min']} p50 {t['p50']} p95 {t['p95']} max {t['max']}")
    return 0


def _card(directory: Path) -> dict[str, Any]:
    """The dataset's card; none at all is fine (defaults), a corrupt one is an error."""
    path = directory / "dataset_card.json"
    if not path.exists():
        return {}
    try:
        value: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PunieError(f"{path}: not a readable dataset card ({exc})") from exc
    if not isinstance(value, dict):
        raise PunieError(f"{path}: a dataset card is a JSON object, got {type(value).__name__}")
    return cast(dict[str, Any], value)


def _audit(args: argparse.Namespace) -> int:
    from punie.training.dataset.audit import audit_dataset
    from punie.training.dataset.tokens import load_tokenizer, resolve_tokenizer_dir

    directory = Path(args.directory)
    card = _card(directory)
    limit = args.max_seq_length or int(card.get("max_seq_length", 2048))
    tok = args.tokenizer
    if tok is None and isinstance(card.get("tokenizer"), str) and Path(card["tokenizer"]).is_dir():
        tok = Path(card["tokenizer"])
    tokenizer = load_tokenizer(resolve_tokenizer_dir(tok))
    report = audit_dataset(
        directory,
        max_seq_length=limit,
        balance_threshold=float(args.balance_threshold),
        strict_balance=bool(args.strict_balance),
        tokenizer=tokenizer,
    )
    if args.json:
        emit_json(report.to_json())
    else:
        for problem in report.problems:
            print(problem, file=sys.stderr if problem.severity == "error" else sys.stdout)
        _print_summary(report)
    return 0 if report.ok else 1


def _print_summary(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"dataset audit: {report.directory}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("problems", justify="right")
    colours = {"pass": "green", "warn": "yellow", "fail": "red", "skipped": "dim"}
    for check, result in report.checks.items():
        n = sum(1 for p in report.problems if p.check == check)
        table.add_row(check, f"[{colours[result]}]{result}[/]", str(n))
    console.print(table)
    samples = ", ".join(f"{k} {v}" for k, v in report.samples.items())
    verdict = "[green]OK[/]" if report.ok else f"[red]FAILED[/] ({len(report.errors)} errors)"
    console.print(
        f"{verdict}; samples: {samples}; longest {report.tokens_max} tokens; {report.seconds:.2f}s"
    )
