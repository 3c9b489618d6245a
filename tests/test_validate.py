"""The validation scorer on real turns (real executor, real tools): a right answer, a wrong one,
a crash and a wrong tool; reports, comparisons, and refusing a suite that overlaps training."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from punie.agent.backends.base import Generation
from punie.agent.executor import Executor
from punie.agent.loop import run_turn
from punie.agent.messages import Message
from punie.tools import ToolContext
from punie.training.queries import Query, build_inventory, generate_queries, synthesize
from punie.training.queries.teacher import tool_call_text
from punie.training.validate import (
    ValidationReport,
    compare,
    find_overlap,
    score_case,
)
from punie.training.validate.run import allowed_names, known_symbols
from tests.conftest import copy_sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


class Scripted:
    """A backend that replies with fixed programs (the test is about scoring, not the model)."""

    def __init__(self, programs: Sequence[str]) -> None:
        self.programs = list(programs)

    prompt_style = "catalogue"

    @property
    def identity(self) -> str:
        return "scripted:test"

    def generate(self, messages: Sequence[Message]) -> Generation:
        return Generation(text=tool_call_text(self.programs.pop(0)))


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Executor, Query]]:
    shop = copy_sandbox("shop", tmp_path_factory.mktemp("v"))
    async with ToolContext.at(shop) as ctx, Executor(ctx) as executor:
        inventory = await build_inventory(ctx, "shop")
        queries = generate_queries(inventory, per_intent=1)
        query = next(q for q in queries if q.intent == "definition.location")
        yield executor, query


async def _score(world: tuple[Executor, Query], program: str) -> object:
    executor, query = world
    turn = await run_turn(query.question, Scripted([program]), executor, max_steps=1)
    return score_case(query, turn)


async def test_right_answer(world: tuple[Executor, Query]) -> None:
    case = await _score(world, synthesize(world[1]))
    assert case.tool_ok and case.ran and case.fields_ok and case.answer_ok  # type: ignore[attr-defined]


async def test_wrong_answer(world: tuple[Executor, Query]) -> None:
    symbol = world[1].symbol
    case = await _score(world, f'r = goto_definition("{symbol}")\nfinal_answer("nowhere.py:1")')
    assert case.tool_ok and case.ran and not case.answer_ok  # type: ignore[attr-defined]


async def test_crash(world: tuple[Executor, Query]) -> None:
    case = await _score(world, "x = 1 // 0\nfinal_answer(str(x))")
    assert not case.ran and not case.answer_ok and not case.tool_ok  # type: ignore[attr-defined]
    # the report keeps what the model wrote and how its program failed, to be read
    assert "1 // 0" in case.replies[0]  # type: ignore[attr-defined]
    (error,) = case.program_errors  # type: ignore[attr-defined]
    assert str(error).startswith("ZeroDivisionError")


async def test_constraint_names_come_from_the_question(world: tuple[Executor, Query]) -> None:
    """Constrained decoding allows the names the question mentions that pyright knows (files
    included); a question naming none of them leaves every known name allowed."""
    known = await known_symbols(world[0].ctx)
    assert {"Cart.add_item", "calculate_total", "shop/models.py"} <= known
    assert allowed_names("Where is Cart.add_item defined?", known) == {"Cart.add_item"}
    assert allowed_names("How many classes does shop/models.py declare?", known) == {
        "shop/models.py"
    }
    fallback = allowed_names("Which file defines frobnicate?", known)
    assert fallback >= known and "frobnicate" in fallback


async def test_wrong_tool(world: tuple[Executor, Query]) -> None:
    symbol = str(world[1].symbol).rsplit(".", 1)[-1]
    program = f'r = grep("{symbol}")\nm = r.matches[0]\nfinal_answer(f"{{m.file}}:{{m.line}}")'
    case = await _score(world, program)
    assert case.ran and not case.tool_ok  # type: ignore[attr-defined]


async def test_report_compare_and_overlap(world: tuple[Executor, Query], tmp_path: Path) -> None:
    query = world[1]
    good = await _score(world, synthesize(query))
    bad = await _score(world, "final_answer('no idea')")
    old = ValidationReport("model-a", "suite.json", "0" * 64, (good,))  # type: ignore[arg-type]
    new = ValidationReport("model-b", "suite.json", "0" * 64, (bad,))  # type: ignore[arg-type]
    text = new.render()
    assert "definition" in text and "overall" in text
    delta = compare(new, json.loads(json.dumps(old.to_json())))
    assert delta["deltas"]["overall"]["answer_ok"] == -1.0
    assert [r["uid"] for r in delta["regressed"]] == [query.uid]
    data = tmp_path / "data"
    data.mkdir()
    sample = {"messages": [{"role": "user", "content": query.question}]}
    (data / "train.jsonl").write_text(json.dumps(sample) + "\n")
    assert find_overlap([query], data)
    (data / "train.jsonl").write_text("")
    (data / "train.meta.jsonl").write_text(json.dumps({"repo": "shop", "symbol": query.symbol}))
    assert find_overlap([query], data)
