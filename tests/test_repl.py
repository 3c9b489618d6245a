"""``punie repl`` driven as a person would: in a real terminal (tmux ``send-keys`` and
``capture-pane``), against real pyright on a copy of the shop sandbox.

Two sessions: the REPL with a scripted backend (``tests/_repl_driver.py``: the loop's control
flow with a deterministic Qwen3-Coder tool call, streamed; a "slow" question streams for a minute
so that Ctrl-C has something to cancel), and ``python -m punie repl`` with the embedded tiny model
(random weights: its replies are garbage, so the turn ends at the step limit).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from punie.agent.messages import Message, assistant_code_message, tool_message
from punie.repl.conversation import Conversation, token_counter, turn_messages
from punie.training.base_model.build import ensure_default_model
from tests.conftest import REPO, copy_sandbox, live_processes

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

PROMPT = "punie>"  # capture-pane drops the trailing space


class Terminal:
    """A tmux session on its own server socket, running one command in a 200x50 pane."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.socket = f"punie-test-{uuid.uuid4().hex[:8]}"
        line = " ".join(_quote(part) for part in ["env", "-u", "COLUMNS", "-u", "LINES", *command])
        self._tmux(
            "new-session", "-d", "-x", "200", "-y", "50", "-c", str(cwd), f"{line}; sleep 600"
        )
        self.pane_pid = int(self._tmux("display", "-p", "-t", "0", "#{pane_pid}").strip())

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "0", *keys)

    def type_line(self, text: str) -> None:
        self.send("-l", text)
        self.send("Enter")

    def screen(self, *, colors: bool = False) -> str:
        flags = ["-e"] if colors else []
        return self._tmux("capture-pane", "-p", "-J", *flags, "-t", "0", "-S", "-5000")

    def wait_for(self, needle: str, count: int = 1, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if text.count(needle) >= count:
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} (x{count}) never appeared; screen:\n{text}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def _quote(part: str) -> str:
    return "'" + part.replace("'", "'\\''") + "'"


def _children(pid: int) -> dict[int, int]:
    """Live (non-zombie) processes as ``{pid: parent pid}``."""
    return {child: parent for child, parent, _ in live_processes()}


def descendants(pid: int) -> set[int]:
    parents = _children(pid)
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - out
        out |= frontier
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pids: set[int]) -> set[int]:
    live = _children(0)
    return {pid for pid in pids if pid in live}


def _left_behind(pids: set[int], timeout: float = 15.0) -> dict[int, str]:
    """Those of ``pids`` still alive after ``timeout`` (but the pane's own ``sleep``)."""
    deadline = time.monotonic() + timeout
    while True:
        left = {pid: cmdline(pid) for pid in alive(pids) if not cmdline(pid).startswith("sleep")}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for term in opened:
        term.close()


def _turns(db: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM turns ORDER BY id").fetchall()
    finally:
        conn.close()


def _expected_references(repo: Path, name: str) -> list[tuple[str, int, str]]:
    """Every textual use of ``name`` in the copy but its definition: in the shop sandbox these
    are exactly the semantic references (the oracle the screen is checked against)."""
    found: list[tuple[str, int, str]] = []
    for path in sorted(repo.rglob("*.py")):
        rel = path.relative_to(repo).as_posix()
        for number, text in enumerate(path.read_text().splitlines(), 1):
            if re.search(rf"\b{name}\b", text) and not text.lstrip().startswith("def "):
                found.append((rel, number, text.strip()))
    return found


@needs_tmux
def test_repl_scripted_session(tmp_path: Path, terminals: list[Terminal]) -> None:
    shop = copy_sandbox("shop", tmp_path)
    db = tmp_path / "traces" / "traces.db"
    term = Terminal([sys.executable, "-m", "tests._repl_driver", str(shop), str(db)], REPO)
    terminals.append(term)
    start = term.wait_for(PROMPT)
    workspace = Path(re.search(r"workspace (\S+)", start).group(1))  # type: ignore[union-attr]
    assert workspace.is_dir() and workspace != shop  # a disposable copy

    # /refs runs the tool directly: every real location as file:line with its source line
    term.type_line("/refs calculate_total")
    screen = term.wait_for(PROMPT, count=2)
    expected = _expected_references(shop, "calculate_total")
    assert len(expected) == 15
    assert "15 reference(s) to calculate_total in 5 file(s):" in screen
    for rel, line, text in expected:
        assert f"{rel}:{line}:" in screen, (rel, line)
        assert text[:50] in screen, text

    # /def, with the source line and its context
    term.type_line("/def Cart.add_item")
    screen = term.wait_for(PROMPT, count=3)
    assert "1 definition(s) of Cart.add_item:" in screen
    assert "shop/cart.py:29:" in screen
    assert (
        "> 29 │     def add_item(self, product: Product, quantity: int = 1) -> LineItem:" in screen
    )

    # completion of a workspace symbol (from the language server) with Tab
    term.send("-l", "/refs calc")
    term.send("Tab")
    term.wait_for("/refs calculate_total", count=2)
    term.send("Enter")
    term.wait_for("15 reference(s) to calculate_total", count=2)
    term.wait_for(PROMPT, count=4)

    # a question: the streamed reply, the highlighted code, the tool result, the final answer
    term.type_line("How many references to calculate_total are there?")
    screen = term.wait_for("/good or /bad to label")
    assert "<function=execute_code>" in screen  # the raw reply, streamed
    assert "╭─ code" in screen
    assert 'r = find_references("calculate_total")' in screen
    assert "→ find_references(symbol='calculate_total')" in screen
    assert "15 reference(s) to calculate_total in 5 file(s):" in screen
    answer = re.search(r"╭─ answer ─+╮\n│ (\S+)\s+│", screen)
    assert answer is not None and answer.group(1) == "15"
    assert "turn #1 recorded" in screen
    colored = term.screen(colors=True)
    code_line = next(
        line
        for line in colored.splitlines()
        if '│ r = find_references("calculate_total")' in re.sub(r"\x1b\[[0-9;]*m", "", line)
    )
    assert re.search(r"\x1b\[38;5;\d+m", code_line)  # syntax-highlighted: colours in the line
    term.wait_for(PROMPT, count=5)

    # labels land in the trace store
    term.type_line("/good")
    term.wait_for("turn #1 labelled good")
    (turn,) = _turns(db)
    assert (turn["label"], turn["correction"], turn["final_answer"]) == ("good", None, "15")
    term.type_line("/bad wrong file")
    term.wait_for("turn #1 labelled bad (correction: wrong file)")
    (turn,) = _turns(db)
    assert (turn["label"], turn["correction"]) == ("bad", "wrong file")
    assert turn["model"] == "scripted:repl-test" and turn["stop_reason"] == "final_answer"

    term.type_line("/trace")
    screen = term.wait_for("trace #1 · scripted:repl-test · 1 steps · final_answer · bad")
    assert "correction: wrong file" in screen

    # Ctrl-C cancels a slow turn; the language server is still healthy afterwards
    term.type_line("a slow question")
    term.wait_for("thinking thinking thinking")
    started = time.monotonic()
    term.send("C-c")
    term.wait_for("turn cancelled (Ctrl-C)", timeout=10)
    assert time.monotonic() - started < 5
    term.type_line("/refs subtotal")
    screen = term.wait_for("reference(s) to subtotal")
    assert "shop/pricing.py:40:" in screen and "gross = subtotal(items)" in screen
    assert len(_turns(db)) == 1  # the cancelled turn is not recorded

    # the conversation carries over: the next turn's messages hold the first turn
    term.type_line("And now?")
    term.wait_for("turn #2 recorded")
    messages = json.loads(_turns(db)[1]["messages"])
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "tool",
        "user",
        "assistant",
    ]
    assert messages[1]["content"].startswith("How many references")
    assert messages[3]["content"] == "15"

    # Ctrl-D: a clean exit, no process left behind, the disposable copy removed
    children = descendants(term.pane_pid)
    names = " ".join(cmdline(pid) for pid in children)
    assert "pyright" in names and "monty" in names
    term.wait_for(PROMPT, count=10)
    term.send("C-d")
    term.wait_for("bye")
    assert _left_behind(children) == {}
    assert not workspace.exists()
    assert (db.parent / "repl_history").read_text().count("/refs calculate_total") >= 2


@pytest.fixture(scope="session")
def repl_tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_default_model(tmp_path_factory.mktemp("repl-model") / "punie-tiny")


@needs_tmux
def test_repl_with_tiny_model(
    tmp_path: Path, terminals: list[Terminal], repl_tiny_model: Path
) -> None:
    shop = copy_sandbox("shop", tmp_path)
    db = tmp_path / "traces.db"
    command = [
        sys.executable,
        "-m",
        "punie",
        "repl",
        "--repo",
        str(shop),
        "--model",
        str(repl_tiny_model),
        "--traces",
        str(db),
        "--max-steps",
        "2",
        "--max-tokens",
        "24",
    ]
    term = Terminal(command, REPO)
    terminals.append(term)
    term.wait_for(PROMPT, timeout=90)
    term.type_line("Where is Cart defined?")
    screen = term.wait_for("/good or /bad to label", timeout=60)
    assert "── step 1: malformed" in screen and "── step 2: malformed" in screen
    assert "correction to the model:" in screen
    assert "no answer: step limit reached (2 of 2 steps)" in screen
    assert "turn #1 recorded" in screen
    (turn,) = _turns(db)
    assert turn["stop_reason"] == "max_steps" and turn["step_count"] == 2
    assert turn["model"].startswith(f"mlx:{repl_tiny_model.resolve()}@sha256:")
    term.wait_for(PROMPT, count=2)
    term.type_line("/model")
    term.wait_for(turn["model"], count=2)
    children = descendants(term.pane_pid)
    term.send("C-d")
    term.wait_for("bye")
    assert _left_behind(children) == {}


def test_conversation_keeps_the_newest_turns_within_the_token_budget() -> None:
    def turn(n: int) -> list[Message]:
        return [
            {"role": "user", "content": f"question {n} " + "x" * 400},
            assistant_code_message("final_answer('a')"),
            tool_message("a"),
        ]

    conversation = Conversation(budget=300)  # about chars/4: one turn is ~120 tokens
    for n in range(4):
        conversation.add(turn(n))
    kept = conversation.messages()
    assert [m["content"][:10] for m in kept if m["role"] == "user"] == ["question 2", "question 3"]
    assert conversation.turn_count == 2 and conversation.tokens() <= 300
    assert token_counter(object())("abcdefgh") == 2

    class Tokenizer:
        def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
            return [0] * len(text.split())

    class WithTokenizer:
        tokenizer = Tokenizer()

    assert token_counter(WithTokenizer())("one two three") == 3
    system: Message = {"role": "system", "content": "s"}
    messages = [system, *turn(0), {"role": "user", "content": "q"}]
    messages.append(assistant_code_message("final_answer('7')"))
    assert turn_messages(messages, 3, "7")[-1] == tool_message("7")
    assert [m["role"] for m in turn_messages(messages, 3, "7")] == ["user", "assistant", "tool"]
