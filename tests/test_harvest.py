"""Harvest against the real tools: every kept trace is checked against facts the test holds
itself (an ast oracle and the measured sandbox facts), and a killed harvest resumes cleanly."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from punie.traces.ledger import rows
from punie.training.harvest.runner import HarvestConfig, harvest
from tests import oracle
from tests.conftest import SANDBOXES
from tests.sandbox_facts import SANDBOX_FACTS


def _final_answers(db: Path) -> dict[int, str | None]:
    conn = sqlite3.connect(db)
    try:
        return {int(r[0]): r[1] for r in conn.execute("SELECT id, final_answer FROM turns")}
    finally:
        conn.close()


def test_harvest_two_sandboxes_and_check_every_trace_independently(tmp_path: Path) -> None:
    db = tmp_path / "traces.db"
    config = HarvestConfig(repos=("shop", "textkit"), out=db, per_intent=1, limit=40)
    report = anyio.run(lambda: harvest(config))
    planned = sum(r.planned for r in report.repos)
    assert planned >= 60 and report.kept == planned, report.to_json()
    ledger = rows(sqlite3.connect(db))
    assert len({r.query_uid for r in ledger}) == len(ledger) == planned
    answers = _final_answers(db)
    checked = 0
    for row in ledger:
        if not row.verified:
            continue
        answer = answers[row.turn_id or -1]
        facts = SANDBOX_FACTS[row.repo]
        if row.intent == "definition.location":
            defs = {
                d.qualified: f"{d.file}:{d.line}" for d in oracle.definitions(SANDBOXES / row.repo)
            }
            assert answer == defs[str(row.symbol)], (row.question, answer)
            checked += 1
        elif row.intent == "typecheck.error_count":
            assert answer is not None and str(len(facts["type_errors"])) in answer
            checked += 1
        elif row.intent == "ruff.violation_count":
            assert answer is not None and str(len(facts["ruff_violations"])) in answer
            checked += 1
        elif row.intent == "pytest.failed_count":
            assert answer is not None and "1" in answer
            checked += 1
        elif row.intent == "pytest.failing_test":
            assert answer is not None and facts["failing_test"].rsplit("::", 1)[-1] in answer
            checked += 1
    assert checked >= 8


def test_killed_harvest_resumes_without_duplicates_or_loss(tmp_path: Path) -> None:
    db = tmp_path / "traces.db"
    args = [sys.executable, "-m", "punie", "harvest", "--repo", "shop", "--out", str(db)]
    args += ["--per-intent", "1", "--limit", "30", "--json"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.3)
        if db.exists():
            try:
                conn = sqlite3.connect(db, timeout=1)
                done = conn.execute("SELECT count(*) FROM harvest").fetchone()[0]
                conn.close()
            except sqlite3.OperationalError:
                continue
            if done >= 5:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(30)
    assert 5 <= done < 30, f"the harvest was not caught mid-way ({done} rows)"
    # the resumed run asks for up to 30 NEW queries: everything that was left
    resumed = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert report["repos"][0]["skipped_done"] >= 5
    conn = sqlite3.connect(db)
    uids = [r[0] for r in conn.execute("SELECT query_uid FROM harvest")]
    turns = conn.execute("SELECT count(*) FROM turns").fetchone()[0]
    orphans = conn.execute(
        "SELECT count(*) FROM harvest WHERE turn_id NOT IN (SELECT id FROM turns)"
    ).fetchone()[0]
    conn.close()
    repo = report["repos"][0]
    total = repo["skipped_done"] + repo["planned"]
    assert total > 30 and repo["planned"] <= 30
    assert len(uids) == len(set(uids)) == total  # nothing lost, nothing twice
    assert turns == total and orphans == 0  # a trace and its verdict always land together


@pytest.mark.parametrize("bad", ["no_such_repo_anywhere"])
def test_unknown_repo_is_a_clear_error(tmp_path: Path, bad: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "punie", "harvest", "--repo", bad, "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and bad in done.stderr
