"""A pytest plugin that ``pytest_run`` copies into a temp dir and loads with ``-p``.

It appends one JSON line per report to the file named by ``PUNIE_PYTEST_REPORT``, flushed as it
goes, so a run killed for hanging still tells which tests finished and which one was running.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

_REPORT = os.environ.get("PUNIE_PYTEST_REPORT", os.devnull)


def _write(record: dict[str, Any]) -> None:
    with open(_REPORT, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def _message(report: pytest.TestReport | pytest.CollectReport) -> str | None:
    if report.passed:
        return None
    longrepr: Any = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, reason)
        return str(longrepr[-1])  # pyright: ignore[reportUnknownArgumentType]
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    text = report.longreprtext  # e.g. a collection error: keep its "E   ..." lines
    marked = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return "\n".join(marked[-4:]) if marked else text


def pytest_runtest_logstart(nodeid: str) -> None:
    _write({"nodeid": nodeid, "when": "start"})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _write(
        {
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "duration": report.duration,
            "xfail": hasattr(report, "wasxfail"),
            "message": _message(report),
        }
    )


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _write(
            {
                "nodeid": report.nodeid,
                "when": "collect",
                "outcome": "failed",
                "duration": 0.0,
                "xfail": False,
                "message": _message(report),
            }
        )
