"""Grounded queries: inventories of real sandboxes, every intent's teacher program run in the
real Executor against the real tools, checked against the independently computed truth."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import anyio
import pytest

from punie.agent.executor import Executor
from punie.agent.loop import TurnResult, run_turn
from punie.tools import ToolContext
from punie.training.queries import (
    CATEGORIES,
    INTENTS,
    Inventory,
    Query,
    SynthesizerTeacher,
    Truth,
    build_inventory,
    check_answer,
    direct_answer,
    generate_queries,
    synthesize,
)
from punie.training.queries.intents import DIRECT
from punie.training.queries.paraphrases_composed import COMPOSED_TEMPLATES
from tests.conftest import copy_sandbox


@dataclass
class Harvest:
    inventory: Inventory
    queries: list[Query]
    answers: dict[str, str | None] = field(default_factory=dict[str, str | None])
    errors: dict[str, str] = field(default_factory=dict[str, str])
    turns: list[TurnResult] = field(default_factory=list[TurnResult])
    build_s: float = 0.0


async def _harvest(name: str, root: Path) -> Harvest:
    async with ToolContext.at(root) as ctx:
        started = time.perf_counter()
        inventory = await build_inventory(ctx, name)
        build_s = time.perf_counter() - started
        again = await build_inventory(ctx, name)  # cached
        assert again is inventory
        queries = generate_queries(inventory, per_intent=1, phrasings="all")
        got = Harvest(inventory, queries, build_s=build_s)
        async with Executor(ctx) as executor:
            for query in queries:
                if query.category == "direct":
                    got.answers[query.uid] = direct_answer(query)
                    continue
                result = await executor.run(synthesize(query))
                got.answers[query.uid] = result.final_answer
                if result.error is not None:
                    got.errors[query.uid] = result.error.render()
            teacher = SynthesizerTeacher(queries)
            code_query = next(q for q in queries if q.intent == "definition.location")
            direct_query = next(q for q in queries if q.category == "direct")
            for query in (code_query, direct_query):
                got.turns.append(await run_turn(query.question, teacher, executor, max_steps=2))
    return got


@pytest.fixture(scope="module", params=["shop", "textkit"])
def harvest(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Harvest:
    name = str(request.param)
    root = copy_sandbox(name, tmp_path_factory.mktemp(name))
    return anyio.run(_harvest, name, root, backend="asyncio")


def test_every_category_and_intent_is_generated(harvest: Harvest) -> None:
    categories = {q.category for q in harvest.queries}
    assert categories == set(CATEGORIES)
    intents = {q.intent for q in harvest.queries}
    assert intents == {s.intent for s in INTENTS} | {d.intent for d in DIRECT}
    assert harvest.build_s < 40


def test_every_teacher_program_runs_and_verifies(harvest: Harvest) -> None:
    failures = [
        (q.intent, q.question, harvest.answers[q.uid], check_answer(q, harvest.answers[q.uid]))
        for q in harvest.queries
        if not check_answer(q, harvest.answers[q.uid]).ok
    ]
    assert harvest.errors == {}
    assert failures == []


def _wrong(truth: Truth) -> str:
    if truth.kind == "count":
        return str(int(truth.value) + 1)
    if truth.kind == "location":
        file, line = truth.value.rsplit(":", 1)
        return f"{file}:{int(line) + 1}"
    if truth.kind == "names":
        names = truth.value.split(", ")
        return ", ".join(names[1:]) if len(names) > 1 else f"{names[0]}, other.py"
    if truth.kind == "none":
        return "3"
    if truth.value in ("yes", "no"):
        return "no" if truth.value == "yes" else "yes"
    return "something unrelated entirely"


def test_checker_rejects_wrong_and_missing_answers(harvest: Harvest) -> None:
    for query in harvest.queries:
        assert not check_answer(query, None).ok
        assert not check_answer(query, "").ok
        verdict = check_answer(query, _wrong(query.truth))
        assert not verdict.ok, (query.intent, query.truth, verdict)
        assert verdict.reason != "ok"


def test_uids_are_unique_and_stable(harvest: Harvest) -> None:
    first = generate_queries(harvest.inventory, seed=3, per_intent=4, phrasings="all")
    second = generate_queries(harvest.inventory, seed=3, per_intent=4, phrasings="all")
    assert [q.uid for q in first] == [q.uid for q in second]
    assert len({q.uid for q in first}) == len(first)
    # the uid does not depend on where the repo lives
    moved = replace(harvest.inventory, root="/elsewhere")
    assert [q.uid for q in generate_queries(moved, seed=3, per_intent=4, phrasings="all")] == [
        q.uid for q in first
    ]


def test_holdout_phrasings_stay_out_of_train(harvest: Harvest) -> None:
    train = generate_queries(harvest.inventory, per_intent=8, phrasings="train")
    holdout = generate_queries(harvest.inventory, per_intent=8, phrasings="holdout")
    assert train and holdout
    assert not any(q.holdout_phrasing for q in train)
    assert all(q.holdout_phrasing for q in holdout)
    assert {q.question for q in train}.isdisjoint({q.question for q in holdout})
    counts = Counter(q.category for q in holdout)
    assert set(counts) == set(CATEGORIES)


def test_composed_phrasings_make_an_opening_tell_nothing_about_the_intent() -> None:
    """Siblings get the same lead-ins ("Run pyright", "Run the tests", ...), so only the ask
    tells them apart; all are training phrasings, none a held-out one."""
    by_intent = {spec.intent: spec for spec in INTENTS}
    leads: dict[str, frozenset[str]] = {}
    for intent, phrasings in COMPOSED_TEMPLATES.items():
        spec = by_intent[intent]
        assert set(phrasings) <= set(spec.templates[: -spec.holdout])
        assert not set(phrasings) & set(spec.templates[-spec.holdout :])
        leads[intent] = frozenset(re.split(r": |, then ", p)[0] for p in phrasings)
    families = Counter(leads.values())
    assert sorted(families.values()) == [
        2,
        2,
        4,
        5,
        6,
    ]  # definition, references, ruff, pytest, pyright
    assert leads["typecheck.error_count"] == leads["workflow.first_error_function"]
    assert all(len(family) >= 4 for family in families)


def test_teacher_drives_the_agent_loop(harvest: Harvest) -> None:
    code_turn, direct_turn = harvest.turns
    assert code_turn.stop_reason == "final_answer"
    assert direct_turn.stop_reason == "direct_answer"
    by_question = {q.question: q for q in harvest.queries}
    for turn in (code_turn, direct_turn):
        assert check_answer(by_question[turn.question], turn.final_answer).ok
    teacher = SynthesizerTeacher(harvest.queries)
    assert teacher.identity == "teacher:synthesizer/v1"
    query = by_question[code_turn.question]
    text = teacher.generate([{"role": "user", "content": query.question}]).text
    assert text == f"```python\n{synthesize(query)}\n```"


def test_check_answer_normalises() -> None:
    def q(truth: Truth) -> Query:
        return Query("u", "r", "definition", "x", "?", None, (), (), truth, 0, False)

    loc = q(Truth("location", "shop/pricing.py:27"))
    for answer in ("./shop/pricing.py:27", "shop/pricing.py line 27.", "SHOP/pricing.py:27:5"):
        assert check_answer(loc, answer).ok, answer
    assert not check_answer(loc, "shop/pricing.py:28").ok
    names = q(Truth("names", "Cart, CartTests"))
    assert check_answer(names, "CartTests and cart").ok
    assert not check_answer(names, "Cart").ok
    count = q(Truth("count", "15"))
    assert check_answer(count, "15 files.").ok
    assert not check_answer(count, "14").ok
    yes = q(Truth("text", "yes"))
    assert check_answer(yes, "Yes.").ok
    assert not check_answer(yes, "no").ok
    none = q(Truth("none", "none"))
    assert check_answer(none, "None.").ok
    assert not check_answer(none, "tests/test_x.py::test_y").ok


def test_every_intent_has_exactly_one_program_and_they_agree() -> None:
    """``intents.py`` says which tools and fields an intent needs; ``programs.py`` holds its
    program. Each tool-answered intent has one program, each program an intent, and the tools
    and fields a program uses are the ones its intent names."""
    import ast as _ast

    from punie.tools.catalogue import tool_specs
    from punie.training.queries.intents import INTENTS
    from punie.training.queries.programs import PROGRAMS

    catalogue = {spec.name for spec in tool_specs()}
    tool_intents = {spec.intent: spec for spec in INTENTS if spec.category != "direct"}
    assert set(PROGRAMS) == set(tool_intents), set(PROGRAMS) ^ set(tool_intents)
    for intent, spec in tool_intents.items():
        code = PROGRAMS[intent]('"Name"', "r")
        tree = compile(code, intent, "exec", _ast.PyCF_ONLY_AST)
        calls = {
            n.func.id
            for n in _ast.walk(tree)
            if isinstance(n, _ast.Call) and isinstance(n.func, _ast.Name)
        }
        attributes = {n.attr for n in _ast.walk(tree) if isinstance(n, _ast.Attribute)}
        assert set(spec.tools) == calls & catalogue, (intent, spec.tools, calls)
        assert set(spec.fields) <= attributes, (intent, spec.fields, attributes)
