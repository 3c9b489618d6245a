"""Harvest throughput: verified traces per minute once the language server is warm, and where
the time goes (per stage of a repo's harvest, and per tool inside the traces).

    uv run python benchmarks/harvest.py [--repo shop] [--per-intent 4]

With ``--scaling``, the same repos are harvested on 1, 2 and N local worker processes, in this
process (all repos concurrently), and on Ray with 1 and 2 nodes (one CPU each, a local
``ray.cluster_utils.Cluster``), each into a fresh store; the table gives traces/min and the
ratio to one worker process, measured in the same run.

    uv run python benchmarks/harvest.py --scaling --corpus default --repos 6 --limit 24
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

import anyio
from _table import table

from punie.training.harvest.runner import HarvestConfig, harvest


def _scaling(repos: tuple[str, ...], per_intent: int, limit: int, n: int) -> None:
    from punie.training.harvest.parallel import ParallelOptions, harvest_parallel
    from punie.training.harvest.pool import ProcessPool, RayPool, WorkerPool
    from punie.training.harvest.runner import HarvestReport

    def parallel(pool: WorkerPool, workers: int, db: Path) -> HarvestReport:
        config = HarvestConfig(repos=repos, out=db, per_intent=per_intent, limit=limit)
        options = ParallelOptions(workers=workers)
        return anyio.run(lambda: harvest_parallel(config, pool, options))

    def ray_nodes(nodes: int, db: Path) -> HarvestReport:
        import ray
        from ray.cluster_utils import Cluster

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        for _ in range(nodes - 1):
            cluster.add_node(num_cpus=1)
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
        try:
            return parallel(RayPool(), nodes, db)
        finally:
            ray.shutdown()
            cluster.shutdown()

    runs: list[tuple[str, HarvestReport]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2, n):
            db = Path(tmp) / f"p{workers}.db"
            runs.append((f"{workers} worker process(es)", parallel(ProcessPool(), workers, db)))
        config = HarvestConfig(
            repos=repos, out=Path(tmp) / "inproc.db", per_intent=per_intent, limit=limit
        )
        runs.append(("in-process (all repos concurrent)", anyio.run(lambda: harvest(config))))
        for nodes in (1, 2):
            runs.append(
                (f"Ray, {nodes} node(s) x 1 CPU", ray_nodes(nodes, Path(tmp) / f"r{nodes}.db"))
            )
    base = runs[0][1].traces_per_minute
    rows = [
        (
            name,
            str(r.kept),
            f"{r.wall_s:.1f}",
            f"{r.traces_per_minute:.0f}",
            f"{r.traces_per_minute / base:.2f}x" if base else "-",
            str(sum(x.failure is not None for x in r.repos)),
        )
        for name, r in runs
    ]
    print(f"harvest of {len(repos)} repos ({', '.join(repos)}), limit {limit} per repo\n")
    print(table(("how", "kept", "wall s", "traces/min", "vs 1 process", "failed repos"), rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", action="append", default=None)
    parser.add_argument("--per-intent", type=int, default=4)
    parser.add_argument("--scaling", action="store_true", help="workers, in-process and Ray")
    parser.add_argument("--corpus", default=None, help="take the repos from a corpus file")
    parser.add_argument("--repos", type=int, default=6, help="with --corpus: the first N")
    parser.add_argument("--limit", type=int, default=24, help="with --scaling: queries per repo")
    parser.add_argument("--workers", type=int, default=4, help="with --scaling: the N")
    args = parser.parse_args()
    repos = tuple(args.repo or ["shop"])
    if args.corpus is not None:
        from punie.training.harvest.corpus import corpus_path, fetch_corpus

        repos = tuple(fetch_corpus(corpus_path(args.corpus)).repos[: args.repos])
    if args.scaling:
        _scaling(repos, args.per_intent, args.limit, args.workers)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "traces.db"
        config = HarvestConfig(repos=repos, out=db, per_intent=args.per_intent)
        report = anyio.run(lambda: harvest(config))
        rows: list[tuple[str, ...]] = []
        for r in report.repos:
            warm = r.seconds.get("turns", 0.0) + r.seconds.get("store", 0.0)
            rows.append(
                (
                    r.repo,
                    str(r.kept),
                    str(sum(r.rejected.values())),
                    f"{r.seconds.get('start', 0):.1f}",
                    f"{r.seconds.get('inventory', 0):.1f}",
                    f"{r.seconds.get('turns', 0):.1f}",
                    f"{r.seconds.get('store', 0):.2f}",
                    f"{60 * r.kept / warm:.0f}" if warm else "-",
                )
            )
        header = (
            "repo",
            "kept",
            "rejected",
            "start s",
            "inventory s",
            "turns s",
            "store s",
            "warm traces/min",
        )
        print(f"harvest of {', '.join(repos)} (per_intent={args.per_intent})\n")
        print(table(header, rows))
        print(
            f"\nend to end: {report.kept} verified in {report.wall_s:.1f} s "
            f"({report.traces_per_minute:.0f}/min including start and inventory)\n"
        )
        conn = sqlite3.connect(db)
        tool_rows = conn.execute(
            "SELECT name, count(*), sum(duration_s), avg(duration_s) FROM tool_calls "
            "GROUP BY name ORDER BY sum(duration_s) DESC"
        ).fetchall()
        turn_total, exec_total = conn.execute(
            "SELECT sum(t.duration_s), sum(t.execution_s) FROM turns t"
        ).fetchone()
        conn.close()
        print(
            table(
                ("tool", "calls", "total s", "mean ms"),
                [(str(n), str(c), f"{s:.2f}", f"{1000 * a:.1f}") for n, c, s, a in tool_rows],
            )
        )
        tools_total = sum(float(r[2]) for r in tool_rows)
        print(
            f"\nturn time {turn_total:.1f} s = executor {exec_total:.1f} s "
            f"(of which tools {tools_total:.1f} s) + loop/teacher "
            f"{turn_total - exec_total:.1f} s"
        )


if __name__ == "__main__":
    main()
