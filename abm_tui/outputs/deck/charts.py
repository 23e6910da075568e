"""The deck's pictures, drawn with matplotlib (its Figure directly, never pyplot: no display, no backend state, no
browser) and kept as SVG text: inlined in the HTML page and written beside the Markdown. Text stays text in the
SVG, so a planner can select and paste it.

The only module that imports matplotlib; `abm_tui.outputs.deck.content` imports it when a deck is made.
"""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from abm_tui.engine.outcomes.report import IcpReport
from abm_tui.engine.segment import Matrix
from abm_tui.history.review import TOTAL, Review

SHOWN_SEGMENTS = 10  # lines in the sizes chart: the largest segments at the end, so the legend stays readable
SHOWN_LIFT = 15
# Text as text (selectable), the same ids on every run; keyed by name (matplotlib types the keys as literals).
STYLE: dict[Any, Any] = {"svg.fonttype": "none", "svg.hashsalt": "abm-tui-deck", "font.size": 9,
                         "axes.spines.top": False, "axes.spines.right": False}
_PROLOGUE = re.compile(r"\A.*?(?=<svg)", re.DOTALL)


def svg_text(figure: Figure) -> str:
    """The figure as an <svg> element (no XML prologue, so it inlines in HTML), the same on every run."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return _PROLOGUE.sub("", buffer.getvalue())


def change_text(now: float, before: float | None) -> str:
    """A cell's change against the snapshot, signed; empty without a snapshot."""
    if before is None:
        return ""
    return "±0" if now == before else f"{now - before:+,.0f}"


def heat_map(matrix: Matrix, previous: Matrix | None) -> str:
    """The Tier x Stage counts as a heat map, each cell with its count and its change against the last snapshot."""
    with rc_context(STYLE):
        figure = Figure(figsize=(1.2 * len(matrix.cols) + 2, 0.7 * len(matrix.rows) + 1.5))
        axes = figure.subplots()
        image = axes.imshow(matrix.values, cmap="Blues", aspect="auto")
        top = matrix.values.max() or 1
        for (i, j), value in np.ndenumerate(matrix.values):
            before = None if previous is None else float(previous.values[i, j])
            label = f"{value:,.0f}\n{change_text(float(value), before)}".rstrip()
            axes.text(j, i, label, ha="center", va="center", color="white" if value > top / 2 else "black")
        axes.set_xticks(range(len(matrix.cols)), matrix.cols, rotation=30, ha="right")
        axes.set_yticks(range(len(matrix.rows)), matrix.rows)
        axes.set_xlabel(matrix.col_dim)
        axes.set_ylabel(matrix.row_dim)
        figure.colorbar(image, ax=axes, label="accounts")
        return svg_text(figure)


def sizes_chart(review: Review, fallback_tier: str) -> str:
    """Accounts per segment in each snapshot of the review's period: the largest target segments at the end (the
    fallback tier's, often most accounts, would flatten every other line)."""
    groups = review.sizes.get_column("group")
    sizes = review.sizes.filter((groups != TOTAL) & ~groups.str.starts_with(f"{fallback_tier} / "))
    dates = sizes.columns[1:]
    shown = sizes.sort(dates[-1], descending=True).head(SHOWN_SEGMENTS)
    with rc_context(STYLE):
        figure = Figure(figsize=(8, 4))
        axes = figure.subplots()
        for group, *values in shown.iter_rows():
            axes.plot(dates, values, marker="o", label=group)
        axes.set_ylabel("accounts")
        axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        return svg_text(figure)


def bars(labels: list[str], values: list[float], xlabel: str, reference: float | None = None) -> str:
    """Horizontal bars, first label on top, with an optional dashed reference line."""
    with rc_context(STYLE):
        figure = Figure(figsize=(8, 0.3 * len(labels) + 1))
        axes = figure.subplots()
        axes.barh(range(len(labels)), values, color="#3b75af")
        axes.set_yticks(range(len(labels)), labels)
        axes.invert_yaxis()
        axes.set_xlabel(xlabel)
        if reference is not None:
            axes.axvline(reference, color="#888888", linestyle="--", linewidth=1)
        return svg_text(figure)


def conversion_chart(review: Review) -> str:
    """Each segment's conversion (opened / accounts at start) in the review, against all accounts' (dashed)."""
    table = review.table.drop_nulls("conversion_rate")
    rows = table.filter(table.get_column("group") != TOTAL)
    total = table.filter(table.get_column("group") == TOTAL).get_column("conversion_rate").to_list()
    return bars(rows.get_column("group").to_list(), [100 * v for v in rows.get_column("conversion_rate")],
                "conversion, % of the accounts at the start", 100 * total[0] if total else None)


def lift_chart(report: IcpReport) -> str:
    """The ICP report's attribute values with the most evidence, by lift against the base rate (1 = dashed)."""
    rows = report.lift.rows.head(SHOWN_LIFT)
    labels = [f"{r['column']} = {r['value']}" for r in rows.iter_rows(named=True)]
    return bars(labels, rows.get_column("lift").fill_nan(0).to_list(), f"lift ({report.outcome.noun} rate / base rate)",
                1.0)
