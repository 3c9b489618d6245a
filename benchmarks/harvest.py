"""Harvest throughput: verified traces per minute once the language server is warm, and where
the time goes (per stage of a repo's harvest, and per tool inside the traces).

    uv run python benchmarks/harvest.py [--repo shop] [--per-intent 4]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

import anyio
from _table import table

from punie.training.harvest.runner import HarvestConfig, harvest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", action="append", default=None)
    parser.add_argument("--per-intent", type=int, default=4)
    args = parser.parse_args()
    repos = tuple(args.repo or ["shop"])
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
