"""The loop's report: a before/after table, the loss curve, and an accuracy chart (PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["accuracy_chart", "before_after_rows", "percent", "write_report"]


def before_after_rows(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, ...]]:
    cats = sorted(set(before["by_category"]) | set(after["by_category"]))
    rows: list[tuple[str, ...]] = []
    for name in [*cats, "overall"]:
        b = before["overall"] if name == "overall" else before["by_category"].get(name, {})
        a = after["overall"] if name == "overall" else after["by_category"].get(name, {})
        rows.append(
            (
                name,
                str(int(a.get("n", b.get("n", 0)))),
                percent(b, "tool_ok"),
                percent(a, "tool_ok"),
                percent(b, "answer_ok"),
                percent(a, "answer_ok"),
            )
        )
    return rows


def percent(stats: dict[str, Any], metric: str) -> str:
    """``57% [47-67]``: the share and its 95% interval (when the report has one)."""
    value = f"{100 * float(stats.get(metric, 0.0)):.0f}%"
    lo, hi = stats.get(f"{metric}_lo"), stats.get(f"{metric}_hi")
    if lo is None or hi is None:
        return value
    return f"{value} [{100 * float(lo):.0f}-{100 * float(hi):.0f}]"


HEADER = ("category", "n", "tool before", "tool after", "correct before", "correct after")


def table_text(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [HEADER, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def accuracy_chart(before: dict[str, Any], after: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats = sorted(set(before["by_category"]) | set(after["by_category"]))
    names = [*cats, "overall"]

    def values(report: dict[str, Any], metric: str) -> list[float]:
        out: list[float] = []
        for name in names:
            stats = report["overall"] if name == "overall" else report["by_category"].get(name, {})
            out.append(100 * float(stats.get(metric, 0.0)))
        return out

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)  # pyright: ignore[reportUnknownMemberType]
    xs = range(len(names))
    for ax, metric, title in zip(
        axes, ("tool_ok", "answer_ok"), ("right tool", "correct answer"), strict=True
    ):
        ax.bar([x - 0.2 for x in xs], values(before, metric), width=0.4, label="before")
        ax.bar([x + 0.2 for x in xs], values(after, metric), width=0.4, label="after")
        ax.set_xticks(list(xs), names, rotation=45, ha="right")
        ax.set_title(title)
        ax.set_ylim(0, 100)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("% of held-out cases")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)  # pyright: ignore[reportUnknownMemberType]
    plt.close(fig)


def write_report(
    workdir: Path,
    before: dict[str, Any],
    after: dict[str, Any],
    sections: dict[str, str],
) -> Path:
    """``REPORT.md`` with the table, the plots and each stage's summary."""
    accuracy_chart(before, after, workdir / "accuracy.png")
    rows = before_after_rows(before, after)
    lines = [
        "# punie loop report",
        "",
        f"- model before: `{before['model']}`",
        f"- model after: `{after['model']}`",
        f"- suite: `{after['suite']}` (sha256 `{str(after['suite_sha256'])[:16]}`)",
        "",
        "## Held-out validation, before and after",
        "",
        "```",
        table_text(rows),
        "```",
        "",
        "![accuracy](accuracy.png)",
        "",
        "![losses](train/losses.png)",
        "",
    ]
    for title, body in sections.items():
        lines += [f"## {title}", "", body, ""]
    path = workdir / "REPORT.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
