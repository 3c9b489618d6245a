"""``punie traces list|show ID|export|label``: read the agent's trace database.

``punie traces list [--db DB] [--limit N] [--json]``
``punie traces show ID [--db DB] [--json]``
``punie traces export --format jsonl [--out F] [--db DB] [--label good|bad]``
``punie traces label ID good|bad [--correction TEXT] [--db DB]``
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from punie.cli._common import emit_json
from punie.errors import PunieError

__all__ = ["register"]

DEFAULT_DB = Path(".punie") / "traces.db"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    parser = sub.add_parser("traces", help="list, show, label or export stored agent turns")
    traces_sub = parser.add_subparsers(dest="traces_command", required=True)

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"database ({DEFAULT_DB})")
        return p

    listing = with_db(traces_sub.add_parser("list", help="the latest turns"))
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    show = with_db(traces_sub.add_parser("show", help="one turn with its steps and tool calls"))
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)

    export = with_db(traces_sub.add_parser("export", help="all turns, one JSON object a line"))
    export.add_argument("--format", choices=("jsonl",), default="jsonl")
    export.add_argument("--out", type=Path, default=None, help="output file (default: stdout)")
    export.add_argument("--label", choices=("good", "bad"), default=None, help="only these")
    export.set_defaults(handler=_export)

    label = with_db(traces_sub.add_parser("label", help="mark a turn good or bad"))
    label.add_argument("id", type=int)
    label.add_argument("label", choices=("good", "bad"))
    label.add_argument("--correction", default=None, help="what the right answer/program is")
    label.set_defaults(handler=_label)


def _open(args: argparse.Namespace) -> Any:
    from punie.traces import TraceStore

    db = Path(args.db)
    if not db.is_file():
        raise PunieError(f"no trace database at {db}")
    return TraceStore(db)


def _one_line(text: str | None, width: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        turns: list[dict[str, Any]] = store.list_turns(int(args.limit))
    if args.json:
        emit_json(turns)
        return 0
    for t in turns:
        label = t["label"] or "-"
        print(
            f"{t['id']:>5}  {t['created_at']}  {t['stop_reason']:<13} {t['step_count']:>2} steps  "
            f"{label:<4}  {_one_line(t['question'], 50)}  ->  {_one_line(t['final_answer'], 30)}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    with _open(args) as store:
        turn: dict[str, Any] = store.get_turn(int(args.id))
    if args.json:
        emit_json(turn)
        return 0
    print(f"turn {turn['id']} ({turn['uid']}) at {turn['created_at']}")
    print(f"question: {turn['question']}")
    print(f"repo: {turn['repo']}  commit: {turn['git_commit'] or '-'}")
    print(f"model: {turn['model']}")
    print(f"tools: {json.dumps(turn['tool_versions'])}")
    print(
        f"stop: {turn['stop_reason']}  steps: {turn['step_count']}  "
        f"{turn['duration_s']:.2f} s ({turn['generation_s']:.2f} s generating)"
    )
    for step in turn["steps"]:
        print(f"\n--- step {step['idx'] + 1}: {step['action']} ({step['finish_reason']})")
        if step["code"] is not None:
            print(step["code"])
        else:
            print(f"reply: {_one_line(step['raw_text'], 200)}")
        for call in step["tool_calls"]:
            status = call["error"] or "ok"
            print(f"  tool {call['name']}({json.dumps(call['arguments'])}) {status}")
        if step["output"] is not None:
            print(f"output: {step['output']}")
        if step["correction"]:
            print(f"correction: {step['correction'].splitlines()[0]}")
    print(f"\nanswer: {turn['final_answer']}")
    if turn["label"]:
        print(f"label: {turn['label']}  correction: {turn['correction'] or '-'}")
    return 0


def _export(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        store: Any = stack.enter_context(_open(args))
        out: TextIO = sys.stdout
        if args.out is not None:
            out = stack.enter_context(Path(args.out).open("w", encoding="utf-8"))
        count = 0
        for turn in store.iter_turns():
            if args.label is not None and turn["label"] != args.label:
                continue
            out.write(json.dumps(turn, ensure_ascii=False, default=str) + "\n")
            count += 1
    if args.out is not None:
        print(f"exported {count} turns to {args.out}", file=sys.stderr)
    return 0


def _label(args: argparse.Namespace) -> int:
    with _open(args) as store:
        store.set_label(int(args.id), args.label, args.correction)
    return 0
