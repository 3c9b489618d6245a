"""punie's layers, read from its own imports with a small ``ast`` scan (no import is executed).

The folders read as the loop: the language-server bridge, the tools on it, running a model, the
agent that writes programs against the tools, the trace of every turn, training from traces,
the front ends, the CLI. A package may import only packages of lower layers (every import
counts, also one inside a function or under ``TYPE_CHECKING``), no module imports a private
name or module of another package, and the modules' top-level imports have no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from punie.pysyntax import parse as parse_python
from tests.conftest import REPO

PUNIE = REPO / "punie"

LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "errors",
        "pysyntax workspace confinement sandboxes",
        "lsp_bridge",
        "tools",
        "model",
        "agent",
        "traces",
        "training",
        "repl serve mcp",
        "cli",
        "__main__",
    )
)
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


@dataclass(frozen=True)
class Edge:
    source: str  # module, dotted
    target: str  # module, dotted (as written)
    names: tuple[str, ...]
    line: int
    top_level: bool


def _module(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> Iterator[Path]:
    for path in sorted(PUNIE.rglob("*.py")):
        relative = path.relative_to(PUNIE)
        if relative.parts[0] == "sandboxes" and len(relative.parts) > 2:
            continue  # the bundled sandbox repos are data, not punie
        yield path


def _edges(path: Path) -> Iterator[Edge]:
    tree = parse_python(path.read_text("utf-8"))
    source = _module(path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    top = {id(node) for node in tree.body}
    for node in tree.body:  # ``if TYPE_CHECKING:`` blocks at the top are not run
        if isinstance(node, ast.If):
            top.difference_update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("punie"):
                    yield Edge(source, alias.name, (), node.lineno, id(node) in top)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.startswith("punie"):
                names = tuple(alias.name for alias in node.names)
                yield Edge(source, target, names, node.lineno, id(node) in top)


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _all_edges() -> list[Edge]:
    return [edge for path in _sources() for edge in _edges(path)]


def test_every_package_has_a_layer() -> None:
    packages = {_package(_module(path)) for path in _sources()} - {""}
    assert packages <= RANK.keys(), sorted(packages - RANK.keys())


def test_no_import_runs_from_a_lower_layer_to_a_higher_one() -> None:
    wrong: list[str] = []
    for edge in _all_edges():
        source, target = _package(edge.source), _package(edge.target)
        if not source or not target or source == target:
            continue
        if RANK[target] >= RANK[source]:
            wrong.append(f"{edge.source}:{edge.line} imports {edge.target} ({source} -> {target})")
    assert wrong == [], "\n".join(wrong)


def test_no_module_imports_a_private_name_of_another_package() -> None:
    """Each package's face is its ``__init__`` (with ``__all__``) and its public modules."""
    wrong: list[str] = []
    for edge in _all_edges():
        if _package(edge.source) == _package(edge.target):
            continue
        private = [p for p in edge.target.split(".")[1:] if p.startswith("_")]
        private += [name for name in edge.names if name.startswith("_")]
        if private:
            wrong.append(f"{edge.source}:{edge.line} imports {edge.target} {private}")
    assert wrong == [], "\n".join(wrong)


def test_every_package_face_names_its_exports() -> None:
    missing = [
        str(init.relative_to(REPO))
        for init in sorted(PUNIE.glob("*/__init__.py"))
        if init.parent.name != "sandboxes"
        and any(isinstance(n, ast.ImportFrom) for n in parse_python(init.read_text()).body)
        and "__all__" not in init.read_text()
    ]
    assert missing == [], missing


def test_top_level_imports_have_no_cycle() -> None:
    modules = {_module(path) for path in _sources()}
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for edge in _all_edges():
        if not edge.top_level:
            continue
        targets = [edge.target, *(f"{edge.target}.{name}" for name in edge.names)]
        graph[edge.source].update(t for t in targets if t in modules and t != edge.source)
    # A package's __init__ that re-exports its own modules is not a cycle with them.
    for module in modules:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(module: str, path: list[str]) -> bool:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycle.extend([*path[path.index(target) :], target])
                return True
            if target not in state and visit(target, [*path, target]):
                return True
        state[module] = 2
        return False

    for module in sorted(modules):
        if module not in state and visit(module, [module]):
            break
    assert cycle == [], " -> ".join(cycle)
