"""``punie validate --model M --suite S [--repo R...] [--json] [--compare OLD_REPORT]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import anyio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from punie.agent.loop import MAX_STEPS
from punie.cli._common import add_ray_option, emit_json
from punie.errors import PunieError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    parser = sub.add_parser(
        "validate", help="run a model end to end on a held-out suite and score it"
    )
    parser.add_argument("--model", default=None, help="mlx model dir or openai:URL#ID")
    parser.add_argument(
        "--suite",
        type=Path,
        required=True,
        help="suite JSON; built from --repo (held-out phrasings) when it does not exist",
    )
    parser.add_argument("--repo", action="append", default=[], help="sandbox name or directory")
    parser.add_argument("--per-intent", type=int, default=2, help="cases per intent when building")
    parser.add_argument("--max-steps", type=int, default=MAX_STEPS)
    parser.add_argument(
        "--batch", type=int, default=8, help="cases decoded together (1: one at a time)"
    )
    parser.add_argument("--limit", type=int, default=None, help="run only the first N cases")
    parser.add_argument("--out", type=Path, default=None, help="write the report JSON here")
    parser.add_argument("--compare", type=Path, default=None, help="an earlier report JSON")
    parser.add_argument(
        "--allow-overlap",
        action="store_true",
        help="run even if the suite overlaps the model's training data (flagged in the report)",
    )
    parser.add_argument(
        "--free",
        action="store_true",
        help="decode freely (default: navigation arguments constrained to the workspace's "
        "names that the question mentions)",
    )
    add_ray_option(parser, "fan the repos out (the model loaded once per actor)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from punie.training.validate import (
        CaseResult,
        build_suite,
        compare,
        load_report,
        load_suite,
        save_suite,
        validate_model,
    )

    suite = Path(args.suite)
    if not suite.exists():
        if not args.repo:
            raise PunieError(f"suite {suite} does not exist; give --repo to build it")
        queries, repos = anyio.run(
            lambda: build_suite(list(args.repo), per_intent=int(args.per_intent))
        )
        save_suite(suite, queries, repos)
    sources = {Path(r).name if Path(r).is_dir() else r: r for r in args.repo}
    model = args.model
    if model is None:
        from punie.training.base_model.importer import ensure_default_base

        model = str(ensure_default_base())
    if not str(model).startswith("openai:"):
        from punie.model.openblas import ensure_openblas

        ensure_openblas()  # may restart this command with OpenBLAS preloaded
    total = len(load_suite(suite)[0]) if args.limit is None else int(args.limit)
    with Progress(
        TextColumn("validate"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=bool(args.json),
    ) as bar:
        task = bar.add_task("", total=total)
        correct = [0]

        def progress(case: CaseResult) -> None:
            correct[0] += int(case.answer_ok)
            bar.update(task, advance=1, description=f"{correct[0]} correct")

        report = anyio.run(
            lambda: validate_model(
                str(model),
                suite,
                repos=sources,
                limit=args.limit,
                max_steps=int(args.max_steps),
                allow_overlap=bool(args.allow_overlap),
                progress=progress,
                batch_size=int(args.batch),
                constrain=not args.free,
                ray=args.ray,
            )
        )
    if args.out is not None:
        report.save(Path(args.out))
    comparison = compare(report, load_report(Path(args.compare))) if args.compare else None
    if args.json:
        data = report.to_json()
        if comparison is not None:
            data["compare"] = comparison
        emit_json(data)
        return 0
    print(report.render())
    if comparison is not None:
        print(f"\ncompared with {comparison['old_model']}:")
        for name, delta in comparison["deltas"].items():
            parts = ", ".join(f"{k} {100 * v:+.0f}" for k, v in delta.items())
            print(f"  {name}: {parts}")
        for case in comparison["regressed"]:
            print(f"  regressed: {json.dumps(case)}", file=sys.stdout)
    return 0
