import json
from datetime import date
from pathlib import Path

from taskcli.models import Priority, Task
from taskcli.storage import StorageError, TaskStore


def test_round_trip(tmp_path: Path):
    path = tmp_path / "tasks.json"
    store = TaskStore.open(path)
    store.add(Task(store.next_id(), "Write report", Priority.HIGH, due=date(2024, 6, 1)))
    store.add(Task(store.next_id(), "Call mum", tags=["family"]))
    store.save()
    reopened = TaskStore.open(path)
    assert [task.title for task in reopened] == ["Write report", "Call mum"]
    assert reopened.get(1).due == date(2024, 6, 1)
    assert reopened.get(2).tags == ["family"]
    assert json.loads(path.read_text())["version"] == 1


def test_missing_file_is_empty(tmp_path: Path):
    assert len(TaskStore.open(tmp_path / "nope.json")) == 0


def test_corrupt_file(tmp_path: Path):
    path = tmp_path / "tasks.json"
    path.write_text("{not json")
    try:
        TaskStore.open(path)
    except StorageError as exc:
        assert "not a valid task file" in str(exc)
    else:
        raise AssertionError("expected StorageError")


def test_next_id_after_remove(tmp_path: Path):
    store = TaskStore(tmp_path / "tasks.json")
    for title in ("a", "b", "c"):
        store.add(Task(store.next_id(), title))
    store.remove(2)
    assert store.next_id() == 4


def test_export_ics(tmp_path: Path):
    store = TaskStore(tmp_path / "tasks.json")
    store.add(Task(1, "Dentist", due=date(2024, 5, 20)))
    feed = store.export_ics()
    assert "SUMMARY:Dentist\r\nDUE;VALUE=DATE:20240520\r\n" in feed
    assert feed.startswith("BEGIN:VCALENDAR\r\n")
