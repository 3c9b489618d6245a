"""A miniature ``punie loop``: every stage for real (harvest, build, audit, suite on a held-out
sandbox, validate, train, fuse/quantize, validate again, report), with tiny numbers."""

from __future__ import annotations

import json
from pathlib import Path

from punie.training.loop.config import LoopConfig
from punie.training.loop.run import run_loop
from punie.training.model.build import ensure_default_model


def test_miniature_loop(tmp_path: Path) -> None:
    base = ensure_default_model(tmp_path / "base")
    config = LoopConfig(
        workdir=tmp_path / "loop",
        train_repos=("shop",),
        holdout_repos=("taskcli",),
        per_intent=1,
        suite_per_intent=1,
        iters=4,
        batch_size=1,
        max_steps=1,
        validate_limit=4,
        base_model=base,
    )
    messages: list[str] = []
    result = run_loop(config, messages.append)
    work = config.workdir
    for name in ("REPORT.md", "accuracy.png", "before.json", "after.json", "suite.json"):
        assert (work / name).is_file(), name
    assert (work / "train" / "losses.png").is_file()
    assert (work / "data" / "train.jsonl").is_file()
    before = json.loads((work / "before.json").read_text())
    after = json.loads((work / "after.json").read_text())
    assert before["overall"]["n"] == after["overall"]["n"] == 4
    assert before["model"] != after["model"]  # the weights hash changed: a new model answered
    suite = json.loads((work / "suite.json").read_text())
    assert {c["repo"] for c in suite["cases"]} == {"taskcli"}  # never harvested for training
    assert "correct before" in result.table()
    assert any("harvest" in m for m in messages)
