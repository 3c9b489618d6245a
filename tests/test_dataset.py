"""``punie dataset build|audit`` on a trace database made of real turns.

The turns run through the real loop, executor, tools and pyright on copies of the ``shop`` and
``textkit`` sandboxes (made git repositories so the card records commits). Only the model is
scripted: a backend that replays fixed Qwen3-Coder tool-call texts (this module tests data export;
every tool result in the traces is genuine). Then: selection, splits by (repo, symbol), holdout,
byte-identity of every sample's prompt with what the run time rendered, the card, the trainer's
loader, and the audit, clean and on seven kinds of damage.
"""

from __future__ import annotations

from punie.model.openblas import preload_in_process

preload_in_process()  # before mlx is imported, when no earlier test module imported it

import asyncio  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from contextlib import closing  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from punie.agent.backends import Generation  # noqa: E402
from punie.agent.executor import Executor  # noqa: E402
from punie.agent.loop import run_turn  # noqa: E402
from punie.agent.messages import EXECUTE_CODE_TOOL, Message  # noqa: E402
from punie.agent.prompt import model_prompt_style, render_prompt, system_prompt  # noqa: E402
from punie.cli import main  # noqa: E402
from punie.tools import ToolContext  # noqa: E402
from punie.traces import TraceStore, TurnMeta, prompt_sha256  # noqa: E402
from punie.traces.ledger import LedgerRow, ensure_ledger, insert_row  # noqa: E402
from punie.training.base_model.build import ensure_default_model  # noqa: E402
from punie.training.dataset.audit import AuditReport, audit_dataset  # noqa: E402
from punie.training.dataset.formats import max_run_flags, tag_problems  # noqa: E402
from punie.training.dataset.tokens import load_tokenizer  # noqa: E402
from punie.training.train.data import find_dataset_files, load_datasets, read_jsonl  # noqa: E402
from tests.conftest import copy_sandbox  # noqa: E402

TEACHER = "scripted:qwen3-coder-replay"


def call(code: str, preamble: str = "") -> str:
    head = f"{preamble}\n" if preamble else ""
    return (
        f"{head}<tool_call>\n<function=execute_code>\n<parameter=code>\n{code}\n"
        "</parameter>\n</function>\n</tool_call>"
    )


class ScriptedBackend:
    """Replays fixed Qwen3-Coder replies; renders the real prompt with the tiny model's
    tokenizer, so each step's ``prompt_sha256`` is that of the text a model would have seen."""

    def __init__(self, replies: Sequence[str], tokenizer: Any) -> None:
        self.replies = list(replies)
        self.tokenizer = tokenizer

    prompt_style = "catalogue"

    @property
    def identity(self) -> str:
        return "scripted:dataset-test"

    def generate(self, messages: Sequence[Message]) -> Generation:
        return Generation(text=self.replies.pop(0), prompt=render_prompt(self.tokenizer, messages))


@dataclass(frozen=True)
class Script:
    repo: str
    question: str
    replies: tuple[str, ...]
    symbol: str | None = None  # with a category: a harvested turn with a ledger row
    category: str | None = None
    verified: bool = True
    label: str | None = None
    correction: str | None = None


def _def(symbol: str) -> str:
    return (
        f'd = goto_definition("{symbol}")\n'
        'final_answer(f"{d.locations[0].file}:{d.locations[0].line}")'
    )


def _refs(symbol: str) -> str:
    return f'r = find_references("{symbol}")\nfinal_answer(str(r.reference_count))'


SCRIPTS: tuple[Script, ...] = (
    Script("shop", "How many references to calculate_total are there?",
           (call(_refs("calculate_total"), "I will count them."),),
           "calculate_total", "references"),
    Script("shop", "Where is calculate_total defined?", (
        call('d = goto_definition("calculate_total")\nprint(d.locations[0].file)'),
        call(_def("calculate_total")),
    ), "calculate_total", "definition"),
    Script("shop", "Where is round_money defined?", (call(_def("round_money")),),
           "round_money", "definition"),
    Script("shop", "How many references to subtotal are there?", (call(_refs("subtotal")),),
           "subtotal", "references"),
    Script("shop", "Which functions does shop/tax.py define?", (call(
        's = document_symbols("shop/tax.py")\n'
        'final_answer(", ".join(x.name for x in s.symbols))'),), "shop/tax.py", "symbols"),
    Script("shop", "Where is zone_for defined?", (  # an erroring step, then a good one
        call('print(goto_definition("zone_for").locations[7].file)'),
        call(_def("zone_for")),
    ), "zone_for", "definition"),
    Script("shop", "Which file defines OrderService?", (call(
        'g = grep("class OrderService")\nfinal_answer(g.matches[0].file)'),),
        "OrderService", "grep"),
    Script("shop", "How many references to UserService are there?",  # rejected by the ledger
           (call(_refs("UserService")),), "UserService", "references", verified=False),
    Script("shop", "Where is Cart defined?",  # malformed first reply: nothing exportable
           ("garbage <function=oops", call(_def("Cart"))), "Cart", "definition"),
    Script("shop", "How many references to bulk_discount are there?",
           (call(_refs("bulk_discount")),), label="good"),
    Script("shop", "Which file defines parse_coupon_code?", (
        call('print(grep("def parse_coupon_code").matches[0].file)'),
        call('final_answer("shop/pricing.py")'),
    ), label="bad", correction="parse_coupon_code is defined in shop/discounts.py."),
    Script("shop", "Where is tax_rate_for defined?", (call('final_answer("nowhere")'),),
           label="bad"),
    Script("shop", "Where is order_total defined?",  # malformed, then corrected by a program
           ("garbage <function=oops", call('final_answer("nowhere")')), label="bad",
           correction=_def("order_total")),
    Script("shop", "Where is apply_coupon defined?",  # a wrong program, corrected by a program
           (call('final_answer("nowhere")'),), label="bad", correction=_def("apply_coupon")),
    Script("shop", "What does a linter do?",  # a conceptual question the model ran code for
           (call('final_answer(str(grep("zzz_absent").match_count))'),), label="bad",
           correction="A linter reports likely mistakes and style problems by rule."),
    Script("shop", "Where is is_tax_free defined?", (call(_def("is_tax_free")),)),  # unlabelled
    Script("textkit", "Where is slugify defined?", (call(_def("slugify")),),
           "slugify", "definition"),
    Script("textkit", "How many references to normalize_text are there?",
           (call(_refs("normalize_text")),), "normalize_text", "references"),
)  # fmt: skip

EXPECTED_SAMPLES = 15  # 9 verified + 1 good traces (one with 2 samples, one with a skipped
# erroring step) + 4 corrected bad traces


def _git_init(repo: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "sandbox")
    return git("rev-parse", "HEAD")


async def _run_scripts(db: Path, repos: dict[str, Path], tokenizer: Any) -> None:
    for name, root in repos.items():
        async with ToolContext.at(root) as ctx, Executor(ctx) as ex:
            for index, script in enumerate(SCRIPTS):
                if script.repo != name:
                    continue
                backend = ScriptedBackend(script.replies, tokenizer)
                turn = await run_turn(script.question, backend, ex, max_steps=len(script.replies))
                assert not backend.replies, f"{script.question}: unused replies"
                with TraceStore(db) as store:
                    turn_id = store.record_turn(
                        turn, TurnMeta.collect(root, backend.identity), [EXECUTE_CODE_TOOL]
                    )
                    if script.label is not None:
                        store.set_label(turn_id, "good" if script.label == "good" else "bad",
                                        script.correction)  # fmt: skip
                if script.category is None:
                    continue
                with sqlite3.connect(db) as conn:
                    ensure_ledger(conn)
                    insert_row(
                        conn,
                        LedgerRow(
                            query_uid=f"q{index}",
                            turn_id=turn_id,
                            repo=name,
                            category=script.category,
                            intent=f"{script.category} of {script.symbol}",
                            symbol=script.symbol,
                            question=script.question,
                            expected_tools="goto_definition",
                            truth=turn.final_answer or "",
                            verified=script.verified,
                            reason="ok" if script.verified else "answer did not match",
                            teacher=TEACHER,
                        ),
                    )


@dataclass
class Built:
    db: Path
    out: Path
    tiny: Path
    tokenizer: Any
    commits: dict[str, str]
    card: dict[str, Any]
    build_s: float
    turns_s: float
    db_sha256: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    tmp = tmp_path_factory.mktemp("dataset")
    tiny = ensure_default_model(tmp / "punie-tiny")
    tokenizer = load_tokenizer(tiny)
    repos = {name: copy_sandbox(name, tmp) for name in ("shop", "textkit")}
    commits = {name: _git_init(root) for name, root in repos.items()}
    db = tmp / "traces.db"
    started = time.perf_counter()
    asyncio.run(_run_scripts(db, repos, tokenizer))
    turns_s = time.perf_counter() - started
    out = tmp / "data"
    with closing(sqlite3.connect(db)) as conn:
        db_sha256 = hashlib.sha256(conn.serialize()).hexdigest()
    started = time.perf_counter()
    code = main(
        ["dataset", "build", "--traces", str(db), "--out", str(out), "--holdout-repo", "textkit",
         "--valid-fraction", "0.2", "--test-fraction", "0.1", "--seed", "3",
         "--tokenizer", str(tiny), "--prompt-style", "catalogue"]
    )  # fmt: skip
    build_s = time.perf_counter() - started
    assert code == 0
    card = json.loads((out / "dataset_card.json").read_text())
    return Built(db, out, tiny, tokenizer, commits, card, build_s, turns_s, db_sha256)


def _split(out: Path, name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    path = out / f"{name}.jsonl"
    if not path.is_file():
        return []
    samples = [json.loads(line) for line in path.read_text().splitlines()]
    metas = [json.loads(line) for line in (out / f"{name}.meta.jsonl").read_text().splitlines()]
    assert len(samples) == len(metas)
    return list(zip(samples, metas, strict=True))


def _assert_groups_disjoint(out: Path) -> None:
    """Splits by (repo, symbol): nothing in valid/test shares a group with train."""

    def group(sample: dict[str, Any], meta: dict[str, Any]) -> tuple[str, str]:
        return (meta["repo"], meta["symbol"] or sample["messages"][1]["content"])

    train = {group(s, m) for s, m in _split(out, "train")}
    assert train
    for name in ("valid", "test"):
        assert not train & {group(s, m) for s, m in _split(out, name)}


def test_build_selects_splits_and_renders_like_the_runtime(built: Built) -> None:
    splits = {name: _split(built.out, name) for name in ("train", "valid", "test")}
    every = [pair for pairs in splits.values() for pair in pairs]
    assert len(every) == EXPECTED_SAMPLES
    assert splits["train"] and splits["valid"] and splits["test"]
    _assert_groups_disjoint(built.out)
    # The holdout repo is only in test.
    assert {m["repo"] for _, m in splits["test"]} >= {"textkit"}
    assert all(m["repo"] != "textkit" for n in ("train", "valid") for _, m in splits[n])
    # Selection: one sample per assistant turn, errors/malformed/unverified/unlabelled left out.
    questions = [s["messages"][1]["content"] for s, _ in every]
    assert questions.count("Where is calculate_total defined?") == 2
    for gone in ("UserService", "Cart", "tax_rate_for", "is_tax_free"):
        assert not any(gone in q for q in questions), gone
    zone = [s for s, m in every if m["symbol"] == "zone_for"]
    assert len(zone) == 1 and [m["role"] for m in zone[0]["messages"]] == [
        "system", "user", "assistant", "tool", "assistant"
    ]  # fmt: skip
    assert "IndexError" in zone[0]["messages"][3]["content"]  # the genuine error stays as context
    fixes = [(s, m) for s, m in every if m["corrected"]]
    # a corrected program is taught as the first reply, after a malformed reply or a wrong
    # program alike: the wrong steps are not its context
    for symbol in ("order_total", "apply_coupon"):
        (first_reply,) = [s for s, _ in fixes if symbol in s["messages"][1]["content"]]
        assert [m["role"] for m in first_reply["messages"]] == ["system", "user", "assistant"]
        code = first_reply["messages"][2]["tool_calls"][0]["function"]["arguments"]["code"]
        assert code == _def(symbol)
    # prose no tool output holds is a direct answer: the first reply, with no tool call
    (direct,) = [(s, m) for s, m in fixes if "linter" in s["messages"][1]["content"]]
    assert [m["role"] for m in direct[0]["messages"]] == ["system", "user", "assistant"]
    assert direct[0]["messages"][2]["content"].startswith("A linter reports")
    assert direct[1]["tools"] == [] and direct[1]["step"] == 0
    # prose a tool output holds (the real grep output names the file) is taught after it
    (fixed,) = [(s, m) for s, m in fixes if "parse_coupon" in s["messages"][1]["content"]]
    assert fixed[0]["messages"][-1] == {
        "role": "assistant",
        "content": "parse_coupon_code is defined in shop/discounts.py.",
    }
    assert "shop/discounts.py" in fixed[0]["messages"][-2]["content"]  # real grep output before
    assert fixed[1]["source"] == "deployment" and fixed[1]["tools"] == []
    # Byte identity: every prompt renders exactly as the runtime rendered it.
    system = system_prompt()
    with TraceStore(built.db) as store:
        for sample, meta in every:
            assert sample["tools"] == [EXECUTE_CODE_TOOL]
            assert sample["messages"][0] == {"role": "system", "content": system}
            assert sample["messages"][-1]["role"] == "assistant"
            assert set(sample) == {"messages", "tools"}
            rendered = render_prompt(built.tokenizer, sample["messages"][:-1])
            assert meta["prompt_sha256"] == prompt_sha256(rendered)
            turn = store.get_turn(meta["trace_id"])
            step = meta["step"] if meta["step"] is not None else len(turn["steps"]) - 1
            assert turn["steps"][step]["prompt_sha256"] == prompt_sha256(rendered)
            if not meta["corrected"]:
                assert sample["messages"] == turn["messages"][: len(sample["messages"])]
                tools = [c["name"] for c in turn["steps"][step]["tool_calls"]]
                assert meta["tools"] == list(dict.fromkeys(tools))
            assert meta["tokens"] == len(
                built.tokenizer.apply_chat_template(sample["messages"], tools=sample["tools"])
            )


def test_card_counts_and_provenance(built: Built) -> None:
    card = built.card
    src = card["source"]
    assert src["traces_total"] == len(SCRIPTS) and src["traces_used"] == 14
    assert src["excluded"] == {
        "deployment trace not labelled good": 1,
        "harvested, not verified": 1,
        "labelled bad without a correction": 1,
        "no exportable assistant turn": 1,
    }
    assert src["skipped_steps"] == {
        "after a malformed reply": 1,
        "malformed reply": 1,
        "program raised an error": 1,
    }
    assert src["sha256"] == built.db_sha256  # the image the build read (WAL included)
    assert {k: v["commits"] for k, v in card["repos"].items()} == {
        name: [commit] for name, commit in built.commits.items()
    }
    assert card["holdout_repos"] == ["textkit"] and card["teachers"] == {TEACHER: 9}
    assert card["models"] == {"scripted:dataset-test": 14}
    assert set(card["tool_versions"]) >= {"pyright", "ruff", "pytest"}
    splits = card["splits"]
    assert sum(s["samples"] for s in splits.values()) == EXPECTED_SAMPLES
    for name, stats in splits.items():
        pairs = _split(built.out, name)
        assert stats["samples"] == len(pairs)
        assert sum(stats["categories"].values()) == len(pairs)
        assert stats["tokens"]["max"] == max(m["tokens"] for _, m in pairs)
        tools = [t for _, m in pairs for t in m["tools"]]
        assert sum(stats["tools"].values()) == len(tools)
    assert splits["test"]["repos"].get("textkit") == 2
    all_tools = {t for s in splits.values() for t in s["tools"]}
    assert all_tools == {"find_references", "goto_definition", "document_symbols", "grep"}
    t = card["tokens"]
    assert t["count"] == EXPECTED_SAMPLES and t["min"] <= t["p50"] <= t["p95"] <= t["max"] <= 2048
    md = (built.out / "DATASET.md").read_text()
    assert src["sha256"] in md and "textkit" in md and built.commits["shop"][:12] in md
    print(
        f"\nturns {built.turns_s:.2f}s; build {built.build_s:.2f}s "
        f"({EXPECTED_SAMPLES / built.build_s:.1f} samples/s)"
    )


def test_build_is_deterministic_and_loads_in_the_trainer(built: Built, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert main(["dataset", "build", "--traces", str(built.db), "--out", str(again),
                 "--holdout-repo", "textkit", "--valid-fraction", "0.2", "--test-fraction",
                 "0.1", "--seed", "3", "--tokenizer", str(built.tiny), "--prompt-style",
                 "catalogue", "--json"]) == 0  # fmt: skip
    for name in ("train", "valid", "test", "train.meta", "valid.meta", "test.meta"):
        assert (again / f"{name}.jsonl").read_bytes() == (built.out / f"{name}.jsonl").read_bytes()
    other = tmp_path / "other-seed"
    assert main(["dataset", "build", "--traces", str(built.db), "--out", str(other), "--seed",
                 "11", "--tokenizer", str(built.tiny), "--prompt-style",
                 "catalogue"]) == 0  # fmt: skip
    _assert_groups_disjoint(other)
    assert (other / "train.jsonl").read_bytes() != (built.out / "train.jsonl").read_bytes()
    # The trainer's own loader reads, checks and tokenizes every split.
    files = find_dataset_files(built.out)
    train, valid, test = load_datasets(files, built.tokenizer)
    assert test is not None
    for dataset, name in ((train, "train"), (valid, "valid"), (test, "test")):
        metas = [m for _, m in _split(built.out, name)]
        assert dataset.lengths == [m["tokens"] for m in metas]
        assert dataset.trained_tokens > 0


def test_build_in_the_models_own_brief_style(built: Built, tmp_path: Path) -> None:
    """The tiny model names the brief style in its config: with no --prompt-style the same
    (catalogue-style) traces become brief samples, rendered as that model runs, and a dataset
    mixing the two styles fails the audit at the odd line."""
    assert model_prompt_style(built.tiny) == "brief"
    brief = tmp_path / "brief"
    assert main(["dataset", "build", "--traces", str(built.db), "--out", str(brief),
                 "--holdout-repo", "textkit", "--valid-fraction", "0.2", "--test-fraction",
                 "0.1", "--seed", "3", "--tokenizer", str(built.tiny)]) == 0  # fmt: skip
    card = json.loads((brief / "dataset_card.json").read_text())
    assert card["prompt_style"] == "brief" and built.card["prompt_style"] == "catalogue"
    for name in ("train", "valid", "test"):
        for (sample, meta), (old, old_meta) in zip(
            _split(brief, name), _split(built.out, name), strict=True
        ):
            assert set(sample) == {"messages"}  # no tool block
            assert sample["messages"][0] == {"role": "system", "content": system_prompt("brief")}
            assert sample["messages"][1:] == old["messages"][1:]  # the genuine turn, unchanged
            assert meta["prompt_sha256"] is None  # not the text rendered when it ran
            assert meta["tokens"] == len(built.tokenizer.apply_chat_template(sample["messages"]))
            assert meta["tokens"] < old_meta["tokens"] - 500
            assert "<tools>" not in render_prompt(built.tokenizer, sample["messages"][:-1], "brief")
    assert card["tokens"]["total"] * 5 < built.card["tokens"]["total"]
    report = _audit(brief, built)
    assert report.ok, [str(p) for p in report.problems]
    mixed = _damaged(built, tmp_path, "mixed")
    catalogue_line = _lines(mixed / "train.jsonl")[0]
    train = brief / "train.jsonl"
    _write(train, [*_lines(train), catalogue_line])
    meta = brief / "train.meta.jsonl"
    _write(meta, [*_lines(meta), _lines(mixed / "train.meta.jsonl")[0]])
    report = _audit(brief, built)
    odd = len(_lines(train))
    assert _has(report, train, odd, "system"), [str(p) for p in report.errors]
    assert any("prompt style 'catalogue'" in p.message for p in report.errors)


def _audit(directory: Path, built: Built, **kwargs: Any) -> AuditReport:
    return audit_dataset(directory, tokenizer=built.tokenizer, **kwargs)


def test_audit_passes_on_the_built_dataset(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _audit(built.out, built)
    assert report.ok, [str(p) for p in report.problems]
    assert report.checks["length"] == "pass" and report.checks["leakage"] == "pass"
    # one action format; the one direct answer (a corrected conceptual question) has none
    assert report.formats == {"tool_calls": sum(report.samples.values()) - 1}
    warnings = [p for p in report.problems if p.check == "balance"]
    assert warnings and all(p.severity == "warning" for p in warnings)  # 4 of 17 tools used
    assert not _audit(built.out, built, strict_balance=True).ok
    code = main(["dataset", "audit", str(built.out), "--tokenizer", str(built.tiny), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"] and out["errors"] == 0
    print(f"audit {report.seconds:.3f}s for {sum(report.samples.values())} samples")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def _damaged(built: Built, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(built.out, target)
    return target


def _has(report: AuditReport, file: Path, line: int, check: str) -> bool:
    return any(p.file == str(file) and p.line == line and p.check == check
               for p in report.errors)  # fmt: skip


def test_audit_fails_on_damage_with_file_and_line(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 1. A corrupt line.
    d = _damaged(built, tmp_path, "corrupt")
    valid = d / "valid.jsonl"
    lines = _lines(valid)
    lines[0] = lines[0][:40]
    _write(valid, lines)
    report = _audit(d, built)
    assert not report.ok and _has(report, valid, 1, "json")
    assert main(["dataset", "audit", str(d), "--tokenizer", str(built.tiny)]) == 1
    assert f"{valid}:1: invalid JSON" in capsys.readouterr().err

    # 2. A sample without the system message.
    d = _damaged(built, tmp_path, "nosystem")
    train = d / "train.jsonl"
    lines = _lines(train)
    sample = json.loads(lines[1])
    sample["messages"] = sample["messages"][1:]
    lines[1] = json.dumps(sample)
    _write(train, lines)
    report = _audit(d, built)
    assert _has(report, train, 2, "system") and not report.ok

    # 3. A duplicate (data and sidecar line appended together).
    d = _damaged(built, tmp_path, "duplicate")
    train, meta = d / "train.jsonl", d / "train.meta.jsonl"
    lines, metas = _lines(train), _lines(meta)
    _write(train, [*lines, lines[0]])
    _write(meta, [*metas, metas[0]])
    report = _audit(d, built)
    assert _has(report, train, len(lines) + 1, "duplicates")

    # 4. A train sample copied into valid: leakage (question+answer, and (repo, symbol)).
    d = _damaged(built, tmp_path, "leak")
    valid, vmeta = d / "valid.jsonl", d / "valid.meta.jsonl"
    first, first_meta = _lines(d / "train.jsonl")[0], _lines(d / "train.meta.jsonl")[0]
    vlines = _lines(valid)
    _write(valid, [*vlines, first])
    _write(vmeta, [*_lines(vmeta), first_meta])
    report = _audit(d, built)
    leaks = [p for p in report.errors if p.check == "leakage" and p.line == len(vlines) + 1]
    assert any("question" in p.message for p in leaks)
    if json.loads(first_meta)["symbol"]:
        assert any("(repo, symbol)" in p.message for p in leaks)

    # 5. A sample longer than max_seq_length tokens.
    d = _damaged(built, tmp_path, "long")
    train = d / "train.jsonl"
    lines = _lines(train)
    sample = json.loads(lines[2])
    sample["messages"][1]["content"] += " padding" * 3000
    lines[2] = json.dumps(sample)
    _write(train, lines)
    report = _audit(d, built, max_seq_length=2048)
    assert _has(report, train, 3, "length")
    assert [p.line for p in report.errors if p.check == "length"] == [3]

    # 6. Mixed formats: one sample acts with fenced code in its content.
    d = _damaged(built, tmp_path, "mixed")
    train = d / "train.jsonl"
    lines = _lines(train)
    index = next(
        i for i, line in enumerate(lines) if "tool_calls" in json.loads(line)["messages"][-1]
    )
    sample = json.loads(lines[index])
    code = sample["messages"][-1]["tool_calls"][0]["function"]["arguments"]["code"]
    sample["messages"][-1] = {"role": "assistant", "content": f"```python\n{code}\n```"}
    lines[index] = json.dumps(sample)
    _write(train, lines)
    report = _audit(d, built)
    assert _has(report, train, index + 1, "format")
    assert [p.line for p in report.errors if p.check == "format"] == [index + 1]

    # 7. An unbalanced tag in content.
    d = _damaged(built, tmp_path, "tags")
    valid = d / "valid.jsonl"
    lines = _lines(valid)
    sample = json.loads(lines[0])
    sample["messages"][1]["content"] += " <tool_response> left open"
    lines[0] = json.dumps(sample)
    _write(valid, lines)
    report = _audit(d, built)
    assert _has(report, valid, 1, "tags") and not report.ok


def test_shuffle_and_tag_helpers() -> None:
    assert max_run_flags(["a", "b"] * 50) == []
    clustered = ["a"] * 50 + ["b"] * 50
    assert max_run_flags(clustered) == [(0, 50, "a"), (50, 50, "b")]
    assert max_run_flags(["a"] * 10) == []  # one category cannot be shuffled
    assert tag_problems("<tool_call>x</tool_call>\n```py\nx\n```") == []
    assert tag_problems("</tool_response>") == [
        "</tool_response> without a matching <tool_response>"
    ]
    assert tag_problems("```python\nx") == ["1 code fence lines (```): one is never closed"]


def test_audit_reads_non_utf8_and_refuses_a_corrupt_card(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = _damaged(built, tmp_path, "latin1")
    valid = d / "valid.jsonl"
    raw = valid.read_bytes().splitlines()
    raw[1] = raw[1] + b" \xff\xfe"
    valid.write_bytes(b"\n".join(raw) + b"\n")
    report = _audit(d, built)
    assert not report.ok and _has(report, valid, 2, "encoding")
    assert main(["dataset", "audit", str(d), "--tokenizer", str(built.tiny)]) == 1
    assert f"{valid}:2: not UTF-8" in capsys.readouterr().err
    card = d / "dataset_card.json"
    card.write_text("{truncated")
    assert main(["dataset", "audit", str(d), "--tokenizer", str(built.tiny)]) == 2
    assert "dataset_card.json: not a readable dataset card" in capsys.readouterr().err


def test_audit_flags_a_clustered_train_order(built: Built, tmp_path: Path) -> None:
    d = _damaged(built, tmp_path, "sorted")
    train, meta = d / "train.jsonl", d / "train.meta.jsonl"
    pairs = sorted(zip(_lines(train), _lines(meta), strict=True),
                   key=lambda p: json.loads(p[1])["category"])  # fmt: skip
    # Six variants of each sample, sorted by category: runs no random order would make.
    big: list[tuple[str, str]] = []
    for copy in range(6):
        for data, m in pairs:
            sample = json.loads(data)
            sample["messages"][1]["content"] += f" (variant {copy})"
            big.append((json.dumps(sample), m))
    big.sort(key=lambda p: json.loads(p[1])["category"])
    _write(train, [p[0] for p in big])
    _write(meta, [p[1] for p in big])
    assert read_jsonl(train)  # well formed for the trainer: only the order is wrong
    report = _audit(d, built)
    assert any(p.check == "shuffle" for p in report.errors)
