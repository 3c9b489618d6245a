"""``validate --ray``: a real two-node Ray cluster on this machine, a real mlx model loaded once
per actor, real tools on each repo's copy. Greedy decoding makes every case's result
independent of where it ran, so the fanned-out report must equal the one-process report."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from punie.training.base_model.build import init_tiny_model
from punie.training.validate import build_suites, save_suite
from punie.training.validate.run import validate_model


@pytest.mark.timeout(900)
def test_fanned_out_validation_equals_one_process(tmp_path: Path, ray_cluster: object) -> None:
    model = tmp_path / "tiny"
    init_tiny_model(model)
    suites, repos = anyio.run(lambda: build_suites(["shop", "textkit"], per_intent=1))
    cases = suites["holdout"][::6]  # a spread of intents on both repos
    assert {q.repo for q in cases} == {"shop", "textkit"}
    suite = tmp_path / "suite.json"
    save_suite(suite, cases, repos)

    def run(ray: str | None) -> dict[str, tuple[object, ...]]:
        report = anyio.run(
            lambda: validate_model(
                str(model),
                suite,
                max_steps=1,
                max_tokens=48,
                batch_size=1,
                allow_overlap=True,
                ray=ray,
            )
        )
        assert len(report.cases) == len(cases)
        return {c.uid: (c.tool_ok, c.ran, c.answer, c.answer_ok, c.replies) for c in report.cases}

    here = run(None)
    fanned = run("")  # joins the cluster the fixture started
    assert fanned == here
