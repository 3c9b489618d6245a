"""The harvest ledger: which generated query became which trace, verified or rejected (and why).

An extension table of the trace store (:data:`HARVEST_LEDGER`), owned here with the store's
own schema rather than by the harvest that fills it, so that the one reader reads both.

It lives in the same SQLite file as the :class:`~punie.traces.TraceStore` (table
``harvest``), so a trace and its verdict are written in one transaction: a killed harvest loses at
most the query in flight and never records a verdict without its trace. ``query_uid`` is the
primary key, which is what makes a resumed harvest skip what is done and add no duplicates.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from punie.traces.store import Extension

__all__ = [
    "HARVEST_LEDGER",
    "LEDGER_SCHEMA",
    "LedgerRow",
    "done_uids",
    "ensure_ledger",
    "insert_row",
    "rows",
]

LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS harvest (
    query_uid TEXT PRIMARY KEY,
    turn_id INTEGER REFERENCES turns(id),
    repo TEXT NOT NULL,
    category TEXT NOT NULL,
    intent TEXT NOT NULL,
    symbol TEXT,
    question TEXT NOT NULL,
    expected_tools TEXT NOT NULL,
    truth TEXT NOT NULL,
    verified INTEGER NOT NULL,
    reason TEXT NOT NULL,
    teacher TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS harvest_verified ON harvest(verified, repo);
"""

HARVEST_LEDGER = Extension("harvest", LEDGER_SCHEMA)
"""The ledger as an extension of the trace store: ``TraceStore(path, extensions=(HARVEST_LEDGER,))``
creates it with the store's own tables; :func:`punie.traces.reader.read_traces` reads it back."""


@dataclass(frozen=True)
class LedgerRow:
    query_uid: str
    turn_id: int | None
    repo: str
    category: str
    intent: str
    symbol: str | None
    question: str
    expected_tools: str  # comma-separated tool names
    truth: str  # canonical ground-truth answer
    verified: bool
    reason: str  # "ok" or why it was rejected
    teacher: str


def ensure_ledger(conn: sqlite3.Connection) -> None:
    conn.executescript(LEDGER_SCHEMA)


def insert_row(conn: sqlite3.Connection, row: LedgerRow) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO harvest (query_uid, turn_id, repo, category, intent, symbol, "
        "question, expected_tools, truth, verified, reason, teacher, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.query_uid,
            row.turn_id,
            row.repo,
            row.category,
            row.intent,
            row.symbol,
            row.question,
            row.expected_tools,
            row.truth,
            int(row.verified),
            row.reason,
            row.teacher,
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        ),
    )


def done_uids(conn: sqlite3.Connection) -> set[str]:
    ensure_ledger(conn)
    return {str(r[0]) for r in conn.execute("SELECT query_uid FROM harvest")}


def rows(conn: sqlite3.Connection, verified_only: bool = False) -> list[LedgerRow]:
    ensure_ledger(conn)
    sql = (
        "SELECT query_uid, turn_id, repo, category, intent, symbol, question, expected_tools, "
        "truth, verified, reason, teacher FROM harvest"
    )
    if verified_only:
        sql += " WHERE verified = 1"
    out: list[LedgerRow] = []
    for r in conn.execute(sql + " ORDER BY rowid"):
        out.append(
            LedgerRow(
                str(r[0]),
                None if r[1] is None else int(r[1]),
                str(r[2]),
                str(r[3]),
                str(r[4]),
                None if r[5] is None else str(r[5]),
                str(r[6]),
                str(r[7]),
                str(r[8]),
                bool(r[9]),
                str(r[10]),
                str(r[11]),
            )
        )
    return out
