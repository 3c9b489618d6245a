"""The task record and its enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class Priority(str, enum.Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """Sort key: high first."""
        return {"high": 0, "normal": 1, "low": 2}[self.value]


class Status(str, enum.Enum):
    OPEN = "open"
    DONE = "done"


@dataclass
class Task:
    task_id: int
    title: str
    priority: Priority = Priority.NORMAL
    status: Status = Status.OPEN
    due: date | None = None
    tags: list[str] = field(default_factory=list)
    created: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    completed: datetime | None = None

    @property
    def is_done(self) -> bool:
        return self.status is Status.DONE

    def mark_done(self, when: datetime | None = None) -> None:
        self.status = Status.DONE
        self.completed = when or datetime.now().replace(microsecond=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.task_id,
            "title": self.title,
            "priority": self.priority.value,
            "status": self.status.value,
            "due": self.due.isoformat() if self.due else None,
            "tags": list(self.tags),
            "created": self.created.isoformat(),
            "completed": self.completed.isoformat() if self.completed else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Task:
        return cls(
            task_id=int(data["id"]),
            title=str(data["title"]),
            priority=Priority(data.get("priority", "normal")),
            status=Status(data.get("status", "open")),
            due=date.fromisoformat(data["due"]) if data.get("due") else None,
            tags=list(data.get("tags", [])),
            created=datetime.fromisoformat(data["created"]),
            completed=datetime.fromisoformat(data["completed"]) if data.get("completed") else None,
        )
