"""The second round (``punie loop --from-traces``) on a simulated deployment of a finished loop.

A user asks the loop's trained model every k-th held-out question of its suite (code and
conceptual ones alike), with what ``ask`` gives a user (the loop's steps and tokens), and
labels each turn: ``good`` when its answer is right, else ``bad`` with the corrected program
(the teacher's) or the right prose answer. The labelled turns go through
:func:`punie.training.loop.run.run_from_traces` once per replay setting, and the table gives
correct answers on the suite before and after, on the cases the traces cover and on the rest.

    uv run python benchmarks/second_round.py [--workdir runs/loop] [--every 3] [--offset 0]
        [--replay 8 16]
        [--start base model]   # retrain the base with the traces (default), or continue
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, cast

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


async def _deploy(
    workdir: Path, db: Path, every: int, offset: int, max_steps: int, max_tokens: int
) -> str:
    """Ask and label every ``every``-th suite question from ``offset``; return a summary."""
    import anyio

    from punie.agent.backends.batched import BatchedMlxBackend
    from punie.agent.backends.mlx import MlxBackend
    from punie.agent.executor import Executor
    from punie.agent.loop import run_turn
    from punie.agent.messages import EXECUTE_CODE_TOOL
    from punie.sandboxes import disposable
    from punie.tools import ToolContext
    from punie.traces.store import TraceStore, TurnMeta
    from punie.training.queries import Query, direct_answer, synthesize
    from punie.training.validate.score import score_case
    from punie.training.validate.suite import load_suite

    card = json.loads((workdir / "train" / "model_card.json").read_text(encoding="utf-8"))
    model = Path(str(card["outputs"]["float"]["path"]))
    queries, sources = load_suite(workdir / "suite.json")
    asked = queries[offset::every]
    backend = BatchedMlxBackend(MlxBackend(model, max_tokens=max_tokens), batch_size=16)
    labels = {"good": 0, "bad": 0}
    by_repo: dict[str, list[Query]] = {}
    for q in asked:
        by_repo.setdefault(q.repo, []).append(q)
    try:
        with TraceStore(db) as store:
            for repo, repo_queries in by_repo.items():
                with disposable(sources.get(repo, repo)) as copy:
                    async with ToolContext.at(copy) as ctx:
                        await ctx.lsp()
                        meta = TurnMeta.collect(copy, backend.identity)

                        async def one(q: Query, ctx: ToolContext, meta: TurnMeta) -> None:
                            async with Executor(ctx) as ex:
                                turn = await run_turn(
                                    q.question,
                                    backend.view(),
                                    ex,
                                    max_steps=max_steps,
                                    generate_in_thread=True,
                                )
                            tid = store.record_turn(turn, meta, [EXECUTE_CODE_TOOL])
                            if score_case(q, turn).answer_ok:
                                store.set_label(tid, "good")
                                labels["good"] += 1
                            else:
                                fix = direct_answer(q) if q.category == "direct" else synthesize(q)
                                store.set_label(tid, "bad", fix)
                                labels["bad"] += 1

                        async with anyio.create_task_group() as tg:
                            for q in repo_queries:
                                tg.start_soon(one, q, ctx, meta)
    finally:
        backend.close()
    return f"{len(asked)} turns on {len(by_repo)} repos: {labels['good']} good, {labels['bad']} bad"


def _split(before: dict[str, Any], after: dict[str, Any], asked: set[str]) -> dict[str, str]:
    old = {str(c["uid"]): bool(c["answer_ok"]) for c in before["cases"]}

    def in_round(c: dict[str, Any]) -> bool:
        return str(c["question"]).strip() in asked

    groups: dict[str, Callable[[dict[str, Any]], bool]] = {
        "covered": in_round,
        "rest": lambda c: not in_round(c),
        "direct": lambda c: c["category"] == "direct",
        "overall": lambda c: True,
    }
    out: dict[str, str] = {}
    for name, wanted in groups.items():
        cases = [c for c in after["cases"] if wanted(c)]
        was = sum(old[str(c["uid"])] for c in cases)
        now = sum(bool(c["answer_ok"]) for c in cases)
        out[name] = f"{was} -> {now} / {len(cases)}"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("runs") / "loop")
    parser.add_argument("--every", type=int, default=3)
    parser.add_argument(
        "--weigh-labels",
        action="store_true",
        help="with --start base: visit every labelled turn as often as a correction",
    )
    parser.add_argument(
        "--offset", type=int, default=0, help="start at this question (another deployment)"
    )
    parser.add_argument("--replay", type=int, nargs="+", default=[16])
    parser.add_argument("--iters", type=int, default=None, help="round steps (default ROUND's)")
    parser.add_argument(
        "--start",
        nargs="+",
        choices=["model", "base"],
        default=["base"],
        help="continue the loop's model (replay) or retrain the base on the loop's data + traces",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        nargs="+",
        default=[],
        metavar="N",
        help="visits of each corrected sample per pass to compare (default: ROUND's)",
    )
    parser.add_argument(
        "--optimizer",
        nargs="+",
        default=[],
        metavar="NAME:LR",
        help="round recipes to compare, e.g. adamw:5e-5 adamw:2e-5 (default: the shipped ROUND)",
    )
    args = parser.parse_args()

    import anyio

    from punie.model.openblas import preload_in_process

    preload_in_process()
    from _table import table

    from punie.training.loop.config import LoopConfig
    from punie.training.loop.recipes import PRETRAINED, ROUND
    from punie.training.loop.replay import questions
    from punie.training.loop.run import run_from_traces
    from punie.training.train.config import TrainConfig

    workdir: Path = args.workdir
    bench = workdir / "second-round"
    bench.mkdir(parents=True, exist_ok=True)
    db = bench / ("deploy.db" if not args.offset else f"deploy-{args.offset}.db")
    config = LoopConfig(workdir=workdir, registry=None)
    if not db.is_file():
        print(
            anyio.run(
                _deploy, workdir, db, args.every, args.offset, config.max_steps, config.max_tokens
            )
        )
    recipes = [(f"{ROUND.optimizer}:{ROUND.learning_rate:g}", ROUND)]
    for spec in args.optimizer:
        name, _, rate = str(spec).partition(":")
        recipes.append(
            (spec, dataclasses.replace(ROUND, optimizer=name, learning_rate=float(rate)))
        )
    rows: list[list[str]] = []
    settings = [
        (label, dataclasses.replace(recipe, repeat_corrected=repeat))
        for label, recipe in recipes[1:] or recipes
        for repeat in args.repeat or [recipe.repeat_corrected]
    ]
    runs: list[tuple[str, TrainConfig, int, Literal["model", "base"]]] = []
    for start in cast(list[Literal["model", "base"]], args.start):
        if start == "base":  # the first round's recipe, scaled to the data (see _retrain_recipe)
            for repeat in args.repeat or [ROUND.repeat_corrected]:
                retrain = dataclasses.replace(PRETRAINED, repeat_corrected=repeat)
                runs.append(("retrain", retrain, 0, start))
            continue
        for label, recipe in settings:
            if args.iters is not None:
                recipe = dataclasses.replace(recipe, iters=args.iters)
            for replay in args.replay:
                runs.append((label, recipe, int(replay), start))
    for label, recipe, replay, start in runs:
        loop = LoopConfig(
            workdir=workdir,
            registry=None,
            replay=replay,
            round_train=recipe,
            round_from=start,
            round_weigh_labels=bool(args.weigh_labels),
        )
        result = anyio.run(run_from_traces, loop, db, print)
        card = json.loads((result.workdir / "train" / "model_card.json").read_text())
        steps, repeat = card["config"]["iters"], card["config"]["repeat_corrected"]
        name = f"{label}-replay-{replay}-steps-{steps}-repeat-{repeat}"
        if args.offset:
            name += f"-offset-{args.offset}"
        if args.weigh_labels and start == "base":
            name += "-labels"
        kept = bench / name.replace(":", "-")
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(result.workdir, kept, ignore=shutil.ignore_patterns("*.safetensors"))
        split = _split(result.before, result.after, questions(result.workdir / "data"))
        setting = [label, str(replay), str(steps), str(repeat)]
        rows.append([*setting, *split.values()])
        header = ["round", "replay", "steps", "repeat", "covered", "rest", "direct", "overall"]
        print(table(header, rows))


if __name__ == "__main__":
    main()
