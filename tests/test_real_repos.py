"""The bridge on real projects from PyPI sdists (pinned by sha256 in sandboxes/pins.txt), one
per shape the bundled sandboxes do not have. On each: readiness is proven within its bound, and
definition and references by name agree with a binding-aware ``ast`` oracle for ~10 symbols.
None of these projects is used for harvest or validation."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from punie.sandboxes.paths import default_pin_file
from punie.sandboxes.pypi import fetch
from punie.tools import ToolContext
from punie.tools import navigation as nav
from tests import oracle

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:invalid escape sequence")]

PROJECTS = {
    "src-layout": "tomli==2.2.1",
    "flat single module": "mccabe==0.7.0",
    "conftest fixtures": "pluggy==1.5.0",
    "namespace package (with .pyi stub)": "jaraco.functools==4.1.0",
    "star re-exports": "toolz==1.0.0",
}
SYMBOLS = 10


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module", params=list(PROJECTS), ids=list(PROJECTS))
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    fetched = fetch(PROJECTS[str(request.param)], pin_file=default_pin_file())
    target = tmp_path_factory.mktemp("real") / fetched.path.name
    shutil.copytree(fetched.path, target, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    return target


@pytest.fixture(scope="module")
async def ctx(project: Path) -> AsyncIterator[ToolContext]:
    async with ToolContext.at(project) as context:
        await context.lsp()
        yield context


def test_the_shapes_are_what_they_claim(project: Path) -> None:
    name = project.name
    if name.startswith("tomli"):
        assert (project / "src" / "tomli" / "__init__.py").is_file()
    elif name.startswith("mccabe"):
        assert (project / "mccabe.py").is_file() and not (project / "mccabe").exists()
    elif name.startswith("pluggy"):
        assert "@pytest.fixture" in (project / "testing" / "conftest.py").read_text()
    elif name.startswith("jaraco"):
        assert not (project / "jaraco" / "__init__.py").exists()
        assert (project / "jaraco" / "functools" / "__init__.pyi").is_file()
    else:
        assert "from .itertoolz import *" in (project / "toolz" / "__init__.py").read_text()


async def test_readiness_is_proven_within_its_bound(ctx: ToolContext) -> None:
    bridge = await ctx.lsp()
    assert bridge.ready_state == "proven", bridge.ready_note
    assert bridge.ready_seconds is not None and bridge.ready_seconds < 30


async def test_definitions_and_references_agree_with_the_oracle(
    ctx: ToolContext, project: Path
) -> None:
    symbols = oracle.unique_definitions(project, SYMBOLS)
    assert len(symbols) >= 4, symbols
    for d in symbols:
        found = await nav.goto_definition(ctx, d.qualified)
        assert found.success, (d, found.error)
        assert [(loc.file, loc.line) for loc in found.locations] == [(d.file, d.line)], d
        refs = await nav.find_references(ctx, d.qualified, include_declaration=True)
        assert refs.success, (d, refs.error)
        got = {(loc.file, loc.line) for loc in refs.locations}
        expected = oracle.bound_usages(project, d)
        assert expected <= got, (d, sorted(expected - got))
        # anything beyond the oracle still names the symbol (attribute uses, stub lines)
        assert all(d.qualified in loc.preview for loc in refs.locations), d
