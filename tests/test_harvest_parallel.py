"""Harvest on workers: local processes and a real two-node Ray cluster on this machine. A worker
is killed mid-harvest (SIGKILL to its process); the driver gives its repo to a fresh worker,
and the store ends with every planned query exactly once, verified against the real tools."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import anyio
import pytest

from punie.errors import PunieError
from punie.sandboxes.pypi import parse_spec, read_pins
from punie.traces.ledger import rows
from punie.training.harvest.config import HarvestConfig
from punie.training.harvest.corpus import corpus_path, fetch_corpus, read_corpus
from punie.training.harvest.parallel import ParallelOptions, harvest_parallel
from punie.training.harvest.pool import ProcessPool, RayPool, WorkerPool
from punie.training.harvest.runner import HarvestReport
from punie.training.harvest.worker import Plan
from tests.conftest import SANDBOXES

LIMIT = 12


def _harvest_killing_one_worker(
    pool: WorkerPool, db: Path, extra: tuple[str, ...] = ()
) -> tuple[HarvestReport, dict[str, list[str]]]:
    """Harvest shop and textkit on two workers; kill shop's first worker after 3 records."""
    config = HarvestConfig(repos=("shop", "textkit", *extra), out=db, per_intent=1, limit=LIMIT)
    first_plans: dict[str, list[str]] = {}
    pids: dict[str, int] = {}
    killed: list[int] = []

    def on_plan(plan: Plan) -> None:
        first_plans.setdefault(plan.repo, [q.uid for q in plan.queries][:LIMIT])
        pids[plan.repo] = plan.pid

    def progress(repo: str, done: int, total: int) -> None:
        if repo == "shop" and done >= 3 and not killed:
            killed.append(pids[repo])
            os.kill(pids[repo], signal.SIGKILL)

    options = ParallelOptions(workers=2, batch=3)
    report = anyio.run(
        lambda: harvest_parallel(config, pool, options, progress=progress, on_plan=on_plan)
    )
    assert killed, "the test never killed a worker"
    return report, first_plans


def _check_nothing_lost(report: HarvestReport, db: Path, plans: dict[str, list[str]]) -> None:
    by_repo = {r.repo: r for r in report.repos}
    assert by_repo["shop"].restarts == 1 and by_repo["shop"].failure is None, report.to_json()
    assert by_repo["textkit"].restarts == 0 and by_repo["textkit"].failure is None
    ledger = rows(sqlite3.connect(db))
    uids = [r.query_uid for r in ledger]
    assert len(uids) == len(set(uids)), "a query was written twice"
    for repo in ("shop", "textkit"):
        written = {r.query_uid for r in ledger if r.repo == repo}
        assert written == set(plans[repo]), (repo, len(written), len(plans[repo]))
    assert report.kept == 2 * LIMIT, report.to_json()  # every trace verified by the real tools
    conn = sqlite3.connect(db)
    turns = conn.execute("SELECT count(*) FROM turns").fetchone()[0]
    orphans = conn.execute(
        "SELECT count(*) FROM turns WHERE id NOT IN (SELECT turn_id FROM harvest)"
    ).fetchone()[0]
    assert turns == len(ledger) and orphans == 0


@pytest.mark.timeout(600)
def test_process_workers_survive_a_killed_worker_and_skip_a_broken_repo(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.py").write_text("x = 1\n")
    (broken / "out").symlink_to("/etc")  # a copy refuses links out of the repo
    db = tmp_path / "traces.db"
    report, plans = _harvest_killing_one_worker(ProcessPool(), db, extra=(str(broken),))
    _check_nothing_lost(report, db, plans)
    failed = {r.repo: r.failure for r in report.repos if r.failure}
    assert list(failed) == ["broken"], failed
    assert report.to_json()["failed_repos"] == ["broken"]

    # Resumed, it skips what is done (``limit`` counts new queries, as in-process) and writes
    # nothing twice.
    again = anyio.run(
        lambda: harvest_parallel(
            HarvestConfig(repos=("shop",), out=db, per_intent=1, limit=LIMIT),
            ProcessPool(),
            ParallelOptions(workers=1),
        )
    )
    assert again.repos[0].skipped == LIMIT and again.repos[0].kept == again.repos[0].planned
    shop = [r.query_uid for r in rows(sqlite3.connect(db)) if r.repo == "shop"]
    assert len(shop) == len(set(shop)) == LIMIT + again.repos[0].planned
    assert set(plans["shop"]) <= set(shop)


@pytest.mark.timeout(900)
def test_ray_two_nodes_survive_a_killed_actor(tmp_path: Path, ray_cluster: object) -> None:
    import ray

    assert len([n for n in ray.nodes() if n["Alive"]]) == 2
    pool = RayPool()
    assert pool.cpus() == 2
    db = tmp_path / "traces.db"
    report, plans = _harvest_killing_one_worker(pool, db)
    _check_nothing_lost(report, db, plans)


def test_corpus_files_name_their_bad_lines(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("# repos\nshop-copy\n")
    with pytest.raises(PunieError, match=r"corpus\.txt:2: 'shop-copy' is neither"):
        read_corpus(corpus)
    corpus.write_text("six==1.17.0\nsix==1.17.0\n")
    with pytest.raises(PunieError, match=r"corpus\.txt:2: 'six==1\.17\.0' is listed twice"):
        read_corpus(corpus)
    corpus.write_text("six>=1\n")
    with pytest.raises(PunieError, match=r"corpus\.txt:1:"):
        read_corpus(corpus)
    corpus.write_text("# nothing\n")
    with pytest.raises(PunieError, match="names no repositories"):
        read_corpus(corpus)
    # Directories are relative to the corpus file; an unpinned release is left out, with why.
    (tmp_path / "pins.txt").write_text("")
    corpus.write_text(f"{os.path.relpath(SANDBOXES / 'shop', tmp_path)}\nattrs==25.1.0\n")
    fetched = fetch_corpus(corpus)
    assert fetched.repos == [str((SANDBOXES / "shop").resolve())]
    assert "no sha256 pin" in fetched.failed["attrs==25.1.0"]


def test_the_default_corpus_is_thirty_pinned_releases_none_held_out() -> None:
    path = corpus_path("default")
    entries = read_corpus(path)
    pins = read_pins(path.parent / "pins.txt")
    assert len(entries) == 30
    names = {e.split("==")[0].lower() for e in entries}
    assert not names & {"six", "idna", "taskcli"}  # the validation suite's repos
    for entry in entries:
        assert parse_spec(entry).key in pins, entry
