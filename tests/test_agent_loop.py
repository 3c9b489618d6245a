"""The agent turn loop end to end: a real tiny mlx model (random weights, so its replies are
garbage the loop must survive), a scripted Qwen3-Coder tool call against real pyright, the
parser's near-misses, the OpenAI backend against a real ``mlx_lm.server``, the trace store (and
its survival of a SIGKILL mid-turn), byte-identity of prompts, and the ``ask``/``traces`` CLI.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from punie.model.openblas import find_openblas, preload_in_process

preload_in_process()  # before mlx is imported, when no earlier test module imported it

import pytest  # noqa: E402

from punie.agent.backends import Generation, OpenAIBackend, load_backend  # noqa: E402
from punie.agent.backends.batched import BatchedMlxBackend  # noqa: E402
from punie.agent.backends.mlx import MlxBackend  # noqa: E402
from punie.agent.backends.stops import LOOP_REPEATS, call_end, looping  # noqa: E402
from punie.agent.executor import Executor  # noqa: E402
from punie.agent.loop import TurnResult, run_turn  # noqa: E402
from punie.agent.messages import EXECUTE_CODE_TOOL, Message  # noqa: E402
from punie.agent.parse import CodeAction, DirectAnswer, ParseFailure, parse_reply  # noqa: E402
from punie.agent.prompt import (  # noqa: E402
    initial_messages,
    model_prompt_style,
    render_prompt,
    system_prompt,
)
from punie.cli import main  # noqa: E402
from punie.errors import PunieError  # noqa: E402
from punie.tools import ToolContext  # noqa: E402
from punie.traces import TraceStore, TurnMeta, prompt_sha256  # noqa: E402
from punie.training.base_model.build import ensure_default_model  # noqa: E402
from tests.conftest import REPO, copy_sandbox, group_processes  # noqa: E402

QUESTION = "How many references to calculate_total are there?"
SCRIPTED_CODE = 'r = find_references("calculate_total")\nfinal_answer(str(r.reference_count))'
QWEN_CALL = (
    "I will count the references.\n<tool_call>\n<function=execute_code>\n<parameter=code>\n"
    f"{SCRIPTED_CODE}\n</parameter>\n</function>\n</tool_call>"
)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_default_model(tmp_path_factory.mktemp("agent-model") / "punie-tiny")


@pytest.fixture(scope="session")
def mlx_backend(tiny_model: Path) -> MlxBackend:
    return MlxBackend(tiny_model, max_tokens=16)


class ScriptedBackend:
    """Replays fixed replies (loop control-flow tests only); renders the real prompt with the
    tiny model's tokenizer so the trace holds what a model would have seen."""

    def __init__(self, replies: Sequence[str], tokenizer: Any) -> None:
        self.replies = list(replies)
        self.tokenizer = tokenizer
        self.seen: list[int] = []

    prompt_style = "catalogue"

    @property
    def identity(self) -> str:
        return "scripted:test"

    def generate(self, messages: Sequence[Message]) -> Generation:
        self.seen.append(len(messages))
        text = self.replies.pop(0)
        return Generation(text=text, prompt=render_prompt(self.tokenizer, messages))


def _store_turn(db: Path, turn: TurnResult, repo: Path, model: str) -> int:
    with TraceStore(db) as store:
        return store.record_turn(turn, TurnMeta.collect(repo, model), [EXECUTE_CODE_TOOL])


# --- parser -----------------------------------------------------------------------------------

CODE = 'r = find_references("x")\nprint(r.reference_count)'
XML = (
    f"<tool_call>\n<function=execute_code>\n<parameter=code>\n{CODE}\n"
    "</parameter>\n</function>\n</tool_call>"
)


@pytest.mark.parametrize(
    ("reply", "recovered"),
    [
        (XML, None),
        ("Let me see.\n" + XML, None),
        (XML.removesuffix("\n</function>\n</tool_call>"), None),  # ends after </parameter>
        (XML.removesuffix("</parameter>\n</function>\n</tool_call>"), "unclosed tool call"),
        (XML.removeprefix("<tool_call>\n"), "missing <tool_call>"),
        (XML.replace("\n", "\n   ").replace("<tool_call>", "  <tool_call>  "), None),
        (XML.replace("<parameter=code>\n", "").replace("</parameter>\n", ""), "missing <parameter"),
        (
            f"<tool_call>\n{json.dumps({'name': 'execute_code', 'arguments': {'code': CODE}})}\n"
            "</tool_call>",
            "JSON tool call",
        ),
        (f"```python\n{CODE}\n```", None),
        (f"Here:\n```py\n{CODE}\n```\nDone.", "```py fence"),
        (f"```python\n{CODE}\n", "unclosed fence"),
        (f"```\n{CODE}\n```", "untagged fence"),
    ],
)
def test_parser_reads_code_and_recovers_near_misses(reply: str, recovered: str | None) -> None:
    parsed = parse_reply(reply)
    assert isinstance(parsed, CodeAction), parsed
    assert parsed.code == CODE
    if recovered is None:
        assert parsed.recovered is None
    else:
        assert parsed.recovered is not None and recovered in parsed.recovered


def test_parser_openai_tool_calls_answers_and_failures() -> None:
    for arguments in (json.dumps({"code": CODE}), {"code": CODE}):
        call = {"type": "function", "function": {"name": "execute_code", "arguments": arguments}}
        parsed = parse_reply("", [call])
        assert isinstance(parsed, CodeAction) and parsed.code == CODE and parsed.form == "openai"
    assert parse_reply("  There are 3 references.\n") == DirectAnswer("There are 3 references.")
    assert isinstance(parse_reply("```\nnot python at all!\n```"), DirectAnswer)
    assert parse_reply("<think>count them</think>\nIt is 3.") == DirectAnswer("It is 3.")
    failures = {
        "": "empty",
        "garbage garbage": "cut off",  # truncated below
        "<think>still thinking when the tokens ran out": "cut off",
        "<tool_call>\n<function=grep>\n</function>\n</tool_call>": "Unknown function 'grep'",
        "<tool_call>\n<function=execute_code>\n<parameter=path>\nx\n</parameter>": "parameter",
        "<tool_call>\n<function=execute_code>\n<parameter=code>\n\n</parameter>": "empty code",
        "<tool_call>\nnot json\n</tool_call>": "no <function=execute_code>",
        "oops </function> here": "Could not read",
        XML.removesuffix("</parameter>\n</function>\n</tool_call>"): "cut off",  # truncated
    }
    for reply, needle in failures.items():
        parsed = parse_reply(reply, truncated=needle == "cut off")
        assert isinstance(parsed, ParseFailure), (reply, parsed)
        assert needle in parsed.message and "```python\n" in parsed.message
    bad = {"type": "function", "function": {"name": "execute_code", "arguments": "{nope"}}
    parsed = parse_reply("", [bad])
    assert isinstance(parsed, ParseFailure) and "not valid JSON" in parsed.message


@pytest.mark.parametrize(
    ("reply", "kept"),
    [
        (f"```python\n{CODE}\n```\nThat was it.", f"```python\n{CODE}\n```"),
        (
            f"Let me count.\n```py\n{CODE}\n```\n```python\nx\n```",
            f"Let me count.\n```py\n{CODE}\n```",
        ),
        (f"{XML}\ntrailing", XML),
        (f"```\n{CODE}\n```more", f"```\n{CODE}\n```"),
    ],
)
def test_generation_stops_after_the_first_complete_call(reply: str, kept: str) -> None:
    end = call_end(reply)
    assert end is not None and reply[:end] == kept
    parsed = parse_reply(reply[:end])
    assert isinstance(parsed, CodeAction) and parsed.code == CODE


def test_an_unfinished_call_or_plain_answer_does_not_stop_generation() -> None:
    for text in (f"```python\n{CODE}", "```pyth", "There are 3 references.", XML[:-3], "x ``` y"):
        assert call_end(text) is None, text


def test_a_cycle_of_a_few_tokens_is_a_loop_and_a_program_is_not(mlx_backend: MlxBackend) -> None:
    assert looping([7] * LOOP_REPEATS) and not looping([7] * (LOOP_REPEATS - 1))
    assert looping([1, 2, 3] + [4, 5] * LOOP_REPEATS)
    assert looping([9, 8, 7, 6] * LOOP_REPEATS) and not looping([9, 8, 7, 6, 5] * LOOP_REPEATS)
    from punie.training.queries.programs import PROGRAMS

    for make in PROGRAMS.values():  # no prefix of any teacher program reads as a loop
        program = make('"a_b_c"', "r")
        tokens = mlx_backend.encode("```python\n" + program + "\n```")
        assert not any(looping(tokens[:n]) for n in range(len(tokens) + 1))


def test_a_reply_stuck_in_a_loop_stops_before_max_tokens(tiny_model: Path) -> None:
    """The untrained tiny model repeats itself (``istustomistustom...``): generation stops
    there, one reply at a time and in a batch, instead of running to ``max_tokens``."""
    messages = initial_messages("What does Cart do?", style="brief")
    single = MlxBackend(tiny_model, max_tokens=256)
    batched = BatchedMlxBackend(MlxBackend(tiny_model, max_tokens=256), batch_size=2)
    try:
        for backend in (single, batched):
            gen = backend.generate(messages)
            assert gen.finish_reason == "loop" and gen.completion_tokens < 256, gen
            # read as a failed reply (the model is asked again), never as an answer
            parsed = parse_reply(gen.text, looped=gen.looped)
            assert isinstance(parsed, ParseFailure) and "repeating" in parsed.message
    finally:
        batched.close()


# --- backends ---------------------------------------------------------------------------------


def test_mlx_backend_generates_with_identity_and_prompt(
    mlx_backend: MlxBackend, tiny_model: Path
) -> None:
    # punie's own models are prompted in the brief style: one system line, no tool block
    assert mlx_backend.prompt_style == "brief"
    messages = initial_messages("What does Cart do?", style="brief")
    assert messages[0]["content"] == system_prompt("brief")
    gen = mlx_backend.generate(messages)
    assert gen.prompt == render_prompt(mlx_backend.tokenizer, messages, "brief")
    assert gen.prompt.endswith("<|im_start|>assistant\n") and "<function>" not in gen.prompt
    assert 0 < gen.completion_tokens <= 16 and 10 < gen.prompt_tokens < 60
    assert gen.finish_reason in {"stop", "length", "loop"} and gen.latency_s > 0
    again = mlx_backend.generate(messages)  # served from the prefix cache: same greedy reply
    assert again.text == gen.text and again.extra["cached_prompt_tokens"] > 0
    identity = mlx_backend.identity
    assert identity.startswith(f"mlx:{tiny_model.resolve()}@sha256:") and len(identity) > 70
    with pytest.raises(PunieError, match=r"no config\.json"):
        MlxBackend(tiny_model.parent / "missing")


def test_prompt_style_comes_from_the_model_config(tmp_path: Path) -> None:
    """A model directory names its prompt style; none named means the catalogue (any model
    that was not built by punie); an unknown one is an error naming the file."""
    assert model_prompt_style(tmp_path) == "catalogue"  # no config.json at all
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model_type": "qwen3"}))
    assert model_prompt_style(tmp_path) == "catalogue"
    config.write_text(json.dumps({"punie": {"prompt_style": "brief"}}))
    assert model_prompt_style(tmp_path) == "brief"
    config.write_text(json.dumps({"punie": {"prompt_style": "haiku"}}))
    with pytest.raises(PunieError, match=r"config\.json: punie\.prompt_style is 'haiku'"):
        model_prompt_style(tmp_path)
    brief, catalogue = system_prompt("brief"), system_prompt("catalogue")
    assert len(brief) < 120 < 2000 < len(catalogue) and "goto_definition" in catalogue


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mlx_server(tiny_model: Path) -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    library = find_openblas()
    if library:
        env["LD_PRELOAD"] = library
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlx_lm.server",
            "--model",
            str(tiny_model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--max-tokens",
            "8",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"mlx_lm.server exited: {err[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "mlx_lm.server did not start in 60 s"
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()
        deadline = time.monotonic() + 10
        while group_processes(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_processes(proc.pid) == [], "mlx_lm.server left processes behind"


def test_openai_backend_against_mlx_server(mlx_server: str, tiny_model: Path) -> None:
    model_id = str(tiny_model)
    backend = load_backend(f"openai:{mlx_server}#{model_id}", max_tokens=8)
    assert isinstance(backend, OpenAIBackend)
    messages = initial_messages("Where is Cart defined?", system="Be brief.")
    messages += [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "type": "function",
                    "function": {"name": "execute_code", "arguments": {"code": "print(1)"}},
                }
            ],
        },
        {"role": "tool", "content": "1"},
    ]
    gen = backend.generate(messages)
    assert gen.prompt is None and gen.finish_reason in {"stop", "length", "tool_calls"}
    assert 0 < gen.completion_tokens <= 8 and gen.prompt_tokens > 20
    assert isinstance(gen.text, str) and backend.identity.endswith(f"#{model_id}")
    assert backend.identity.startswith(f"openai:{mlx_server}/v1/chat/completions")

    wrong = OpenAIBackend(f"{mlx_server}/v1", "no-such-model", max_tokens=8, timeout_s=60)
    with pytest.raises(PunieError, match="no-such-model"):
        wrong.generate(messages)
    with pytest.raises(PunieError, match="cannot reach"):
        OpenAIBackend(f"http://127.0.0.1:{_free_port()}", "m", timeout_s=5).generate(messages)
    with pytest.raises(PunieError, match="MODEL_ID"):
        load_backend("openai:http://127.0.0.1:1")


# --- the loop ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_real_tiny_model_turn_is_handled_and_traced(
    mlx_backend: MlxBackend, tmp_path: Path
) -> None:
    """Random weights reply with garbage: every reply is handled (corrected and counted as a
    step), the step limit ends the turn, and the trace holds exactly the prompts it saw."""
    repo = copy_sandbox("shop", tmp_path)
    async with ToolContext.at(repo) as ctx, Executor(ctx) as ex:
        turn = await run_turn(QUESTION, mlx_backend, ex, max_steps=2)
    assert 1 <= len(turn.steps) <= 2
    assert turn.messages[0] == {"role": "system", "content": system_prompt("brief")}
    if turn.final_answer is None:
        assert turn.stop_reason == "max_steps" and len(turn.steps) == 2
    for step in turn.steps:
        if step.action == "malformed":
            assert step.correction and "```python\n" in step.correction
            after = turn.messages[step.message_count : step.message_count + 2]
            assert after == [
                {"role": "assistant", "content": step.generation.text},
                {"role": "tool", "content": step.correction},
            ]
    assert any(s.action == "malformed" for s in turn.steps) or turn.final_answer is not None

    db = tmp_path / "traces.db"
    turn_id = _store_turn(db, turn, repo, mlx_backend.identity)
    with TraceStore(db) as store:
        stored = store.get_turn(turn_id)
    assert stored["model"] == mlx_backend.identity and stored["repo"] == str(repo.resolve())
    assert stored["step_count"] == len(turn.steps) and stored["stop_reason"] == turn.stop_reason
    assert set(stored["tool_versions"]) >= {"pyright", "ruff", "pytest"}
    # Byte identity: what the model saw at run time == render_prompt(stored messages prefix),
    # which is what the dataset exporter (and so the trainer) renders.
    for step, row in zip(turn.steps, stored["steps"], strict=True):
        seen = step.generation.prompt
        assert seen is not None
        shown = stored["messages"][: row["message_count"]]
        rendered = render_prompt(mlx_backend.tokenizer, shown, mlx_backend.prompt_style)
        assert rendered == seen
        assert row["prompt_sha256"] == prompt_sha256(seen)
        assert row["raw_text"] == step.generation.text


@pytest.mark.anyio
async def test_scripted_tool_call_gets_genuine_pyright_result(
    mlx_backend: MlxBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_sandbox("shop", tmp_path)
    backend = ScriptedBackend(["garbage <function=oops", QWEN_CALL], mlx_backend.tokenizer)
    async with ToolContext.at(repo) as ctx, Executor(ctx) as ex:
        turn = await run_turn(QUESTION, backend, ex, max_steps=4)
        from punie.tools.navigation import find_references

        direct = await find_references(ctx, "calculate_total")
    assert direct.success and direct.reference_count > 1
    assert turn.stop_reason == "final_answer" and len(turn.steps) == 2
    assert turn.steps[0].action == "malformed" and turn.messages[3]["role"] == "tool"
    assert turn.final_answer == str(direct.reference_count)
    assert backend.seen == [2, 4]

    db = tmp_path / "traces.db"
    turn_id = _store_turn(db, turn, repo, backend.identity)
    with TraceStore(db) as store:
        stored = store.get_turn(turn_id)
        store.set_label(turn_id, "good", "counted with find_references")
    step = stored["steps"][1]
    assert step["code"] == SCRIPTED_CODE and step["final_answer"] == turn.final_answer
    (call,) = step["tool_calls"]
    assert call["name"] == "find_references" and call["arguments"]["symbol"] == "calculate_total"
    assert call["result"]["type"] == "ReferencesResult"
    assert call["result"]["reference_count"] == direct.reference_count
    assert len(call["result"]["locations"]) == direct.reference_count
    assert stored["messages"][-1]["tool_calls"][0]["function"]["arguments"] == {
        "code": SCRIPTED_CODE
    }
    assert stored["messages"][-1]["content"] == "I will count the references."
    for row in stored["steps"]:
        rendered = render_prompt(mlx_backend.tokenizer, stored["messages"][: row["message_count"]])
        assert prompt_sha256(rendered) == row["prompt_sha256"]

    # The traces CLI reads the same store.
    assert main(["traces", "list", "--db", str(db)]) == 0
    assert "final_answer" in capsys.readouterr().out
    assert main(["traces", "show", str(turn_id), "--db", str(db), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (
        shown["label"] == "good" and shown["steps"][1]["tool_calls"][0]["result"] == call["result"]
    )
    out = tmp_path / "export.jsonl"
    assert main(["traces", "export", "--format", "jsonl", "--out", str(out), "--db", str(db)]) == 0
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["final_answer"] == turn.final_answer
    assert main(["traces", "show", "999", "--db", str(db)]) == 2


@pytest.mark.anyio
async def test_loop_direct_answer_step_limit_and_backend_error(
    mlx_backend: MlxBackend, tmp_path: Path
) -> None:
    repo = copy_sandbox("shop", tmp_path)
    async with ToolContext.at(repo) as ctx, Executor(ctx) as ex:
        direct = await run_turn(QUESTION, ScriptedBackend(["It is 3."], mlx_backend.tokenizer), ex)
        assert direct.stop_reason == "direct_answer" and direct.final_answer == "It is 3."
        looping = ScriptedBackend(
            ["```python\nprint(undefined_name)\n```"] * 3, mlx_backend.tokenizer
        )
        limited = await run_turn(QUESTION, looping, ex, max_steps=3)
        assert limited.stop_reason == "max_steps" and limited.final_answer is None
        assert [m["role"] for m in limited.messages[2:]] == ["assistant", "tool"] * 3
        assert "undefined_name" in limited.messages[-1]["content"]
        failing = ScriptedBackend([], mlx_backend.tokenizer)  # pops from an empty list
        broken = await run_turn(QUESTION, failing, ex)
        assert broken.stop_reason == "backend_error" and "IndexError" in (broken.error or "")


def test_ask_cli_with_tiny_model(
    tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_sandbox("shop", tmp_path)
    db = tmp_path / "ask.db"
    code = main(
        [
            "ask",
            QUESTION,
            "--repo",
            str(repo),
            "--model",
            str(tiny_model),
            "--max-steps",
            "1",
            "--max-tokens",
            "8",
            "--traces",
            str(db),
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == (0 if summary["answer"] is not None else 1)
    assert summary["steps"] == 1 and summary["trace_id"] == 1
    assert summary["model"].startswith("mlx:") and summary["overhead_s"] >= 0
    with TraceStore(db) as store:
        assert store.get_turn(1)["question"] == QUESTION
    assert main(["ask", QUESTION, "--repo", str(tmp_path / "nope")]) == 2


# --- the store survives a kill ----------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time
    from punie.agent.backends.base import Generation
    from punie.agent.loop import Step, TurnResult
    from punie.agent.prompt import initial_messages
    from punie.traces import TraceStore, TurnMeta

    store = TraceStore(sys.argv[1])
    meta = TurnMeta.collect(sys.argv[2], "test:writer")

    def turn(n):
        t = TurnResult(f"question {n}", initial_messages(f"question {n}"), max_steps=1)
        t.steps.append(Step(0, 2, Generation(text=f"reply {n}"), "direct_answer"))
        t.final_answer, t.stop_reason = f"reply {n}", "direct_answer"
        return t

    for n in range(3):
        store.record_turn(turn(n), meta, [])
    with store.transaction() as conn:  # a turn in flight
        store.insert_turn(conn, turn(99), meta, [])
        print("in flight", flush=True)
        time.sleep(600)
    """
)


def test_killed_writer_leaves_store_readable(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "in flight"
        assert db.with_name("killed.db-wal").exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    with TraceStore(db) as store:
        turns = [store.get_turn(i) for i in store.turn_ids()]
    assert [t["question"] for t in turns] == ["question 0", "question 1", "question 2"]
    assert all(len(t["steps"]) == 1 and t["final_answer"] for t in turns)


def test_turn_meta_records_git_commit(tmp_path: Path) -> None:
    repo = copy_sandbox("shop", tmp_path)
    assert TurnMeta.collect(repo, "m").git_commit is None  # tmp copy: not a git repository
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t")
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    meta = TurnMeta.collect(repo, "m")
    assert meta.git_commit == head and meta.git_dirty is False
    (repo / "new.py").write_text("x = 1\n")
    assert TurnMeta.collect(repo, "m").git_dirty is True
