from datetime import date

from taskcli.filters import at_least, due_within, overdue, sort_tasks, with_tag
from taskcli.models import Priority, Status, Task

TODAY = date(2024, 5, 15)


def make_tasks() -> list[Task]:
    return [
        Task(1, "File taxes", Priority.HIGH, due=date(2024, 5, 10), tags=["admin"]),
        Task(2, "Water plants", Priority.LOW, due=TODAY),
        Task(3, "Book dentist", Priority.NORMAL, due=date(2024, 5, 20), tags=["Health"]),
        Task(4, "Read novel", Priority.LOW),
        Task(5, "Pay rent", Priority.HIGH, status=Status.DONE, due=date(2024, 5, 1)),
    ]


def test_overdue_excludes_tasks_due_today():
    assert [task.task_id for task in overdue(make_tasks(), TODAY)] == [1]


def test_due_within():
    assert [task.task_id for task in due_within(make_tasks(), TODAY, 7)] == [2, 3]


def test_with_tag_is_case_insensitive():
    assert [task.task_id for task in with_tag(make_tasks(), "#health")] == [3]


def test_at_least_normal():
    assert [task.task_id for task in at_least(make_tasks(), Priority.NORMAL)] == [1, 3, 5]


def test_sort_tasks():
    assert [task.task_id for task in sort_tasks(make_tasks())] == [1, 3, 2, 4, 5]
