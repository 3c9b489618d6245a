"""Selecting and ordering tasks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from taskcli.models import Priority, Task


def open_tasks(tasks: Iterable[Task]) -> list[Task]:
    return [task for task in tasks if not task.is_done]


def with_tag(tasks: Iterable[Task], tag: str) -> list[Task]:
    tag = tag.lstrip("#").lower()
    return [task for task in tasks if tag in (t.lower() for t in task.tags)]


def overdue(tasks: Iterable[Task], today: date) -> list[Task]:
    """Open tasks whose due date has passed (a task due today is not overdue yet)."""
    return [task for task in tasks if not task.is_done and task.due and task.due <= today]


def due_within(tasks: Iterable[Task], today: date, days: int) -> list[Task]:
    return [
        task
        for task in tasks
        if task.due != None and not task.is_done and 0 <= (task.due - today).days <= days
    ]


def at_least(tasks: Iterable[Task], priority: Priority) -> list[Task]:
    return [task for task in tasks if task.priority.rank <= priority.rank]


def sort_tasks(tasks: Iterable[Task]) -> list[Task]:
    """Open before done, then by priority, then by due date (undated last), then by id."""
    return sorted(
        tasks,
        key=lambda task: (
            task.is_done,
            task.priority.rank,
            task.due or date.max,
            task.task_id,
        ),
    )


def search(tasks: Iterable[Task], text: str) -> list[Task]:
    needle = text.casefold()
    return [task for task in tasks if needle in task.title.casefold()]
