"""The trace store: every turn the agent runs, in SQLite, for inspection and training data.

One row per turn (question, repo and commit, model identity, tool versions, the exact messages,
the answer, timings, and a ``label``/``correction`` pair filled in later), one per step (the raw
reply, the code, the output the model saw, the error, token counts, the sha256 of the exact
prompt text), one per tool call (arguments and the genuine JSON result). The database runs in
WAL mode and each turn is written in one transaction, so a process killed mid-turn loses at most
that turn and leaves the store readable.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from punie.agent.loop import Step, TurnResult
from punie.errors import PunieError

__all__ = ["Extension", "TraceStore", "TurnMeta", "git_state", "prompt_sha256", "tool_versions"]

Label = Literal["good", "bad"]
SCHEMA_VERSION: Final = 2

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    repo TEXT NOT NULL,
    git_commit TEXT,
    git_dirty INTEGER,
    model TEXT NOT NULL,
    tool_versions TEXT NOT NULL,
    tools TEXT NOT NULL,
    messages TEXT NOT NULL,
    max_steps INTEGER NOT NULL,
    step_count INTEGER NOT NULL,
    stop_reason TEXT NOT NULL,
    final_answer TEXT,
    error TEXT,
    duration_s REAL NOT NULL,
    generation_s REAL NOT NULL,
    execution_s REAL NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    label TEXT CHECK (label IS NULL OR label IN ('good', 'bad')),
    correction TEXT,
    labelled_at TEXT,
    source TEXT
);
CREATE TABLE IF NOT EXISTS steps (
    turn_id INTEGER NOT NULL REFERENCES turns(id),
    idx INTEGER NOT NULL,
    message_count INTEGER NOT NULL,
    prompt_sha256 TEXT,
    raw_text TEXT NOT NULL,
    raw_tool_calls TEXT NOT NULL,
    finish_reason TEXT NOT NULL,
    action TEXT NOT NULL,
    code TEXT,
    recovered TEXT,
    correction TEXT,
    output TEXT,
    final_answer TEXT,
    error_kind TEXT,
    error_message TEXT,
    error_line INTEGER,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    generation_s REAL NOT NULL,
    execution_s REAL NOT NULL,
    PRIMARY KEY (turn_id, idx)
);
CREATE TABLE IF NOT EXISTS tool_calls (
    turn_id INTEGER NOT NULL REFERENCES turns(id),
    step_idx INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    arguments TEXT NOT NULL,
    result TEXT,
    error TEXT,
    duration_s REAL NOT NULL,
    concurrent INTEGER NOT NULL,
    PRIMARY KEY (turn_id, step_idx, idx)
);
"""


def prompt_sha256(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def tool_versions() -> dict[str, str]:
    """Versions of the packages whose behaviour shapes tool results."""
    found: dict[str, str] = {}
    for name in ("punie", "pyright", "ruff", "pytest", "pydantic-monty", "mlx-lm"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_state(repo: Path) -> tuple[str | None, bool | None]:
    """``(HEAD commit, uncommitted changes under repo)`` of the git work tree holding ``repo``,
    or ``(None, None)`` outside one."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(repo), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    if git("rev-parse", "--is-inside-work-tree") is None:
        return None, None
    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--", ".")
    return (commit.strip() if commit else None), (
        bool(status.strip()) if status is not None else None
    )


@dataclass(frozen=True)
class TurnMeta:
    """Where and with what a turn ran."""

    repo: str
    model: str
    git_commit: str | None = None
    git_dirty: bool | None = None
    tool_versions: dict[str, str] | None = None
    source: dict[str, str] | None = None
    """Where the turn came from beyond the model, e.g. ``{"kind": "mcp", "session": ...,
    "client": ..., "client_version": ...}`` for a call through ``punie mcp``."""

    @classmethod
    def collect(
        cls, repo: str | Path, model: str, source: dict[str, str] | None = None
    ) -> TurnMeta:
        root = Path(repo).resolve()
        commit, dirty = git_state(root)
        return cls(str(root), model, commit, dirty, tool_versions(), source)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _now(stamp: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


@dataclass(frozen=True)
class Extension:
    """A table that lives beside the turns (the harvest ledger): created when a store opens
    with it, in the same file, so its rows are written in a turn's own transaction."""

    name: str
    schema: str


class TraceStore:
    """A trace database at ``path`` (created with its folder if absent), with the tables of
    ``extensions`` beside the turns."""

    def __init__(self, path: str | Path, extensions: tuple[Extension, ...] = ()) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_SCHEMA)
            columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(turns)")}
            if "source" not in columns:  # a version-1 store: add the column, keep the rows
                conn.execute("ALTER TABLE turns ADD COLUMN source TEXT")
            for extension in extensions:
                conn.executescript(extension.schema)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise PunieError(f"trace store {self.path} cannot be opened: {exc}") from exc
        self._conn = conn

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> TraceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Generator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def record_turn(
        self,
        turn: TurnResult,
        meta: TurnMeta,
        tools: list[dict[str, Any]],
        *,
        also: Callable[[sqlite3.Connection, int], None] | None = None,
    ) -> int:
        """Write one finished turn (one transaction); return its id. ``also(conn, turn_id)``
        writes related rows (a harvest verdict) in the same transaction."""
        with self.transaction() as conn:
            turn_id = self.insert_turn(conn, turn, meta, tools)
            for step in turn.steps:
                self._insert_step(conn, turn_id, step)
            if also is not None:
                also(conn, turn_id)
        return turn_id

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    def insert_turn(
        self,
        conn: sqlite3.Connection,
        turn: TurnResult,
        meta: TurnMeta,
        tools: list[dict[str, Any]],
    ) -> int:
        cursor = conn.execute(
            "INSERT INTO turns (uid, created_at, question, repo, git_commit, git_dirty, model, "
            "tool_versions, tools, messages, max_steps, step_count, stop_reason, final_answer, "
            "error, duration_s, generation_s, execution_s, prompt_tokens, completion_tokens, "
            "source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid.uuid4().hex,
                _now(turn.started_at or None),
                turn.question,
                meta.repo,
                meta.git_commit,
                None if meta.git_dirty is None else int(meta.git_dirty),
                meta.model,
                _json(meta.tool_versions or {}),
                _json(tools),
                _json(turn.messages),
                turn.max_steps,
                len(turn.steps),
                turn.stop_reason,
                turn.final_answer,
                turn.error,
                turn.duration_s,
                turn.generation_s,
                turn.execution_s,
                sum(s.generation.prompt_tokens for s in turn.steps),
                sum(s.generation.completion_tokens for s in turn.steps),
                None if meta.source is None else _json(meta.source),
            ),
        )
        if cursor.lastrowid is None:  # pragma: no cover - INSERT always sets it
            raise PunieError("trace store did not return a turn id")
        return cursor.lastrowid

    def _insert_step(self, conn: sqlite3.Connection, turn_id: int, step: Step) -> None:
        gen, result = step.generation, step.execution
        error = result.error if result is not None else None
        conn.execute(
            "INSERT INTO steps (turn_id, idx, message_count, prompt_sha256, raw_text, "
            "raw_tool_calls, finish_reason, action, code, recovered, correction, output, "
            "final_answer, error_kind, error_message, error_line, prompt_tokens, "
            "completion_tokens, generation_s, execution_s) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                turn_id,
                step.index,
                step.message_count,
                prompt_sha256(gen.prompt) if gen.prompt is not None else None,
                gen.text,
                _json(list(gen.tool_calls)),
                gen.finish_reason,
                step.action,
                step.code,
                step.recovered,
                step.correction,
                result.render() if result is not None else None,
                result.final_answer if result is not None else None,
                error.kind if error is not None else None,
                error.message if error is not None else None,
                error.line if error is not None else None,
                gen.prompt_tokens,
                gen.completion_tokens,
                gen.latency_s,
                step.execution_s,
            ),
        )
        for call in result.tool_calls if result is not None else ():
            conn.execute(
                "INSERT INTO tool_calls (turn_id, step_idx, idx, name, arguments, result, error, "
                "duration_s, concurrent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    turn_id,
                    step.index,
                    call.index,
                    call.name,
                    _json(call.arguments),
                    _json(call.result_json) if call.result_json is not None else None,
                    call.error,
                    call.duration_s,
                    int(call.concurrent),
                ),
            )

    def set_label(self, turn_id: int, label: Label, correction: str | None = None) -> None:
        with self.transaction() as conn:
            done = conn.execute(
                "UPDATE turns SET label = ?, correction = ?, labelled_at = ? WHERE id = ?",
                (label, correction, _now(), turn_id),
            )
            if done.rowcount != 1:
                raise PunieError(f"no turn {turn_id} in {self.path}")

    def list_turns(self, limit: int | None = None) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT id, uid, created_at, question, repo, model, step_count, stop_reason, "
            "final_answer, duration_s, label, source FROM turns ORDER BY id DESC LIMIT ?",
            (-1 if limit is None else limit,),
        ).fetchall()
        return [dict(r) for r in rows]

    def turn_ids(self) -> list[int]:
        return [int(r[0]) for r in self._conn.execute("SELECT id FROM turns ORDER BY id")]

    def get_turn(self, turn_id: int) -> dict[str, Any]:
        """A turn with its steps and tool calls, JSON columns decoded."""
        row = self._conn.execute("SELECT * FROM turns WHERE id = ?", (turn_id,)).fetchone()
        if row is None:
            raise PunieError(f"no turn {turn_id} in {self.path}")
        turn = dict(row)
        for key in ("tool_versions", "tools", "messages"):
            turn[key] = json.loads(turn[key])
        turn["source"] = json.loads(turn["source"]) if turn.get("source") else None
        turn["git_dirty"] = None if turn["git_dirty"] is None else bool(turn["git_dirty"])
        calls: dict[int, list[dict[str, Any]]] = {}
        for call_row in self._conn.execute(
            "SELECT * FROM tool_calls WHERE turn_id = ? ORDER BY step_idx, idx", (turn_id,)
        ):
            call = dict(call_row)
            call["arguments"] = json.loads(call["arguments"])
            call["result"] = json.loads(call["result"]) if call["result"] is not None else None
            call["concurrent"] = bool(call["concurrent"])
            del call["turn_id"]
            calls.setdefault(int(call.pop("step_idx")), []).append(call)
        steps: list[dict[str, Any]] = []
        for step_row in self._conn.execute(
            "SELECT * FROM steps WHERE turn_id = ? ORDER BY idx", (turn_id,)
        ):
            step = dict(step_row)
            del step["turn_id"]
            step["raw_tool_calls"] = json.loads(step["raw_tool_calls"])
            step["tool_calls"] = calls.get(int(step["idx"]), [])
            steps.append(step)
        turn["steps"] = steps
        return turn

    def iter_turns(self) -> Iterator[dict[str, Any]]:
        for turn_id in self.turn_ids():
            yield self.get_turn(turn_id)
