"""The Tier x Stage matrix of the current plan, with totals and the load status."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from abm_tui.core.segment import Matrix
from abm_tui.core.session import Session


def matrix_rows(matrix: Matrix) -> list[list[str]]:
    """Cells as the screen shows them: counts with thousands separators, totals last."""
    fmt = "{:,.0f}".format
    rows = [
        [label, *map(fmt, values), fmt(values.sum())] for label, values in zip(matrix.rows, matrix.values, strict=True)
    ]
    totals = matrix.values.sum(axis=0)
    rows.append(["Total", *map(fmt, totals), fmt(totals.sum())])
    return rows


def status_text(session: Session) -> str:
    report = session.report
    dropped = len(report.dropped)
    return (
        f"{report.rows_kept:,} accounts loaded · {dropped:,} rows dropped at load · "
        f"as of {session.as_of.isoformat()}" + (" · unsaved changes" if session.dirty else "")
    )


class MatrixScreen(Screen[None]):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(status_text(self.session), id="status")
        yield Static(f"{self.session.plan.name}: tier x stage", id="matrix-title")
        yield DataTable(id="matrix", cursor_type="cell", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        matrix = self.session.matrix()
        table = self.query_one("#matrix", DataTable)
        table.add_column("tier \\ stage", key="tier")
        for col in (*matrix.cols, "Total"):
            table.add_column(col, key=col)
        for label, *cells in matrix_rows(matrix):
            table.add_row(label, *(Text(cell, justify="right") for cell in cells), key=label)
        table.focus()
