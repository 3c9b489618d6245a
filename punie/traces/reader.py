"""Reading a trace database (the ``turns``/``steps``/``tool_calls`` tables of
:class:`~punie.traces.TraceStore` and the ``harvest`` ledger) in one read transaction,
without writing to it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from punie.errors import PunieError

__all__ = ["LedgerInfo", "StepInfo", "TraceRecord", "TraceSnapshot", "read_traces"]


@dataclass(frozen=True)
class StepInfo:
    idx: int
    message_count: int
    action: str
    error_kind: str | None
    prompt_sha256: str | None
    tools: tuple[str, ...]  # names of the tools the step's program really called, in order


@dataclass(frozen=True)
class LedgerInfo:
    query_uid: str
    repo: str
    category: str
    intent: str
    symbol: str | None
    verified: bool
    reason: str
    teacher: str


@dataclass
class TraceRecord:
    id: int
    uid: str
    question: str
    repo_path: str
    git_commit: str | None
    git_dirty: bool | None
    model: str
    tool_versions: dict[str, str]
    tools: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    stop_reason: str
    label: str | None
    correction: str | None
    steps: list[StepInfo] = field(default_factory=lambda: [])
    source: dict[str, Any] | None = None
    """``{"kind": "mcp", ...}`` for a call through ``punie mcp`` (None: ask, repl, harvest)."""
    ledger: list[LedgerInfo] = field(default_factory=lambda: [])


@dataclass(frozen=True)
class TraceSnapshot:
    path: Path
    sha256: str  # of the database image the rows were read from (WAL content included)
    traces: list[TraceRecord]
    has_ledger: bool


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise PunieError(f"no trace database at {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
        conn.row_factory = sqlite3.Row
        conn.execute("SELECT count(*) FROM turns").fetchone()
    except sqlite3.DatabaseError as exc:
        raise PunieError(f"{path} is not a trace database: {exc}") from exc
    return conn


def _ledger(conn: sqlite3.Connection) -> dict[int, list[LedgerInfo]]:
    found: dict[int, list[LedgerInfo]] = {}
    for r in conn.execute(
        "SELECT query_uid, turn_id, repo, category, intent, symbol, verified, reason, teacher "
        "FROM harvest WHERE turn_id IS NOT NULL ORDER BY rowid"
    ):
        found.setdefault(int(r["turn_id"]), []).append(
            LedgerInfo(
                str(r["query_uid"]),
                str(r["repo"]),
                str(r["category"]),
                str(r["intent"]),
                None if r["symbol"] is None else str(r["symbol"]),
                bool(r["verified"]),
                str(r["reason"]),
                str(r["teacher"]),
            )
        )
    return found


def read_traces(path: Path) -> TraceSnapshot:
    """Every turn with its steps, tool names and ledger rows, read in one transaction."""
    path = Path(path)
    conn = _connect(path)
    try:
        conn.execute("BEGIN")
        has_ledger = (
            conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'harvest'"
            ).fetchone()
            is not None
        )
        ledger = _ledger(conn) if has_ledger else {}
        tools: dict[tuple[int, int], list[str]] = {}
        for r in conn.execute(
            "SELECT turn_id, step_idx, name FROM tool_calls ORDER BY turn_id, step_idx, idx"
        ):
            tools.setdefault((int(r[0]), int(r[1])), []).append(str(r[2]))
        steps: dict[int, list[StepInfo]] = {}
        for r in conn.execute(
            "SELECT turn_id, idx, message_count, action, error_kind, prompt_sha256 FROM steps "
            "ORDER BY turn_id, idx"
        ):
            turn_id, idx = int(r["turn_id"]), int(r["idx"])
            steps.setdefault(turn_id, []).append(
                StepInfo(
                    idx,
                    int(r["message_count"]),
                    str(r["action"]),
                    r["error_kind"],
                    r["prompt_sha256"],
                    tuple(dict.fromkeys(tools.get((turn_id, idx), []))),
                )
            )
        traces: list[TraceRecord] = []
        columns = {str(c[1]) for c in conn.execute("PRAGMA table_info(turns)")}
        source = "source" if "source" in columns else "NULL AS source"  # a version-1 store
        for r in conn.execute(
            "SELECT id, uid, question, repo, git_commit, git_dirty, model, tool_versions, tools, "
            f"messages, stop_reason, label, correction, {source} FROM turns ORDER BY id"
        ):
            turn_id = int(r["id"])
            traces.append(
                TraceRecord(
                    id=turn_id,
                    uid=str(r["uid"]),
                    question=str(r["question"]),
                    repo_path=str(r["repo"]),
                    git_commit=r["git_commit"],
                    git_dirty=None if r["git_dirty"] is None else bool(r["git_dirty"]),
                    model=str(r["model"]),
                    tool_versions=cast(dict[str, str], json.loads(r["tool_versions"])),
                    tools=cast(list[dict[str, Any]], json.loads(r["tools"])),
                    messages=cast(list[dict[str, Any]], json.loads(r["messages"])),
                    stop_reason=str(r["stop_reason"]),
                    label=r["label"],
                    correction=r["correction"],
                    steps=steps.get(turn_id, []),
                    ledger=ledger.get(turn_id, []),
                    source=cast(dict[str, Any], json.loads(r["source"])) if r["source"] else None,
                )
            )
        image = conn.serialize()
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise PunieError(f"cannot read trace database {path}: {exc}") from exc
    finally:
        conn.close()
    return TraceSnapshot(path, hashlib.sha256(image).hexdigest(), traces, has_ledger)
