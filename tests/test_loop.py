"""A miniature ``punie loop``: every stage for real (harvest, build, audit, suite on a held-out
sandbox, validate, train, fuse/quantize, validate again, report), with tiny numbers; then a
``--from-traces`` round on labelled deployment traces recorded through the real agent loop."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import anyio
import pytest

from punie.agent.executor import Executor
from punie.agent.loop import run_turn
from punie.agent.messages import EXECUTE_CODE_TOOL
from punie.agent.prompt import BRIEF_SYSTEM, model_prompt_style
from punie.errors import PunieError
from punie.tools import ToolContext
from punie.traces import TraceStore, TurnMeta
from punie.training.base_model.build import ensure_default_model
from punie.training.loop.config import LoopConfig
from punie.training.loop.recipes import SCRATCH
from punie.training.loop.run import run_from_traces, run_loop
from punie.training.queries import build_inventory, generate_queries, synthesize
from punie.training.queries.teacher import SynthesizerTeacher
from tests.conftest import copy_sandbox


async def _deployment_traces(db: Path, repo: Path) -> list[str]:
    """REPL-like turns on ``repo``, recorded and labelled as a user would: good ones ``good``,
    and one ``bad`` with a corrected program. Returns the questions labelled."""
    async with ToolContext.at(repo) as ctx, Executor(ctx) as executor:
        inventory = await build_inventory(ctx, "shop")
        queries = [q for q in generate_queries(inventory, per_intent=1) if q.category != "direct"]
        teacher = SynthesizerTeacher(queries)
        teacher.prompt_style = "brief"  # as the trained model is prompted in the REPL
        labelled: list[str] = []
        with TraceStore(db) as store:
            for query in queries[:8]:
                turn = await run_turn(query.question, teacher, executor, max_steps=1)
                meta = TurnMeta.collect(repo, "mlx:deployed-model")
                turn_id = store.record_turn(turn, meta, [EXECUTE_CODE_TOOL])
                if not labelled:
                    store.set_label(turn_id, "bad", synthesize(query))
                else:
                    store.set_label(turn_id, "good")
                labelled.append(query.question)
    return labelled


def test_miniature_loop(tmp_path: Path) -> None:
    base = ensure_default_model(tmp_path / "base")
    config = LoopConfig(
        workdir=tmp_path / "loop",
        train_repos=("shop",),
        holdout_repos=("taskcli",),
        per_intent=1,
        suite_per_intent=1,
        train=dataclasses.replace(SCRATCH, iters=4, batch_size=1),
        max_steps=1,
        validate_limit=4,
        base_model=base,
        registry=tmp_path / "trained.json",
        diagnostics=True,
        scratch_train=dataclasses.replace(SCRATCH, iters=2, batch_size=1),
    )
    messages: list[str] = []
    result = anyio.run(run_loop, config, messages.append)
    work = config.workdir
    for name in ("REPORT.md", "accuracy.png", "before.json", "after.json", "suite.json"):
        assert (work / name).is_file(), name
    assert (work / "train" / "losses.png").is_file()
    assert (work / "data" / "train.jsonl").is_file()
    before = json.loads((work / "before.json").read_text())
    after = json.loads((work / "after.json").read_text())
    every = LoopConfig().base_every  # the untrained base sees every k-th case
    assert after["overall"]["n"] == 4 and before["overall"]["n"] == len(range(0, 4, every))
    assert before["model"] != after["model"]  # the weights hash changed: a new model answered
    suite = json.loads((work / "suite.json").read_text())
    assert {c["repo"] for c in suite["cases"]} == {"taskcli"}  # never harvested for training
    assert all(c["holdout_phrasing"] for c in suite["cases"])
    # the diagnostic twin: the same repo asked with the wording the model was trained on
    seen = json.loads((work / "suite-seen-phrasings.json").read_text())
    assert {c["repo"] for c in seen["cases"]} == {"taskcli"}
    assert seen["cases"] and not any(c["holdout_phrasing"] for c in seen["cases"])
    after_seen = json.loads((work / "after-seen-phrasings.json").read_text())
    assert after_seen["overall"]["n"] == 4 and after_seen["model"] == after["model"]
    report_text = (work / "REPORT.md").read_text()
    assert "seen phrasings (diagnostic)" in report_text
    assert "from-scratch tiny model" in report_text and "tiny trained" in report_text
    scratch = json.loads((work / "scratch" / "after.json").read_text())
    every = LoopConfig().scratch_every  # a comparison only: every k-th case
    assert scratch["overall"]["n"] == len(range(0, 4, every)) and scratch["model"] != after["model"]
    assert json.loads((tmp_path / "trained.json").read_text())[-1]["path"] == str(
        result.model.resolve() if result.model else ""
    )
    # the embedded model is prompted briefly, so its dataset and the trained model are too
    sample = json.loads((work / "data" / "train.jsonl").read_text().splitlines()[0])
    assert set(sample) == {"messages"} and sample["messages"][0]["content"] == BRIEF_SYSTEM
    assert model_prompt_style(work / "train" / "model") == "brief"
    assert "correct before" in result.table()
    assert any("harvest" in m for m in messages)

    # the retraining path real users take: labelled deployment traces, LoRA on the last model
    traces = tmp_path / "deployed.db"
    asked = set(anyio.run(_deployment_traces, traces, copy_sandbox("shop", tmp_path)))
    assert len(asked) == 8
    loop_rows = (work / "data" / "train.jsonl").read_text().splitlines()
    again = anyio.run(run_from_traces, config, traces, messages.append)
    assert again.workdir == work / "from-traces" and again.report.is_file()
    card = json.loads((again.workdir / "data" / "dataset_card.json").read_text())
    assert card["prompt_style"] == "brief" and card["source"]["traces_used"] == 8
    assert again.after["model"] != after["model"]  # the retrained model answered
    assert again.after["overall"]["n"] == 4
    # the shop traces cover none of the taskcli suite: all four cases are "not covered"
    assert "| not covered | 4 |" in again.report.read_text()
    # the default round retrains the base on the loop's data with the traces added
    rows = (again.workdir / "data" / "train.jsonl").read_text().splitlines()
    metas = [
        json.loads(m)
        for m in (again.workdir / "data" / "train.meta.jsonl").read_text().splitlines()
    ]

    def user(row: str) -> str:
        return next(m["content"] for m in json.loads(row)["messages"] if m["role"] == "user")

    # every loop sample is kept but where a user asked its question (the labelled one wins)
    kept = [r for r in loop_rows if user(r) not in asked]
    assert set(kept) <= set(rows) and len(rows) == len(kept) + 8
    trained_card = json.loads((again.workdir / "train" / "model_card.json").read_text())
    assert trained_card["base_model"]["path"] == str(base)  # not the loop's model
    assert trained_card["config"]["repeat_corrected"] == 8
    weighted = [bool(m.get("corrected") or m.get("anchor")) for m in metas]
    assert sum(m.get("corrected", False) for m in metas) == 1 and any(
        m.get("anchor") for m in metas
    )
    visits = sum(8 if w else 1 for w in weighted)  # the correction and its anchors: 8 a pass
    assert trained_card["config"]["iters"] == round(4 * visits / len(loop_rows))
    assert "retrained from the base model" in again.report.read_text()

    # the other round: LoRA on the loop's model, the traces mixed with replay
    third = anyio.run(
        run_from_traces, dataclasses.replace(config, round_from="model"), traces, messages.append
    )
    continued = json.loads((third.workdir / "train" / "model_card.json").read_text())
    assert continued["base_model"]["path"] == str(result.model)
    assert "replayed from the loop's own training split" in third.report.read_text()
    assert third.after["model"] not in {after["model"], again.after["model"]}


def test_loop_refuses_a_missing_base_model_before_any_work(tmp_path: Path) -> None:
    config = LoopConfig(workdir=tmp_path / "loop", base_model=tmp_path / "no-such-model")
    with pytest.raises(PunieError, match=r"base model .*no-such-model is not a model directory"):
        anyio.run(run_loop, config, lambda _: None)
    assert not (tmp_path / "loop" / "traces.db").exists()  # nothing was harvested


def test_a_retraining_round_starts_from_the_base_the_loop_used(tmp_path: Path) -> None:
    from punie.training.loop.run import _loop_base  # pyright: ignore[reportPrivateUsage]

    used = tmp_path / "base"
    used.mkdir()
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        (used / name).write_text("{}")
    card = {"base_model": {"path": str(used)}}
    assert _loop_base(LoopConfig(), card) == used  # no --base-model: the one the loop trained
    chosen = tmp_path / "other"
    assert _loop_base(LoopConfig(base_model=chosen), card) == chosen
