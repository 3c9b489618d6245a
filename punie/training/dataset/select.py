"""Which traces become samples, and how a trace becomes one sample per assistant turn.

Selection (one reason per excluded trace is counted in the card):

* a harvested trace (it has a ledger row) is used when a row is ``verified=1``; a human label
  ``bad`` overrides the ledger (it is then treated like a bad deployment trace);
* a deployment trace (no ledger row) is used when labelled ``good``; an ``execute_code`` call
  through ``punie mcp`` (a stronger model in a user's editor wrote the program) is used
  unlabelled too when it is verified: its program ran without an error, called a tool and
  gave an answer (``final_answer``). A direct tool call through ``punie mcp`` is a trace for
  inspection, never a sample;
* a trace labelled ``bad`` is used only with a ``correction``, and then gives exactly one sample.
  Usually the correction is what the *first* reply should have been, taught right after the
  question with the turn's wrong steps dropped (taught after them, it would train a reply the
  model only writes once it has failed, and the first reply, which is what a user and
  validation see, would stay wrong): a Python program calling ``final_answer`` becomes an
  ``execute_code`` call (``assistant_code_message``, the run-time shape), and prose becomes a
  direct answer (a conceptual question the model wrongly ran tools for). Prose is taught after
  the turn's tool output instead when that output holds one of its facts (a path, a name with
  a dot or underscore, a number): an answer read off real evidence. Measured on a round of
  labelled turns, a conceptual answer appended after three failed programs taught the model
  that answer for other conceptual questions (3 of 3 cases of another direct intent lost). The
  corrected program is not executed by the build; its tools are read statically;
* the trace must carry a current run-time system prompt (of any prompt style) and tool list;
  every sample is written in the dataset's prompt style (:data:`punie.agent.prompt.PromptStyle`):
  a trace taken in another style gets that style's system message (its ``prompt_sha256`` is then
  ``None``: the text differs from what was rendered when it ran), so every sample renders
  exactly as the model being trained will see it.

Each assistant turn of a used trace becomes its own sample (mlx-lm's ``--mask-prompt`` trains
only the last message): the conversation up to and including that message. Steps whose reply
could not be read (``malformed``) and every later step are not exported (their context holds the
unreadable reply); steps whose program raised an error are not trained on, but stay in the
context of later steps, as at run time.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from punie.agent.messages import EXECUTE_CODE_TOOL, assistant_code_message
from punie.agent.prompt import PROMPT_STYLES, PromptStyle, prompt_tools, system_prompt
from punie.pysyntax import parse as parse_python
from punie.traces.reader import LedgerInfo, TraceRecord
from punie.training.dataset.formats import calls_final_answer, canonical, tools_in_code

__all__ = ["Sample", "Selection", "select_samples"]


@dataclass
class Sample:
    messages: list[dict[str, Any]]
    trace_id: int
    trace_uid: str
    step: int | None  # None for a correction
    repo: str
    symbol: str | None
    category: str
    intent: str | None
    source: str  # "harvest", "deployment" (ask, repl) or "mcp"
    corrected: bool
    tools: list[str]
    tools_source: str  # "trace" (really called) or "static" (read from a correction)
    prompt_sha256: str | None  # of the run-time prompt for this step, when it was rendered
    model: str
    teacher: str | None
    tokens: int = 0
    style: PromptStyle = "catalogue"

    @property
    def group(self) -> tuple[str, str]:
        """The split unit: samples sharing a (repo, symbol) stay in one split."""
        if self.symbol:
            return (self.repo, f"symbol:{self.symbol}")
        question = next(m["content"] for m in self.messages if m["role"] == "user")
        return (self.repo, f"question:{question}")

    def record(self) -> dict[str, Any]:
        tools = prompt_tools(self.style)
        if tools is None:
            return {"messages": self.messages}
        return {"messages": self.messages, "tools": tools}

    def meta(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "trace_uid": self.trace_uid,
            "step": self.step,
            "repo": self.repo,
            "symbol": self.symbol,
            "category": self.category,
            "intent": self.intent,
            "source": self.source,
            "corrected": self.corrected,
            "tools": self.tools,
            "tools_source": self.tools_source,
            "prompt_sha256": self.prompt_sha256,
            "model": self.model,
            "teacher": self.teacher,
            "tokens": self.tokens,
        }


@dataclass
class Selection:
    samples: list[Sample]
    used: list[TraceRecord]
    excluded: Counter[str]  # trace-level reasons
    skipped_steps: Counter[str]  # step-level reasons inside used traces


def repo_name(trace: TraceRecord) -> str:
    ledger = _verified_row(trace) or (trace.ledger[0] if trace.ledger else None)
    return ledger.repo if ledger is not None else Path(trace.repo_path).name


def _verified_row(trace: TraceRecord) -> LedgerInfo | None:
    return next((row for row in trace.ledger if row.verified), None)


def _is_program(text: str) -> bool:
    try:
        parse_python(text)
    except SyntaxError:
        return False
    return calls_final_answer(text)


def _deployment_kind(trace: TraceRecord) -> str:
    return "mcp" if (trace.source or {}).get("kind") == "mcp" else "deployment"


def _base(trace: TraceRecord) -> dict[str, Any]:
    row = _verified_row(trace) or (trace.ledger[0] if trace.ledger else None)
    return {
        "trace_id": trace.id,
        "trace_uid": trace.uid,
        "repo": repo_name(trace),
        "symbol": row.symbol if row is not None else None,
        "category": row.category if row is not None else "deployment",
        "intent": row.intent if row is not None else None,
        "source": "harvest" if trace.ledger else _deployment_kind(trace),
        "model": trace.model,
        "teacher": row.teacher if row is not None else None,
    }


def _step_samples(trace: TraceRecord, skipped: Counter[str]) -> list[Sample]:
    out: list[Sample] = []
    messages = trace.messages
    for position, step in enumerate(trace.steps):
        if step.action == "malformed":
            skipped["malformed reply"] += 1
            skipped["after a malformed reply"] += len(trace.steps) - position - 1
            break
        if step.message_count >= len(messages):
            skipped["no assistant message recorded"] += 1
            continue
        reply = messages[step.message_count]
        if reply.get("role") != "assistant":
            skipped["no assistant message recorded"] += 1
            continue
        if step.error_kind is not None:
            skipped["program raised an error"] += 1
            continue
        out.append(
            Sample(
                messages=[dict(m) for m in messages[: step.message_count + 1]],
                step=step.idx,
                corrected=False,
                tools=list(step.tools),
                tools_source="trace",
                prompt_sha256=step.prompt_sha256,
                **_base(trace),
            )
        )
    return out


def _corrected_sample(
    trace: TraceRecord, correction: str, known_tools: tuple[str, ...]
) -> Sample | str:
    """The corrected final sample, or why there is none."""
    messages = trace.messages
    last = trace.steps[-1] if trace.steps else None
    if last is None:
        return "bad, corrected, but no steps"
    text = correction.strip()
    outputs = [str(m.get("content") or "") for m in messages if m.get("role") == "tool"]
    program = _is_program(text)
    if not program and _supported(text, outputs):
        if any(s.action == "malformed" for s in trace.steps[:-1]):
            return "bad, corrected in prose, but a malformed reply precedes the answer"
        # an answer read off the turn's real tool output: taught after it
        ends_on_answer = (
            messages[-1].get("role") == "assistant" and last.message_count == len(messages) - 1
        )
        prefix = messages[:-1] if ends_on_answer else list(messages)
        return Sample(
            messages=[dict(m) for m in prefix] + [{"role": "assistant", "content": text}],
            step=None,
            corrected=True,
            tools=[],
            tools_source="static",
            prompt_sha256=last.prompt_sha256 if ends_on_answer else None,
            **_base(trace),
        )
    # a program, or prose no tool output of the turn holds: what the first reply should have been
    reply = assistant_code_message(text) if program else None
    return Sample(
        messages=[dict(m) for m in messages[: trace.steps[0].message_count]]
        + [dict(reply) if reply is not None else {"role": "assistant", "content": text}],
        step=0,  # it replaces the first reply, whose prompt it keeps
        corrected=True,
        tools=tools_in_code(text, known_tools) if reply is not None else [],
        tools_source="static",
        prompt_sha256=trace.steps[0].prompt_sha256,  # the first reply's prompt, exactly
        **_base(trace),
    )


_TOKEN = re.compile(r"[\w./:-]+")


def _supported(text: str, outputs: list[str]) -> bool:
    """Whether a tool output holds one of the correction's facts: a path, a dotted or
    underscored name, a number (``shop/discounts.py``, ``parse_coupon_code``, ``3``)."""
    tokens = (t.strip(".,;:-") for t in _TOKEN.findall(text))
    facts = {t for t in tokens if any(c.isdigit() or c in "_/." for c in t)}
    return any(f in output for f in facts for output in outputs)


def _restyle(samples: list[Sample], style: PromptStyle) -> list[Sample]:
    system = system_prompt(style)
    for sample in samples:
        sample.style = style
        if sample.messages[0]["content"] != system:
            sample.messages[0] = {**sample.messages[0], "content": system}
            sample.prompt_sha256 = None
    return samples


def _mcp_verified(trace: TraceRecord) -> bool:
    """The program ran without an error, called at least one tool, and answered."""
    return trace.stop_reason == "final_answer" and any(
        s.action == "code" and s.error_kind is None and s.tools for s in trace.steps
    )


def select_samples(
    traces: list[TraceRecord], known_tools: tuple[str, ...], style: PromptStyle = "catalogue"
) -> Selection:
    """Apply the selection rules (module docstring) to ``traces``; samples in ``style``."""
    expected_tools = canonical([EXECUTE_CODE_TOOL])
    systems = {system_prompt(s) for s in PROMPT_STYLES}
    selection = Selection([], [], Counter(), Counter())
    for trace in traces:
        kind = (trace.source or {}).get("kind")
        if kind == "mcp-tool":
            selection.excluded["a direct tool call through punie mcp"] += 1
            continue
        first = trace.messages[0] if trace.messages else {}
        if first.get("role") != "system" or first.get("content") not in systems:
            selection.excluded["system prompt is not a current run-time prompt"] += 1
            continue
        if canonical(trace.tools) != expected_tools:
            selection.excluded["tool list differs from [execute_code]"] += 1
            continue
        if trace.label == "bad":
            if not (trace.correction or "").strip():
                selection.excluded["labelled bad without a correction"] += 1
                continue
            made = _corrected_sample(trace, trace.correction or "", known_tools)
            if isinstance(made, str):
                selection.excluded[made] += 1
                continue
            selection.samples.extend(_restyle([made], style))
            selection.used.append(trace)
            continue
        if trace.ledger:
            if _verified_row(trace) is None:
                selection.excluded["harvested, not verified"] += 1
                continue
        elif kind == "mcp" and trace.label is None:
            if not _mcp_verified(trace):
                selection.excluded["mcp call, unlabelled and not verified"] += 1
                continue
        elif trace.label != "good":
            selection.excluded["deployment trace not labelled good"] += 1
            continue
        samples = _step_samples(trace, selection.skipped_steps)
        if not samples:
            selection.excluded["no exportable assistant turn"] += 1
            continue
        selection.samples.extend(_restyle(samples, style))
        selection.used.append(trace)
    return selection
