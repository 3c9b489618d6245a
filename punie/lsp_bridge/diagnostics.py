"""A type-checker diagnostic, as the bridge reports it and the tools return it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Diagnostic"]


@dataclass(frozen=True)
class Diagnostic:
    """One type-checker diagnostic; ``severity`` is ``error``, ``warning`` or ``information``."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str
    rule: str | None
    message: str

    def render(self) -> str:
        rule = f" [{self.rule}]" if self.rule else ""
        return f"{self.file}:{self.line}:{self.column} {self.severity}{rule}: {self.message}"
