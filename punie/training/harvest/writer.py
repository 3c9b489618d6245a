"""Writing one answered query: its trace and its ledger verdict, in one transaction.

The in-process harvest and the driver of a parallel one both write through here, so both keep
the invariant resume relies on: no verdict without its trace, no trace without its verdict.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

from punie.agent.messages import EXECUTE_CODE_TOOL
from punie.traces import TraceStore, TurnMeta
from punie.traces.ledger import LedgerRow, insert_row
from punie.training.harvest.worker import Record

__all__ = ["write_record"]

_TOOLS: Final[list[dict[str, Any]]] = [EXECUTE_CODE_TOOL]


def write_record(store: TraceStore, repo: str, meta: TurnMeta, teacher: str, record: Record) -> int:
    """Write ``record``'s turn and verdict; return the turn's id."""
    query = record.query

    def ledger(conn: sqlite3.Connection, turn_id: int) -> None:
        insert_row(
            conn,
            LedgerRow(
                query_uid=query.uid,
                turn_id=turn_id,
                repo=repo,
                category=query.category,
                intent=query.intent,
                symbol=query.symbol,
                question=query.question,
                expected_tools=",".join(query.expected_tools),
                truth=query.truth.value,
                verified=record.verified,
                reason=record.reason,
                teacher=teacher,
            ),
        )

    return store.record_turn(record.turn, meta, _TOOLS, also=ledger)
