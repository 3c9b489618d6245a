"""Rendering tasks for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from taskcli.dates import humanize_due
from taskcli.models import Priority, Task

PRIORITY_MARKS = {Priority.HIGH: "!!", Priority.NORMAL: "! ", Priority.LOW: "  "}
CHECK = {True: "[x]", False: "[ ]"}


def format_priority(priority: Priority) -> str:
    return PRIORITY_MARKS[priority]


def format_task(task: Task, today: date) -> str:
    """One line: checkbox, id, priority mark, title, tags and due date."""
    parts = [
        CHECK[task.is_done],
        f"{task.task_id:>3}",
        format_priority(task.priority.value),
        task.title,
    ]
    if task.tags:
        parts.append(" ".join(f"#{tag}" for tag in task.tags))
    if task.due and not task.is_done:
        parts.append(f"(due {humanize_due(task.due, today)})")
    return " ".join(parts)


def render_list(tasks: Sequence[Task], today: date) -> str:
    if not tasks:
        return "No tasks."
    return "\n".join(format_task(task, today) for task in tasks)


def render_summary(tasks: Sequence[Task]) -> str:
    done = sum(1 for task in tasks if task.is_done)
    # TODO: show the overdue count here too.
    return f"{len(tasks)} tasks, {done} done, {len(tasks) - done} open"
