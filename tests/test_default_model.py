"""Which model a user gets, and models that must be refused.

- ``ask``/``repl`` without ``--model``: the newest model a loop trained (its identity printed),
  or a clear error saying how to get one; never random weights.
- batched validation decodes exactly what the sequential backend decodes (greedy), on a real
  model, and returns results in suite order;
- a chat template that renders ``content`` only (SmolLM2's own) is refused by the runtime, by
  ``dataset build`` and by ``dataset audit``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from punie.model.openblas import preload_in_process

preload_in_process()

import anyio  # noqa: E402
import pytest  # noqa: E402

from punie.agent.backends.batched import BatchedMlxBackend  # noqa: E402
from punie.agent.backends.mlx import MlxBackend  # noqa: E402
from punie.agent.prompt import initial_messages  # noqa: E402
from punie.cli import main  # noqa: E402
from punie.errors import PunieError  # noqa: E402
from punie.training.base_model.build import ensure_default_model  # noqa: E402
from punie.training.loop.registry import newest_trained, record_trained  # noqa: E402
from tests.conftest import copy_sandbox  # noqa: E402

CONTENT_ONLY_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_default_model(tmp_path_factory.mktemp("default-model") / "tiny")


def test_ask_without_a_trained_model_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    repo = copy_sandbox("shop", tmp_path)
    assert main(["ask", "Where is Cart defined?", "--repo", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "no trained model yet" in err and "punie loop" in err
    assert not (tmp_path / ".punie" / "traces.db").exists()  # nothing ran


def test_ask_without_model_uses_the_newest_trained_one(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    gone = tmp_path / "deleted-model"
    shutil.copytree(tiny, gone)
    report = tmp_path / "REPORT.md"
    report.write_text("report")
    overall = {"n": 90, "tool_ok": 0.5, "answer_ok": 0.25}
    registry = Path(".punie") / "models" / "trained.json"
    record_trained(tiny, tiny, report, overall, registry)
    record_trained(gone, tiny, report, overall, registry)
    shutil.rmtree(gone)  # the newest entry's directory is gone: the one before it is used
    found = newest_trained(registry)
    assert found is not None and found.path == str(tiny.resolve())
    repo = copy_sandbox("shop", tmp_path)
    args = ["ask", "Where is Cart defined?", "--repo", str(repo), "--max-steps", "1"]
    code = main([*args, "--max-tokens", "4", "--json"])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert f"model: {tiny.resolve()}" in err and "25% correct" in err
    assert json.loads(out)["model"].startswith(f"mlx:{tiny.resolve()}@sha256:")


def test_batched_replies_equal_sequential_ones(tiny: Path) -> None:
    sequential = MlxBackend(tiny, max_tokens=24)
    questions = [f"Where is symbol_{n} defined?" for n in range(5)]
    expected = [sequential.generate(initial_messages(q, None, "brief")) for q in questions]
    batched = BatchedMlxBackend(MlxBackend(tiny, max_tokens=24), batch_size=3)

    async def all_at_once() -> list[str]:
        texts: dict[int, str] = {}

        async def one(index: int) -> None:
            messages = initial_messages(questions[index], None, "brief")
            gen = await anyio.to_thread.run_sync(batched.view().generate, messages)
            texts[index] = gen.text

        async with anyio.create_task_group() as tg:
            for index in range(len(questions)):
                tg.start_soon(one, index)
        return [texts[i] for i in range(len(questions))]

    try:
        got = anyio.run(all_at_once)
    finally:
        batched.close()
    assert got == [g.text for g in expected]
    assert batched.peak_batch == 3  # five requests, at most three decoded together


def _content_only_copy(model: Path, dest: Path) -> Path:
    shutil.copytree(model, dest)
    config_path = dest / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["chat_template"] = CONTENT_ONLY_TEMPLATE
    config_path.write_text(json.dumps(config))
    return dest


def test_a_template_that_drops_tool_calls_is_refused(tiny: Path, tmp_path: Path) -> None:
    broken = _content_only_copy(tiny, tmp_path / "content-only")
    with pytest.raises(PunieError, match=r"cannot carry a tool call.*program of its tool call"):
        MlxBackend(broken)


def test_dataset_build_and_audit_refuse_a_template_that_drops_programs(
    tiny: Path, tmp_path: Path
) -> None:
    from punie.training.dataset.audit import audit_dataset
    from punie.training.dataset.build import build_dataset
    from punie.training.dataset.tokens import load_tokenizer
    from punie.training.harvest.runner import HarvestConfig, harvest

    broken = _content_only_copy(tiny, tmp_path / "content-only")
    traces = tmp_path / "traces.db"
    anyio.run(harvest, HarvestConfig(repos=("shop",), out=traces, per_intent=1))
    with pytest.raises(PunieError, match=r"cannot carry the dataset's samples"):
        build_dataset(traces, tmp_path / "refused", tokenizer_dir=broken)
    assert not (tmp_path / "refused" / "train.jsonl").exists()
    data = tmp_path / "data"
    build_dataset(traces, data, tokenizer_dir=tiny)
    assert audit_dataset(data, tokenizer=load_tokenizer(tiny)).checks["template"] == "pass"
    report = audit_dataset(data, tokenizer=load_tokenizer(broken))
    assert report.checks["template"] == "fail"
    assert any("program of its tool call" in str(p) for p in report.errors)
