"""Independent truth: Python's ``ast``, plain ``re`` text search, and the real CLIs run as
subprocesses with the venv's binaries (never through punie's tools)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from punie.pysyntax import parse as parse_python
from punie.workspace import SKIP_DIRS

__all__ = [
    "AstIndex",
    "ast_index",
    "pyright_errors",
    "pytest_outcomes",
    "ruff_findings",
    "text_search",
]

_Func = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class AstIndex:
    """Definitions and usages of one repository, from ``ast`` alone."""

    # qualified (``Class.method`` or ``name``) -> list of (file, line)
    defs: dict[str, list[tuple[str, int]]] = field(default_factory=dict[str, list[tuple[str, int]]])
    kinds: dict[str, str] = field(default_factory=dict[str, str])  # class / function / method
    returns: dict[str, str] = field(default_factory=dict[str, str])
    docstrings: dict[str, str] = field(default_factory=dict[str, str])
    top_level: dict[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])
    class_counts: dict[str, int] = field(default_factory=dict[str, int])
    methods: dict[str, list[tuple[str, tuple[str, ...]]]] = field(
        default_factory=dict[str, list[tuple[str, tuple[str, ...]]]]
    )
    # name -> files where it is used (Name, Attribute, ImportFrom alias, ``__all__`` string)
    usages: dict[str, set[str]] = field(default_factory=dict[str, set[str]])
    # file -> [(start, end, qualified)] of functions and methods
    scopes: dict[str, list[tuple[int, int, str]]] = field(
        default_factory=dict[str, list[tuple[int, int, str]]]
    )
    lines: dict[str, list[str]] = field(default_factory=dict[str, list[str]])

    def unique(self, qualified: str) -> tuple[str, int] | None:
        found = self.defs.get(qualified, [])
        name = qualified.rsplit(".", 1)[-1]
        same_name = sum(len(v) for k, v in self.defs.items() if k.rsplit(".", 1)[-1] == name)
        return found[0] if len(found) == 1 and same_name == 1 else None

    def scope_at(self, file: str, line: int) -> str:
        best = ""
        best_span = 1 << 30
        for start, end, qualified in self.scopes.get(file, []):
            if start <= line <= end and end - start < best_span:
                best, best_span = qualified, end - start
        return best


def _add(index: AstIndex, qualified: str, kind: str, rel: str, node: ast.AST, line: int) -> None:
    index.defs.setdefault(qualified, []).append((rel, line))
    index.kinds[qualified] = kind
    if isinstance(node, _Func | ast.ClassDef):
        doc = ast.get_docstring(node)
        if doc:
            index.docstrings[qualified] = doc.strip().splitlines()[0].strip()
    if isinstance(node, _Func) and node.returns is not None:
        index.returns[qualified] = ast.unparse(node.returns)


def _is_all(node: ast.Assign) -> bool:
    named = any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    return named and isinstance(node.value, ast.List | ast.Tuple)


def _record_uses(index: AstIndex, rel: str, tree: ast.Module) -> None:
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, ast.ImportFrom):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.Assign) and _is_all(node):
            assert isinstance(node.value, ast.List | ast.Tuple)
            names += [
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
        for name in names:
            index.usages.setdefault(name, set()).add(rel)


def _walk_class(index: AstIndex, rel: str, node: ast.ClassDef, prefix: str) -> int:
    qualified = f"{prefix}{node.name}"
    _add(index, qualified, "class", rel, node, node.lineno)
    classes = 1
    own: list[str] = []
    for item in node.body:
        if isinstance(item, _Func):
            own.append(item.name)
            name = f"{qualified}.{item.name}"
            _add(index, name, "method", rel, item, item.lineno)
            end = item.end_lineno or item.lineno
            index.scopes.setdefault(rel, []).append((item.lineno, end, name))
        elif isinstance(item, ast.ClassDef):
            classes += _walk_class(index, rel, item, f"{qualified}.")
    index.methods.setdefault(node.name, []).append((rel, tuple(own)))
    return classes


def ast_index(root: Path, files: list[str]) -> AstIndex:
    index = AstIndex()
    for rel in files:
        text = (root / rel).read_text(encoding="utf-8")
        index.lines[rel] = text.splitlines()
        tree = parse_python(text)
        top: list[str] = []
        classes = 0
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                top.append(node.name)
                classes += _walk_class(index, rel, node, "")
            elif isinstance(node, _Func):
                top.append(node.name)
                _add(index, node.name, "function", rel, node, node.lineno)
                end = node.end_lineno or node.lineno
                index.scopes.setdefault(rel, []).append((node.lineno, end, node.name))
        index.top_level[rel] = tuple(top)
        index.class_counts[rel] = classes
        _record_uses(index, rel, tree)
    return index


def _text_files(root: Path) -> Iterator[tuple[str, str]]:
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(names):
            path = Path(directory, name)
            if path.is_symlink() or not path.is_file():
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if b"\0" in data:
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            yield path.relative_to(root).as_posix(), text


def text_search(root: Path, needles: list[str]) -> dict[str, tuple[int, tuple[str, ...]]]:
    """For each literal needle: how many lines contain it, and in which files."""
    counts = {n: 0 for n in needles}
    files: dict[str, set[str]] = {n: set() for n in needles}
    for rel, text in _text_files(root):
        for line in text.splitlines():
            for needle in needles:
                if needle in line:
                    counts[needle] += 1
                    files[needle].add(rel)
    return {n: (counts[n], tuple(sorted(files[n]))) for n in needles}


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _rel(root: Path, filename: str) -> str:
    path = Path(filename)
    if not path.is_absolute():
        path = root / path
    return path.resolve().relative_to(root.resolve()).as_posix()


def pyright_errors(root: Path) -> list[tuple[str, int, str]]:
    done = subprocess.run(
        [_bin("pyright"), "--outputjson"], cwd=root, capture_output=True, text=True, timeout=300
    )
    payload = cast(dict[str, Any], json.loads(done.stdout))
    out: list[tuple[str, int, str]] = []
    for raw in cast(list[dict[str, Any]], payload.get("generalDiagnostics", [])):
        if raw.get("severity") != "error":
            continue
        line = int(cast(dict[str, dict[str, int]], raw["range"])["start"]["line"]) + 1
        out.append((_rel(root, str(raw["file"])), line, str(raw.get("rule") or "")))
    return out


def ruff_findings(root: Path) -> list[tuple[str, int, str, bool]]:
    done = subprocess.run(
        [_bin("ruff"), "check", "--output-format", "json", "--no-fix", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out: list[tuple[str, int, str, bool]] = []
    for raw in cast(list[dict[str, Any]], json.loads(done.stdout)):
        fix = cast(dict[str, Any] | None, raw.get("fix"))
        safe = fix is not None and fix.get("applicability") == "safe"
        row = int(cast(dict[str, int], raw["location"])["row"])
        out.append((_rel(root, str(raw["filename"])), row, str(raw.get("code")), safe))
    return out


_SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS) (\S+)")
_SKIPPED = re.compile(r"^SKIPPED \[(\d+)\] (\S+)")
_OUTCOME = {"PASSED": "passed", "FAILED": "failed", "ERROR": "error"}


def pytest_outcomes(root: Path) -> list[tuple[str, str]]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-q", "--color=no", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for line in done.stdout.splitlines():
        skipped = _SKIPPED.match(line)
        if skipped:  # no node ids: ``[N] where: reason`` stands for N skipped tests
            for k in range(int(skipped.group(1))):
                out.append((f"{skipped.group(2)} (skipped {len(out)}.{k})", "skipped"))
            continue
        match = _SUMMARY.match(line)
        if match and match.group(2) not in seen:
            seen.add(match.group(2))
            out.append((match.group(2), _OUTCOME.get(match.group(1), match.group(1).lower())))
    return out
