"""The sub-commands. Each takes the parsed arguments and the store, and returns an exit code."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from taskcli.dates import BadDate, parse_due
from taskcli.filters import open_tasks, overdue, search, sort_tasks, with_tag
from taskcli.formatting import render_list, render_summary
from taskcli.models import Priority, Task
from taskcli.storage import TaskStore


def cmd_add(args: argparse.Namespace, store: TaskStore, today: date) -> int:
    try:
        due = parse_due(args.due, today) if args.due else None
    except BadDate as exc:
        print(f"error: {exc}")
        return 2
    task = Task(
        task_id=store.next_id(),
        title=" ".join(args.title).strip(),
        priority=Priority(args.priority),
        due=due,
        tags=[tag.lstrip("#") for tag in args.tag],
    )
    if not task.title:
        print("error: a task needs a title")
        return 2
    store.add(task)
    store.save()
    print(f"Added task {task.task_id}: {task.title}")
    return 0


def cmd_list(args: argparse.Namespace, store: TaskStore, today: date) -> int:
    tasks = list(store)
    if args.open:
        tasks = open_tasks(tasks)
    if args.overdue:
        tasks = overdue(tasks, today)
    if args.tag:
        tasks = with_tag(tasks, args.tag)
    if args.search:
        tasks = search(tasks, args.search)
    tasks = sort_tasks(tasks)
    print(render_list(tasks, today))
    if args.summary:
        print(render_summary(tasks))
    return 0


def cmd_done(args: argparse.Namespace, store: TaskStore, today: date) -> int:
    for task_id in args.ids:
        try:
            task = store.get(task_id)
        except KeyError as exc:
            print(f"error: {exc.args[0]}")
            return 1
        task.mark_done()
        print(f"Completed {task.task_id}: {task.title}")
    store.save()
    return 0


def cmd_remove(args: argparse.Namespace, store: TaskStore, today: date) -> int:
    try:
        task = store.remove(args.id)
    except KeyError as exc:
        print(f"error: {exc.args[0]}")
        return 1
    store.save()
    print(f"Removed {task.task_id}: {task.title}")
    return 0


def cmd_export(args: argparse.Namespace, store: TaskStore, today: date) -> int:
    # FIXME: write to args.output instead of stdout once the flag exists.
    print(store.export_ics(), end="")
    return 0
