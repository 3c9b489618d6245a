"""The LSP bridge against real pyright on the shop sandbox, checked against an ``ast`` oracle."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from lsprotocol import types as lsp

from punie.lsp_bridge import LspBridge, LspUnavailable, ServerConfig
from punie.lsp_bridge.client import LspClient
from punie.tools import ToolContext
from punie.tools import navigation as nav
from punie.workspace import Workspace
from tests import oracle
from tests.conftest import copy_sandbox, group_processes

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_sandbox("shop", tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="module")
async def ctx(shop: Path) -> AsyncIterator[ToolContext]:
    """One warm pyright for the read-only tests of this module."""
    async with ToolContext.at(shop) as context:
        await context.lsp()
        yield context


async def test_ready_is_proven_and_timed(ctx: ToolContext) -> None:
    bridge = await ctx.lsp()
    assert bridge.ready_state == "proven"
    assert bridge.ready_seconds is not None and 0 < bridge.ready_seconds < 60


async def test_every_definition_matches_the_ast_oracle(ctx: ToolContext, shop: Path) -> None:
    defs = [d for d in oracle.definitions(shop) if d.file.startswith("shop/")]
    assert len(defs) > 30
    for d in defs:
        result = await nav.goto_definition(ctx, f"{d.module}.{d.qualified}")
        assert result.success, (d, result.error)
        assert [(loc.file, loc.line) for loc in result.locations] == [(d.file, d.line)], d
        assert result.locations[0].preview.startswith(("def ", "class ", "async def "))


async def test_cross_file_references_in_never_opened_files(ctx: ToolContext, shop: Path) -> None:
    result = await nav.find_references(ctx, "calculate_total")
    assert result.success, result.error
    expected = oracle.usage_lines(shop, "calculate_total")
    got = {(loc.file, loc.line) for loc in result.locations}
    assert expected <= got
    # everything else pyright reports is the string in __all__ (a genuine re-export)
    extra = got - expected
    assert all("calculate_total" in loc.preview for loc in result.locations)
    assert {f for f, _ in extra} <= {"shop/__init__.py"}
    assert result.file_count == len({f for f, _ in got}) >= 4
    assert result.reference_count == len(result.locations)


async def test_method_by_dotted_path_and_hints(ctx: ToolContext, shop: Path) -> None:
    defs = {d.qualified: d for d in oracle.definitions(shop)}
    add_item = defs["Cart.add_item"]
    by_path = await nav.goto_definition(ctx, "Cart.add_item")
    assert (by_path.locations[0].file, by_path.locations[0].line) == (add_item.file, add_item.line)
    # a line hint three lines off still finds it
    hinted = await nav.find_references(ctx, "add_item", file=add_item.file, line=add_item.line + 3)
    assert hinted.success and hinted.reference_count >= 1
    assert all(loc.preview for loc in hinted.locations)


async def test_unknown_and_ambiguous_names_are_readable(ctx: ToolContext) -> None:
    unknown = await nav.goto_definition(ctx, "calculate_totl")
    assert not unknown.success and unknown.error
    assert any(c.endswith("calculate_total") for c in unknown.candidates)
    bad = await nav.find_references(ctx, "not a name!")
    assert not bad.success and "not a symbol name" in (bad.error or "")


async def test_paths_outside_the_workspace_are_refused(ctx: ToolContext) -> None:
    for path in ("../outside.py", "/etc/passwd"):
        result = await nav.document_symbols(ctx, path)
        assert not result.success and "outside the workspace" in (result.error or "")
        refs = await nav.find_references(ctx, "Cart", file=path)
        assert not refs.success and "outside the workspace" in (refs.error or "")


async def test_hover_and_symbols(ctx: ToolContext) -> None:
    hovered = await nav.hover(ctx, "calculate_total")
    assert hovered.success and "def calculate_total" in hovered.signature
    assert hovered.docstring
    symbols = await nav.document_symbols(ctx, "shop/cart.py")
    assert symbols.success and "Cart.add_item" in {s.qualified for s in symbols.symbols}
    found = await nav.workspace_symbols(ctx, "Cart")
    assert any(s.qualified == "Cart" and s.kind == "class" for s in found.symbols)


def test_configuration_gets_one_answer_per_item(tmp_path: Path) -> None:
    client = LspClient(Workspace.at(tmp_path), ServerConfig())
    items = [lsp.ConfigurationItem(section=s) for s in ("python", "python.analysis", "pyright")]
    answers = client._on_configuration(lsp.ConfigurationParams(items=items))  # pyright: ignore[reportPrivateUsage]
    assert len(answers) == 3
    assert answers[0]["pythonPath"] == sys.executable


async def test_without_workspace_folders_nothing_is_analysed(shop_copy: Path) -> None:
    """The first handshake pitfall, reproduced: the probe cannot prove readiness and says so
    (state, note, event), but the bridge still serves requests rather than failing them."""
    config = ServerConfig(ready_timeout=6.0, send_workspace_folders=False)
    bridge = LspBridge(Workspace.at(shop_copy), config)
    await bridge.start()
    try:
        assert bridge.ready_state == "unproven"
        assert "no cross-file references" in bridge.ready_note
        assert any("ready, unproven" in event for event in bridge.events)
        assert bridge.ready_seconds is not None and bridge.ready_seconds < 20
        # answered, not failed (empty: without a workspace folder nothing is analysed)
        assert await bridge.document_symbols(shop_copy / "shop" / "cart.py") == []
    finally:
        await bridge.close()


async def test_configuration_change_is_sent_and_answered(shop_copy: Path) -> None:
    """The second pitfall (no analysis until didChangeConfiguration) was seen on pyright 1.1.403;
    1.1.414 analyses without it. The handshake still sends it: pyright then asks for the
    configuration a second time, and each ask is answered."""
    counts: dict[bool, int] = {}
    for send in (True, False):
        bridge = LspBridge(Workspace.at(shop_copy), ServerConfig(send_configuration_change=send))
        await bridge.start()
        counts[send] = bridge.client.configuration_requests
        await bridge.close()
    assert counts[True] > counts[False] >= 1


async def test_fresh_after_edits_on_disk(shop_copy: Path) -> None:
    async with ToolContext.at(shop_copy) as ctx:
        before = await nav.find_references(ctx, "calculate_total")
        new = shop_copy / "shop" / "invoices.py"
        new.write_text(
            "from shop.pricing import calculate_total\n\n\n"
            "def invoice_total(items):\n    return calculate_total(items)\n"
        )
        after = await nav.find_references(ctx, "calculate_total")
        assert after.reference_count == before.reference_count + 2
        assert "shop/invoices.py" in after.files
        new.unlink()
        gone = await nav.find_references(ctx, "calculate_total")
        assert gone.reference_count == before.reference_count
        # a brand-new symbol defined on disk is found by name
        (shop_copy / "shop" / "late.py").write_text("def arrived_late() -> int:\n    return 1\n")
        late = await nav.goto_definition(ctx, "arrived_late")
        assert late.success and late.locations[0].file == "shop/late.py"


async def test_edit_through_punie_returns_diagnostics_for_that_edit(shop_copy: Path) -> None:
    async with ToolContext.at(shop_copy) as ctx:
        path = shop_copy / "shop" / "tax.py"
        broken = path.read_text() + "\n\ndef broken() -> int:\n    return 'nope'\n"
        path.write_text(broken)
        diags = await ctx.after_edit(path, broken)
        assert any(d.rule == "reportReturnType" and d.file == "shop/tax.py" for d in diags)
        fixed = broken.replace("return 'nope'", "return 1")
        path.write_text(fixed)
        diags = await ctx.after_edit(path, fixed)
        assert not any(d.rule == "reportReturnType" for d in diags)


async def test_restart_after_sigkill(shop_copy: Path, no_leftover_processes: list[int]) -> None:
    async with ToolContext.at(shop_copy) as ctx:
        bridge = await ctx.lsp()
        first = await nav.find_references(ctx, "calculate_total")
        pid = bridge.client.pid
        assert pid is not None
        no_leftover_processes.append(pid)
        os.killpg(pid, signal.SIGKILL)
        await anyio.sleep(0.2)
        again = await nav.find_references(ctx, "calculate_total")
        assert again.success and again.reference_count == first.reference_count
        assert bridge.restarts == 1
        new_pid = bridge.client.pid
        assert new_pid is not None and new_pid != pid
        no_leftover_processes.append(new_pid)


async def test_hung_server_times_out_and_restarts(
    shop_copy: Path, no_leftover_processes: list[int]
) -> None:
    config = ServerConfig(request_timeout=2.0)
    async with ToolContext.at(shop_copy, server=config) as ctx:
        bridge = await ctx.lsp()
        first = await nav.find_references(ctx, "calculate_total")
        pid = bridge.client.pid
        assert pid is not None
        no_leftover_processes.append(pid)
        os.killpg(pid, signal.SIGSTOP)
        again = await nav.find_references(ctx, "Cart.add_item")
        assert again.success, again.error
        assert bridge.restarts == 1 and first.success


async def test_second_failure_is_a_clear_error(
    tmp_path: Path, no_leftover_processes: list[int]
) -> None:
    server = Path(__file__).parent / "servers" / "hanging_server.py"
    config = ServerConfig(
        command=(sys.executable, str(server)), name="hanging", request_timeout=0.5
    )
    bridge = LspBridge(Workspace.at(tmp_path), config)
    await bridge.start()
    pid = bridge.client.pid
    assert pid is not None
    no_leftover_processes.append(pid)
    with pytest.raises(LspUnavailable, match="failed again"):
        await bridge.workspace_symbols("anything")
    no_leftover_processes.append(bridge.client.pid or pid)
    await bridge.close()


async def test_close_leaves_no_process(shop_copy: Path) -> None:
    bridge = LspBridge(Workspace.at(shop_copy))
    await bridge.start()
    pid = bridge.client.pid
    assert pid is not None
    assert len(group_processes(pid)) >= 1
    await bridge.close()
    assert group_processes(pid) == []


async def test_probe_is_an_imported_name_not_a_guess(shop_copy: Path) -> None:
    """A one-letter function and a pytest fixture (whose other "uses" are parameters pyright
    never links to it) used to be picked as the probe, and every call waited 60 s and failed.
    The probe is now a name another module imports (an ``ast`` fact)."""
    (shop_copy / "aaa.py").write_text("def f(a):\n    return a\n\nprint(f'{f}')\n")
    (shop_copy / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef aardvark_fixture():\n    return 1\n"
    )
    (shop_copy / "tests" / "test_zz.py").write_text(
        "def test_uses(aardvark_fixture):\n    assert aardvark_fixture == 1\n"
    )
    bridge = LspBridge(Workspace.at(shop_copy))
    await bridge.start()
    try:
        proofs = bridge.index.import_proofs()
        assert proofs and all(len(d.name) >= 3 for d, _ in proofs)
        assert "aardvark_fixture" not in {d.name for d, _ in proofs}
        assert bridge.ready_state == "proven"
        assert bridge.ready_seconds is not None and bridge.ready_seconds < 20
    finally:
        await bridge.close()


async def test_a_project_with_nothing_to_prove_is_ready_unproven(tmp_path: Path) -> None:
    (tmp_path / "solo.py").write_text("def only_one(x: int) -> int:\n    return x + 1\n")
    async with ToolContext.at(tmp_path) as ctx:
        bridge = await ctx.lsp()
        assert bridge.ready_state == "unproven"
        assert "imported by another" in bridge.ready_note
        assert bridge.ready_seconds is not None and bridge.ready_seconds < 15
        found = await nav.goto_definition(ctx, "only_one")
        assert found.success and (found.locations[0].file, found.locations[0].line) == (
            "solo.py",
            1,
        )


async def test_names_resolve_from_the_index_without_workspace_symbol(shop_copy: Path) -> None:
    async with ToolContext.at(shop_copy) as ctx:
        bridge = await ctx.lsp()
        sent: list[str] = []
        original = bridge.request

        async def spy(method: str, params: object, *, refresh: bool = True) -> object:
            sent.append(method)
            return await original(method, params, refresh=refresh)

        bridge.request = spy  # type: ignore[method-assign]
        found = await nav.find_references(ctx, "shop.pricing.calculate_total")
        assert found.success and found.file_count >= 4
        defined = await nav.goto_definition(ctx, "Cart.add_item")
        assert defined.success
        assert sent == ["textDocument/references", "textDocument/definition"], sent


async def test_double_faults_recover_every_time(
    shop_copy: Path, no_leftover_processes: list[int]
) -> None:
    """pyright killed, then its replacement killed during its restart (readiness probe), ten
    times over: every next call succeeds, and the bridge says what happened."""
    events: list[str] = []
    async with ToolContext.at(shop_copy) as ctx:
        bridge = await ctx.lsp()
        bridge.on_event = events.append
        first = await nav.find_references(ctx, "calculate_total")
        assert first.success
        for _ in range(10):
            pid = bridge.client.pid
            assert pid is not None
            no_leftover_processes.append(pid)
            killed: list[int] = []

            async def kill_the_replacement(old: int = pid, killed: list[int] = killed) -> None:
                while True:
                    client = bridge._client  # pyright: ignore[reportPrivateUsage]
                    new = client.pid if client is not None else None
                    if new is not None and new != old:
                        os.killpg(new, signal.SIGKILL)
                        killed.append(new)
                        return
                    await anyio.sleep(0.005)

            os.killpg(pid, signal.SIGKILL)
            again: nav.ReferencesResult | None = None
            async with anyio.create_task_group() as group:
                group.start_soon(kill_the_replacement)
                again = await nav.find_references(ctx, "calculate_total")
            no_leftover_processes.extend(killed)
            assert again is not None and again.success, again
            assert again.reference_count == first.reference_count
        assert bridge.restarts == 10 and bridge.failed_restarts >= 10
        assert sum("failed" in e for e in events) >= 10
        assert sum("restarted" in e for e in events) == 10
        no_leftover_processes.append(bridge.client.pid or 0)


async def test_a_failed_restart_is_retried_on_the_next_call(
    shop_copy: Path, no_leftover_processes: list[int]
) -> None:
    """If every restart attempt fails, that call fails clearly, and the next call starts a
    new server instead of saying "closed" for the rest of the process."""
    good = ServerConfig(restart_attempts=2, restart_backoff=0.05)
    async with ToolContext.at(shop_copy, server=good) as ctx:
        bridge = await ctx.lsp()
        pid = bridge.client.pid
        assert pid is not None
        no_leftover_processes.append(pid)
        bridge.config = ServerConfig(
            command=("/nonexistent/pyright-langserver", "--stdio"),
            restart_attempts=2,
            restart_backoff=0.05,
        )
        os.killpg(pid, signal.SIGKILL)
        failed = await nav.find_references(ctx, "calculate_total")
        assert not failed.success and "could not be restarted in 2 attempts" in (failed.error or "")
        bridge.config = good
        recovered = await nav.find_references(ctx, "calculate_total")
        assert recovered.success, recovered.error
        no_leftover_processes.append(bridge.client.pid or 0)


async def test_import_module_then_attribute_is_a_proof(tmp_path: Path) -> None:
    """six's tests do ``import six`` and then ``six.ensure_binary``: no ``from`` import at all.
    That use is an ``ast`` fact too, and readiness is proven by it (a server declared ready
    before it had read anything answered every outline empty)."""
    (tmp_path / "lib.py").write_text("def helper_function(x: int) -> int:\n    return x\n")
    (tmp_path / "use.py").write_text("import lib\n\nprint(lib.helper_function(1))\n")
    async with ToolContext.at(tmp_path) as ctx:
        bridge = await ctx.lsp()
        assert bridge.ready_state == "proven", bridge.ready_note
        symbols = await nav.document_symbols(ctx, "lib.py")
        assert [s.name for s in symbols.symbols] == ["helper_function"]
        refs = await nav.find_references(ctx, "helper_function")
        assert refs.files == ("use.py",)
