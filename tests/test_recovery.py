"""Recovery traces: a flawed first program fails in the real executor, the teacher's program
follows the genuine error, and the dataset trains only that second reply."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import anyio
import pytest

from punie.pysyntax import parse as parse_python
from punie.traces.ledger import rows
from punie.training.dataset.build import build_dataset
from punie.training.harvest.runner import HarvestConfig, harvest
from punie.training.queries import Query, SynthesizerTeacher, synthesize
from punie.training.queries.flaws import flawed
from punie.training.queries.programs import PROGRAMS


@pytest.mark.parametrize("intent", sorted(PROGRAMS))
def test_every_teacher_program_has_a_slip_that_still_parses(intent: str) -> None:
    program = PROGRAMS[intent]('"Name"', "r")
    slips = {flawed(program, key) for key in range(4)}
    assert None not in slips and program not in slips
    assert len(slips) >= 2  # a misspelt field and a wrong name
    for slip in slips:
        assert slip is not None
        parse_python(slip)  # a slip the type checker or the run reports, not a syntax error


def _steps(db: Path, turn_id: int) -> list[tuple[str | None, str | None, str | None]]:
    conn = sqlite3.connect(db)
    try:
        return list(
            conn.execute(
                "SELECT code, error_kind, output FROM steps WHERE turn_id = ? ORDER BY idx",
                (turn_id,),
            )
        )
    finally:
        conn.close()


def test_recovery_traces_hold_a_real_failure_then_the_fix(tmp_path: Path) -> None:
    db = tmp_path / "traces.db"
    config = HarvestConfig(repos=("shop",), out=db, per_intent=1, recovery=6)
    report = anyio.run(lambda: harvest(config))
    assert report.rejected == {}, report.to_json()
    conn = sqlite3.connect(db)
    ledger = rows(conn)
    conn.close()
    questions = [r.question for r in ledger]
    assert len(questions) == len(set(questions))  # a recovery question is its own phrasing
    recovered = 0
    for row in ledger:
        steps = _steps(db, row.turn_id or -1)
        if len(steps) == 1:
            continue
        recovered += 1
        assert row.verified and len(steps) == 2, (row.question, steps)
        (bad, kind, error), (fix, fix_kind, _) = steps
        assert kind in ("type_check", "runtime"), (bad, kind, error)
        assert fix_kind is None and fix != bad
        assert error is not None and ("TypeCheckError" in error or "NameError" in error)
    assert recovered == 6

    out = tmp_path / "ds"
    build_dataset(db, out, test_fraction=0.0)
    samples = [
        json.loads(line)
        for split in ("train", "valid")
        for line in (out / f"{split}.jsonl").read_text().splitlines()
    ]
    long = [s["messages"] for s in samples if len(s["messages"]) > 3]
    assert len(long) == 6  # the failed step is context, never a sample of its own
    for messages in long:
        roles = [m["role"] for m in messages]
        assert roles == ["system", "user", "assistant", "tool", "assistant"]
        first = messages[2]["tool_calls"][0]["function"]["arguments"]["code"]
        last = messages[4]["tool_calls"][0]["function"]["arguments"]["code"]
        assert first != last and "error" in messages[3]["content"].lower()


def test_a_first_try_that_runs_is_not_a_recovery_trace(tmp_path: Path) -> None:
    """The harvest keeps a recovery turn only when its first program really failed."""
    db = tmp_path / "traces.db"
    config = HarvestConfig(repos=("shop",), out=db, per_intent=1, recovery=1)

    def teacher(queries: list[Query]) -> SynthesizerTeacher:
        # every first try replaced by the teacher's own (working) program
        fixed = [
            dataclasses.replace(q, first_try=synthesize(q)) if q.first_try else q for q in queries
        ]
        return SynthesizerTeacher(fixed)

    report = anyio.run(lambda: harvest(config, teacher_factory=teacher))
    assert report.rejected == {"flaw-ran": 1}, report.to_json()
