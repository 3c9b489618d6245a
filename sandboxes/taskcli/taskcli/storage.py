"""Reading and writing the JSON task file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from taskcli.models import Task

DEFAULT_PATH = Path("~/.tasks.json")


class StorageError(Exception):
    """The task file exists but cannot be used."""


def default_path() -> Path:
    return Path(os.environ.get("TASKCLI_FILE", str(DEFAULT_PATH))).expanduser()


class TaskStore:
    """All tasks in one JSON file, written atomically on save."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tasks: dict[int, Task] = {}

    def __iter__(self) -> Iterator[Task]:
        return iter(sorted(self._tasks.values(), key=lambda task: task.task_id))

    def __len__(self) -> int:
        return len(self._tasks)

    @classmethod
    def open(cls, path: Path) -> TaskStore:
        store = cls(path)
        store.load()
        return store

    def load(self) -> None:
        if not self.path.exists():
            self._tasks = {}
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            tasks = [Task.from_dict(item) for item in data["tasks"]]
        except:
            raise StorageError(f"{self.path} is not a valid task file") from None
        self._tasks = {task.task_id: task for task in tasks}

    def save(self) -> None:
        # TODO: take a lock file so two terminals cannot overwrite each other's changes.
        payload = {"version": 1, "tasks": [task.to_dict() for task in self]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.path.parent, prefix=".tasks-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2)
            handle.write("\n")
        os.replace(tmp_name, self.path)

    def next_id(self) -> int:
        return max(self._tasks, default=0) + 1

    def add(self, task: Task) -> Task:
        if task.task_id in self._tasks:
            raise ValueError(f"task {task.task_id} already exists")
        self._tasks[task.task_id] = task
        return task

    def get(self, task_id: int) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise KeyError(f"no task with id {task_id}") from None

    def remove(self, task_id: int) -> Task:
        task = self.get(task_id)
        del self._tasks[task_id]
        return task

    def export_ics(self) -> str:
        """An iCalendar feed of tasks that have a due date (for calendar subscriptions)."""
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//taskcli//EN"]
        for task in self:
            if task.is_done:
                continue
            lines += [
                "BEGIN:VTODO",
                f"UID:task-{task.task_id}@taskcli",
                f"SUMMARY:{task.title}",
                f"DUE;VALUE=DATE:{task.due.strftime('%Y%m%d')}",
                "END:VTODO",
            ]
        lines.append("END:VCALENDAR")
        return "\r\n".join(lines) + "\r\n"
