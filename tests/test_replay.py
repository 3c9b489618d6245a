"""Rehearsal for ``punie loop --from-traces``: which training samples a round replays."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from punie.training.loop.replay import (
    add_all,
    add_replay,
    anchors,
    fold_round,
    kind_of,
    neighbours,
    questions,
    restoring_counts,
)


def _write(folder: Path, samples: list[tuple[str, list[str]]]) -> None:
    """A dataset split of ``(question, tools)`` samples, as ``dataset build`` writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, metas = [], []
    for question, tools in samples:
        reply = (
            {"role": "assistant", "content": "prose"}
            if not tools
            else {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "x"}}]}
        )
        messages = [{"role": "system", "content": ""}, {"role": "user", "content": question}]
        rows.append(json.dumps({"messages": [*messages, reply]}))
        metas.append(json.dumps({"tools": tools, "source": "harvest"}))
    (folder / "train.jsonl").write_text("".join(r + "\n" for r in rows))
    (folder / "train.meta.jsonl").write_text("".join(m + "\n" for m in metas))


def test_restoring_counts_fill_the_kinds_the_deployment_lacks() -> None:
    available = {("pytest_run",): 100, ("typecheck",): 100, (): 50}
    # 10 deployed pytest samples and 40 to replay: the round of 50 should hold 20/20/10
    counts = restoring_counts(Counter({("pytest_run",): 10}), available, 40)
    assert counts == {("pytest_run",): 10, ("typecheck",): 20, (): 10}
    assert sum(restoring_counts(Counter(), available, 37).values()) == 37
    # never more of a kind than there is; the shortfall comes from the other kinds
    capped = restoring_counts(Counter(), {("grep",): 100, (): 3}, 40)
    assert capped[()] <= 3 and sum(capped.values()) == 40


def test_neighbours_are_the_training_questions_worded_most_alike(tmp_path: Path) -> None:
    _write(
        tmp_path / "pool",
        [
            ("Run pytest and count the failing tests.", ["pytest_run"]),
            ("Run pytest and count every test it ran.", ["pytest_run"]),
            ("What is a linter?", []),
            ("Where is Cart defined?", ["goto_definition"]),
        ],
    )
    _write(tmp_path / "round", [("Run pytest and count how many tests ran.", ["pytest_run"])])
    pool = list(
        zip(
            (tmp_path / "pool" / "train.jsonl").read_text().splitlines(),
            (tmp_path / "pool" / "train.meta.jsonl").read_text().splitlines(),
            strict=True,
        )
    )
    mine = list(
        zip(
            (tmp_path / "round" / "train.jsonl").read_text().splitlines(),
            (tmp_path / "round" / "train.meta.jsonl").read_text().splitlines(),
            strict=True,
        )
    )
    near = neighbours(mine, pool, 2)
    asked = {json.loads(r)["messages"][1]["content"] for r, _ in near}
    assert asked == {
        "Run pytest and count every test it ran.",
        "Run pytest and count the failing tests.",
    }


def test_add_replay_mixes_in_samples_and_never_repeats_a_question(tmp_path: Path) -> None:
    pool = [(f"How many tests fail in run {i}?", ["pytest_run"]) for i in range(30)]
    pool += [(f"What is concept {i}?", []) for i in range(30)]
    pool.append(("Asked in deployment too?", ["grep"]))
    _write(tmp_path / "first", pool)
    _write(tmp_path / "round", [("Asked in deployment too?", ["grep"]), ("Why?", [])])
    added = add_replay(tmp_path / "round", tmp_path / "first", 8, seed=0)
    assert added == 16
    lines = (tmp_path / "round" / "train.jsonl").read_text().splitlines()
    metas = (tmp_path / "round" / "train.meta.jsonl").read_text().splitlines()
    assert len(lines) == len(metas) == 18
    asked = [json.loads(line)["messages"][1]["content"] for line in lines]
    assert asked.count("Asked in deployment too?") == 1  # the deployment's own, not a replay
    assert len(set(asked)) == 18 and questions(tmp_path / "round") == set(asked)
    kinds = Counter(kind_of(m) for m in metas)
    assert kinds[("pytest_run",)] >= 6 and kinds[()] >= 6  # both kinds keep their share
    assert add_replay(tmp_path / "round", tmp_path / "first", 0, seed=0) == 0


def _split(folder: Path, name: str, samples: list[tuple[str, dict[str, object]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        json.dumps(
            {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": "a"}]}
        )
        for q, _ in samples
    ]
    (folder / f"{name}.jsonl").write_text("".join(r + "\n" for r in rows))
    (folder / f"{name}.meta.jsonl").write_text("".join(json.dumps(m) + "\n" for _, m in samples))


def _pairs(folder: Path) -> list[tuple[str, str]]:
    rows, metas = (
        (folder / f).read_text().splitlines() for f in ("train.jsonl", "train.meta.jsonl")
    )
    return list(zip(rows, metas, strict=True))


def test_anchors_hold_each_sibling_of_a_corrected_tool(tmp_path: Path) -> None:
    def meta(intent: str, tools: list[str]) -> dict[str, object]:
        return {"intent": intent, "tools": tools, "source": "harvest"}

    _split(
        tmp_path / "pool",
        "train",
        [
            ("How many tests ran in total?", meta("pytest.total", ["pytest_run"])),
            ("Tell me the id of the test that fails.", meta("pytest.failing_test", ["pytest_run"])),
            ("Name the failing test.", meta("pytest.failing_test", ["pytest_run"])),
            ("How many tests failed?", meta("pytest.failed_count", ["pytest_run"])),
            ("Where is Cart defined?", meta("definition.location", ["goto_definition"])),
        ],
    )
    fix = {"intent": None, "tools": ["pytest_run"], "source": "deployment", "corrected": True}
    good = {"intent": None, "tools": ["goto_definition"], "source": "deployment"}
    _split(tmp_path / "round", "train", [("Tell me the id of the test that breaks.", fix)])
    pool, mine = _pairs(tmp_path / "pool"), _pairs(tmp_path / "round")
    picked = anchors(mine, pool)
    metas = [json.loads(m) for _, m in picked]
    assert sorted(m["intent"] for m in metas) == [
        "pytest.failed_count",
        "pytest.failing_test",
        "pytest.total",
    ]  # one per intent that calls pytest_run, none for goto_definition
    assert all(m["anchor"] for m in metas)
    best = next(r for r, m in picked if json.loads(m)["intent"] == "pytest.failing_test")
    assert "the test that fails" in best  # worded most like the correction
    assert anchors([(mine[0][0], json.dumps(good))], pool) == []  # no correction, no anchor
    _split(tmp_path / "round", "train", [("Tell me the id of the test that breaks.", fix)])
    assert add_replay(tmp_path / "round", tmp_path / "pool", 4, seed=0) == 4
    replayed = (tmp_path / "round" / "train.jsonl").read_text().splitlines()
    assert len(replayed) == len(set(replayed)) == 5  # an anchor is never replayed twice


def test_fold_round_trains_every_deployment_sample(tmp_path: Path) -> None:
    data, loop = tmp_path / "round", tmp_path / "loop"
    deployed = [(f"question {i}?", {"source": "deployment", "n": i}) for i in range(10)]
    _split(data, "train", deployed[:8])
    _split(data, "valid", deployed[8:9])
    _split(data, "test", deployed[9:])
    _split(
        loop,
        "valid",
        [("question 3?", {"source": "harvest", "n": 99})]  # asked by a user too: not borrowed
        + [(f"loop question {i}?", {"source": "harvest", "n": 100 + i}) for i in range(20)],
    )
    assert fold_round(data, loop, valid=8) == 2
    rows = (data / "train.jsonl").read_text().splitlines()
    metas = [json.loads(m) for m in (data / "train.meta.jsonl").read_text().splitlines()]
    assert sorted(m["n"] for m in metas) == list(range(10))
    for row, meta in zip(rows, metas, strict=True):  # rows and meta lines stay aligned
        assert json.loads(row)["messages"][0]["content"] == f"question {meta['n']}?"
    assert not (data / "test.jsonl").exists() and not (data / "test.meta.jsonl").exists()
    valid = [json.loads(m)["n"] for m in (data / "valid.meta.jsonl").read_text().splitlines()]
    assert valid == list(range(100, 108))
    assert questions(data) == {f"question {i}?" for i in range(10)} | {
        f"loop question {i}?" for i in range(8)
    }


def test_add_all_keeps_the_whole_first_round_but_a_question_a_user_asked(tmp_path: Path) -> None:
    data, loop = tmp_path / "round", tmp_path / "loop"
    _split(data, "train", [("question 3?", {"source": "deployment", "n": 3, "corrected": True})])
    first = [(f"question {i}?", {"source": "harvest", "n": 100 + i}) for i in range(12)]
    _split(loop, "train", first)
    assert add_all(data, loop, seed=0) == 11  # the user's labelled "question 3?" wins
    pairs = _pairs(data)
    by_question = {json.loads(r)["messages"][0]["content"]: json.loads(m) for r, m in pairs}
    assert len(pairs) == len(by_question) == 12  # no question twice
    assert by_question["question 3?"]["source"] == "deployment"
    assert {m["n"] for m in by_question.values()} == {3} | {100 + i for i in range(12) if i != 3}
    assert [json.loads(m)["n"] for _, m in pairs] != sorted(m["n"] for m in by_question.values())


def test_add_all_marks_the_anchors_of_a_correction(tmp_path: Path) -> None:
    data, loop = tmp_path / "round", tmp_path / "loop"
    fix = {"source": "deployment", "corrected": True, "tools": ["pytest_run"], "intent": "a"}
    _split(data, "train", [("which test breaks?", fix)])
    _split(
        loop,
        "train",
        [
            ("how many tests break?", {"tools": ["pytest_run"], "intent": "b"}),
            ("how many tests pass?", {"tools": ["pytest_run"], "intent": "b"}),
            ("where is f defined?", {"tools": ["goto_definition"], "intent": "c"}),
        ],
    )
    assert add_all(data, loop, seed=0) == 3
    marked = {
        json.loads(r)["messages"][0]["content"]
        for r, m in _pairs(data)
        if json.loads(m).get("anchor")
    }
    assert marked == {"how many tests break?"}  # the sibling worded most like the fix


def test_add_all_can_weigh_every_label(tmp_path: Path) -> None:
    data, loop = tmp_path / "round", tmp_path / "loop"
    _split(data, "train", [("asked and right?", {"source": "deployment", "label": "good"})])
    _split(loop, "train", [("loop question?", {"source": "harvest"})])
    assert add_all(data, loop, seed=0, weigh_labels=True) == 1
    metas = {json.loads(r)["messages"][0]["content"]: json.loads(m) for r, m in _pairs(data)}
    assert (
        metas["asked and right?"]["weighted"] is True and "weighted" not in metas["loop question?"]
    )
