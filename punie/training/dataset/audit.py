"""``audit_dataset``: the structural checks a dataset directory must pass before training.

Every problem is ``file:line: message`` (line 0 when it concerns a whole file). Errors: invalid
JSON or schema (messages, roles, content types, tool_calls shape, unknown top-level keys), a
mix of prompt styles (``tools`` present, the ``catalogue`` style, in some samples and absent, the
``brief`` style, in others), a missing or differing system message, mixed action formats
(structured ``tool_calls`` in some samples, fenced code or inline ``<tool_call>`` XML in the
content of others), unbalanced ``<tool_call>``/``<tool_response>`` tags or code fences in
content, exact duplicates, train/valid and train/test leakage (same question and trained answer,
or the same (repo, symbol) recorded in the ``.meta.jsonl`` sidecar), samples longer than
``max_seq_length`` tokens, and runs of one category in train order that a random shuffle would
produce with probability < 1%. Warnings (errors with ``strict_balance``): categories and tools
whose share is under ``balance_threshold``. Also a warning: a system message that differs from
the agent's current run-time prompt of the dataset's style.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

from punie.agent.messages import EXECUTE_CODE_TOOL, Message
from punie.agent.prompt import PromptStyle, style_of, system_prompt, template_problem
from punie.traces.messages import message_problems
from punie.training.dataset.formats import (
    action_format,
    canonical,
    last_code,
    max_run_flags,
    sample_key,
    sha256_text,
    tag_problems,
    tools_in_code,
)

__all__ = ["AuditReport", "Problem", "audit_dataset"]

Severity = Literal["error", "warning"]
_TOOL_NAMES: Final = frozenset({EXECUTE_CODE_TOOL["function"]["name"]})
_KEYS = frozenset({"messages", "tools"})


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    check: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        tag = "" if self.severity == "error" else "warning: "
        return f"{where}: {tag}{self.message}"


@dataclass
class _Row:
    file: str
    split: str
    line: int
    sample: dict[str, Any]
    meta: dict[str, Any] | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def messages(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self.sample["messages"])


@dataclass
class AuditReport:
    directory: Path
    problems: list[Problem] = field(default_factory=lambda: [])
    samples: dict[str, int] = field(default_factory=lambda: {})
    checks: dict[str, str] = field(default_factory=lambda: {})  # check -> pass/warn/fail
    categories: dict[str, int] = field(default_factory=lambda: {})
    tools: dict[str, int] = field(default_factory=lambda: {})
    formats: dict[str, int] = field(default_factory=lambda: {})
    tokens_max: int | None = None
    seconds: float = 0.0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.problems) - len(self.errors),
            "samples": self.samples,
            "checks": self.checks,
            "categories": self.categories,
            "tools": self.tools,
            "formats": self.formats,
            "tokens_max": self.tokens_max,
            "seconds": round(self.seconds, 3),
            "problems": [
                {
                    "file": p.file,
                    "line": p.line,
                    "check": p.check,
                    "severity": p.severity,
                    "message": p.message,
                    "text": str(p),
                }
                for p in self.problems
            ],
        }


CHECKS = (
    "json",
    "schema",
    "system",
    "format",
    "tags",
    "duplicates",
    "leakage",
    "length",
    "template",
    "shuffle",
    "balance",
)


class _Auditor:
    def __init__(self, report: AuditReport) -> None:
        self.report = report

    def add(self, file: str, line: int, check: str, message: str, severity: Severity = "error"):
        self.report.problems.append(Problem(file, line, check, severity, message))


def _schema(row: _Row, add: Any) -> bool:
    sample = row.sample
    extra = sorted(set(sample) - _KEYS)
    ok = True
    if extra:
        add(f"unexpected key(s) {extra}: keep provenance in the .meta.jsonl sidecar")
        ok = False
    tools: Any = sample.get("tools")
    if "tools" in sample and (not isinstance(tools, list) or not tools):
        add("'tools' must be a non-empty list (the execute_code tool) or absent (brief prompts)")
        ok = False
    problems = message_problems(sample.get("messages"), tool_names=_TOOL_NAMES)
    for problem in problems:
        add(problem)
    ok = ok and not problems
    return ok


def _read(directory: Path, report: AuditReport, auditor: _Auditor) -> list[_Row]:
    rows: list[_Row] = []
    for split in ("train", "valid", "test"):
        path = directory / f"{split}.jsonl"
        if not path.is_file():
            if split != "test":
                auditor.add(path.name, 0, "schema", "missing (train.jsonl and valid.jsonl needed)")
            continue
        name = str(path)
        lines = _utf8_lines(path, auditor)
        metas: list[str] | None = None
        meta_path = directory / f"{split}.meta.jsonl"
        if meta_path.is_file():
            metas = _utf8_lines(meta_path, auditor)
            if len(metas) != len(lines):
                auditor.add(
                    str(meta_path),
                    0,
                    "schema",
                    f"{len(metas)} lines for {len(lines)} samples in {path.name}",
                )
                metas = None
        count = 0
        for number, line in enumerate(lines, start=1):
            if line is _UNDECODABLE:
                continue
            if not line.strip():
                auditor.add(name, number, "json", "empty line")
                continue
            try:
                value: Any = json.loads(line)
            except json.JSONDecodeError as exc:
                auditor.add(name, number, "json", f"invalid JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(value, dict):
                auditor.add(
                    name, number, "schema", f"expected an object, not {type(value).__name__}"
                )
                continue
            row = _Row(name, split, number, cast(dict[str, Any], value))
            count += 1

            def add(message: str, _n: int = number, _f: str = name) -> None:
                auditor.add(_f, _n, "schema", message)

            if not _schema(row, add):
                continue
            if metas is not None:
                try:
                    meta: Any = json.loads(metas[number - 1])
                    row.meta = cast(dict[str, Any], meta) if isinstance(meta, dict) else None
                except json.JSONDecodeError as exc:
                    auditor.add(str(meta_path), number, "json", f"invalid JSON: {exc.msg}")
            rows.append(row)
        report.samples[split] = count
        if count == 0:
            auditor.add(name, 0, "schema", "no samples")
    return rows


def _style(row: _Row) -> PromptStyle:
    return style_of(row.sample)


def _system(rows: list[_Row], auditor: _Auditor) -> None:
    styles = Counter[PromptStyle](_style(row) for row in rows)
    style: PromptStyle = styles.most_common(1)[0][0] if styles else "catalogue"
    for row in rows:
        if _style(row) != style:
            auditor.add(
                row.file,
                row.line,
                "system",
                f"prompt style {_style(row)!r} differs from the {styles[style]} {style!r} samples "
                "('tools' present: catalogue; an empty system message: bare; else brief)",
            )
    systems: Counter[str] = Counter()
    for row in rows:
        first = row.messages[0]
        if first.get("role") == "system":
            systems[first["content"]] += 1
    common = systems.most_common(1)[0][0] if systems else None
    for row in rows:
        first = row.messages[0]
        if first.get("role") != "system":
            auditor.add(row.file, row.line, "system", "missing system message (first message)")
        elif first["content"] != common:
            auditor.add(
                row.file,
                row.line,
                "system",
                f"system message differs from the one {systems[common or '']} samples share "
                f"(sha256 {sha256_text(first['content'])[:12]} vs "
                f"{sha256_text(common or '')[:12]})",
            )
    if common is not None and common != system_prompt(style):
        auditor.add(
            rows[0].file,
            0,
            "system",
            f"the shared system message is not the agent's current {style!r} system prompt "
            "(stale dataset, or a tool catalogue change since the traces were taken)",
            "warning",
        )


def _formats(rows: list[_Row], auditor: _Auditor, report: AuditReport) -> None:
    per_row: list[tuple[_Row, set[str]]] = []
    totals: Counter[str] = Counter()
    for row in rows:
        kinds = {action_format(m) for m in row.messages if m.get("role") == "assistant"} - {"text"}
        per_row.append((row, kinds))
        totals.update(kinds)
    report.formats = dict(totals)
    if len(totals) <= 1:
        return
    majority = totals.most_common(1)[0][0]
    others = {k: v for k, v in totals.items() if k != majority}
    for row, kinds in per_row:
        minority = sorted(kinds - {majority})
        if minority:
            auditor.add(
                row.file,
                row.line,
                "format",
                f"mixed action formats: this sample acts with {', '.join(minority)} while "
                f"{totals[majority]} samples use {majority} ({others})",
            )


def _tags(rows: list[_Row], auditor: _Auditor) -> None:
    for row in rows:
        for index, message in enumerate(row.messages):
            for problem in tag_problems(message["content"]):
                auditor.add(
                    row.file, row.line, "tags", f"message {index} ({message['role']}): {problem}"
                )


def _duplicates_and_leaks(rows: list[_Row], auditor: _Auditor) -> None:
    seen: dict[str, _Row] = {}
    for row in rows:
        key = canonical(row.sample)
        first = seen.get(key)
        if first is None:
            seen[key] = row
        else:
            auditor.add(row.file, row.line, "duplicates", f"exact duplicate of {first.where}")
    train_keys: dict[str, _Row] = {}
    train_groups: dict[tuple[str, str], _Row] = {}
    for row in rows:
        if row.split != "train":
            continue
        train_keys.setdefault(sample_key(row.messages), row)
        group = _group(row)
        if group is not None:
            train_groups.setdefault(group, row)
    for row in rows:
        if row.split == "train":
            continue
        other = train_keys.get(sample_key(row.messages))
        if other is not None:
            auditor.add(
                row.file,
                row.line,
                "leakage",
                f"same user question and trained answer as {other.where}",
            )
        group = _group(row)
        other = train_groups.get(group) if group is not None else None
        if other is not None and group is not None:
            auditor.add(
                row.file,
                row.line,
                "leakage",
                f"shares (repo, symbol) {group} with {other.where}",
            )


def _group(row: _Row) -> tuple[str, str] | None:
    meta = row.meta or {}
    repo, symbol = meta.get("repo"), meta.get("symbol")
    if isinstance(repo, str) and isinstance(symbol, str) and symbol:
        return (repo, symbol)
    return None


def _category(row: _Row, known: tuple[str, ...]) -> str:
    category = (row.meta or {}).get("category")
    if isinstance(category, str):
        return category
    tools = _tools(row, known)
    return tools[0] if tools else "answer"


def _tools(row: _Row, known: tuple[str, ...]) -> list[str]:
    tools = (row.meta or {}).get("tools")
    if isinstance(tools, list):
        return [str(t) for t in cast(list[Any], tools)]
    code = last_code(row.messages)
    return tools_in_code(code, known) if code is not None else []


def _balance(
    rows: list[_Row],
    auditor: _Auditor,
    report: AuditReport,
    known: tuple[str, ...],
    threshold: float,
    strict: bool,
) -> None:
    train = [r for r in rows if r.split == "train"]
    if not train:
        return
    name = train[0].file
    severity: Severity = "error" if strict else "warning"
    categories = Counter(_category(r, known) for r in train)
    report.categories = dict(categories.most_common())
    total = sum(categories.values())
    for category, n in sorted(categories.items()):
        if len(categories) > 1 and n / total < threshold:
            auditor.add(
                name,
                0,
                "balance",
                f"category {category!r} is {n / total:.1%} of train ({n}/{total}), "
                f"under {threshold:.1%}",
                severity,
            )
    tools: Counter[str] = Counter()
    for row in train:
        tools.update(_tools(row, known))
    report.tools = dict(tools.most_common())
    called = sum(tools.values())
    for tool in known:
        n = tools.get(tool, 0)
        if called and n / called < threshold:
            auditor.add(
                name,
                0,
                "balance",
                f"tool {tool!r} is {n / called:.1%} of tool calls in train ({n}/{called}), "
                f"under {threshold:.1%}",
                severity,
            )


def _shuffle(rows: list[_Row], auditor: _Auditor, known: tuple[str, ...]) -> None:
    train = [r for r in rows if r.split == "train"]
    labels = [_category(r, known) for r in train]
    for start, length, label in max_run_flags(labels):
        row = train[start]
        auditor.add(
            row.file,
            row.line,
            "shuffle",
            f"{length} consecutive {label!r} samples (lines {row.line}-"
            f"{train[start + length - 1].line}); a random order would almost never do this",
        )


def _lengths(rows: list[_Row], auditor: _Auditor, report: AuditReport, tokenizer: Any, limit: int):
    from punie.training.dataset.tokens import count_tokens

    longest = 0
    for row in rows:
        try:
            n = count_tokens(tokenizer, row.sample)
        except Exception as exc:
            auditor.add(
                row.file, row.line, "length", f"the chat template cannot render this sample: {exc}"
            )
            continue
        longest = max(longest, n)
        problem = template_problem(tokenizer, cast(list[Message], row.messages), _style(row))
        if problem is not None:
            auditor.add(
                row.file,
                row.line,
                "template",
                f"the model's chat template cannot carry this sample: {problem}",
            )
        if n > limit:
            auditor.add(
                row.file, row.line, "length", f"{n} tokens, longer than max_seq_length {limit}"
            )
    report.tokens_max = longest


_UNDECODABLE = "\x00not utf-8"


def _utf8_lines(path: Path, auditor: _Auditor) -> list[str]:
    """The file's lines; a line that is not UTF-8 is reported (with its number) and kept as
    as a marker the checks skip, so the rest of the file is still audited."""
    lines: list[str] = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            auditor.add(
                str(path), number, "encoding", f"not UTF-8 (byte {exc.start}): {exc.reason}"
            )
            lines.append(_UNDECODABLE)
    return lines


def audit_dataset(
    directory: Path,
    *,
    max_seq_length: int = 2048,
    balance_threshold: float = 0.03,
    strict_balance: bool = False,
    tokenizer: Any = None,
) -> AuditReport:
    """Run every check on ``directory``. ``tokenizer`` (loaded by the caller) enables the length
    check; without it that check is skipped."""
    import time

    from punie.tools.catalogue import tool_specs

    started = time.perf_counter()
    directory = Path(directory)
    report = AuditReport(directory)
    auditor = _Auditor(report)
    known = tuple(s.name for s in tool_specs())
    rows = _read(directory, report, auditor)
    if rows:
        _system(rows, auditor)
        _formats(rows, auditor, report)
        _tags(rows, auditor)
        _duplicates_and_leaks(rows, auditor)
        _shuffle(rows, auditor, known)
        _balance(rows, auditor, report, known, balance_threshold, strict_balance)
        if tokenizer is not None:
            _lengths(rows, auditor, report, tokenizer, max_seq_length)
    for check in CHECKS:
        found = [p for p in report.problems if p.check == check]
        if check in ("length", "template") and tokenizer is None:
            report.checks[check] = "skipped"
        elif any(p.severity == "error" for p in found):
            report.checks[check] = "fail"
        else:
            report.checks[check] = "warn" if found else "pass"
    report.seconds = time.perf_counter() - started
    return report
