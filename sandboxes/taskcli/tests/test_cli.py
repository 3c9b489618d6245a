from datetime import date
from pathlib import Path

from taskcli.cli import main

TODAY = date(2024, 5, 15)


def run(tmp_path: Path, *argv: str) -> int:
    return main(["--file", str(tmp_path / "tasks.json"), *argv], today=TODAY)


def test_add_and_list(tmp_path: Path, capsys):
    assert run(tmp_path, "add", "Buy", "milk", "--due", "tomorrow", "--tag", "#errands") == 0
    assert run(tmp_path, "add", "Fix bike", "--priority", "high") == 0
    capsys.readouterr()
    assert run(tmp_path, "list", "--summary") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "[ ]   2 !! Fix bike"
    assert out[1] == "[ ]   1 !  Buy milk #errands (due tomorrow)"
    assert out[2] == "2 tasks, 0 done, 2 open"


def test_done_and_open_filter(tmp_path: Path, capsys):
    run(tmp_path, "add", "One")
    run(tmp_path, "add", "Two")
    assert run(tmp_path, "done", "1") == 0
    capsys.readouterr()
    run(tmp_path, "list", "--open")
    assert capsys.readouterr().out == "[ ]   2 !  Two\n"


def test_bad_due_date(tmp_path: Path, capsys):
    assert run(tmp_path, "add", "Oops", "--due", "someday") == 2
    assert "cannot understand due date 'someday'" in capsys.readouterr().out


def test_remove_unknown(tmp_path: Path, capsys):
    assert run(tmp_path, "remove", "42") == 1
    assert capsys.readouterr().out == "error: no task with id 42\n"
