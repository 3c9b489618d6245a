"""Parsing the human-friendly due dates accepted on the command line."""

from __future__ import annotations

import re
from datetime import date, timedelta

RELATIVE_RE = re.compile(r"^\+(\d+)([dw])$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class BadDate(ValueError):
    """A due date that could not be understood."""


def parse_due(text: str, today: date | None = None) -> date:
    """Parse "today", "tomorrow", a weekday name, "+3d" / "+2w" or an ISO date.

    "none" clears a due date.
    """
    today = today or date.today()
    value = text.strip().lower()
    if value in ("", "none"):
        return None
    if value == "today":
        return today
    if value == "tomorrow":
        return today + timedelta(days=1)
    if value in WEEKDAYS:
        ahead = (WEEKDAYS.index(value) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    match = RELATIVE_RE.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return today + timedelta(days=amount * (7 if unit == "w" else 1))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadDate(f"cannot understand due date {text!r}") from None


def humanize_due(due: date, today: date) -> str:
    """ "today", "tomorrow", "in 3 days", "2 days ago" or the ISO date when far away."""
    delta = (due - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    if 1 < delta <= 14:
        return f"in {delta} days"
    if -14 <= delta < -1:
        return f"{-delta} days ago"
    return due.isoformat()
