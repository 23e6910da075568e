"""The live matrix: each cell's value and its change against the baseline, with totals.

Stock DataTable is right here: a matrix has tens of cells, not a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from abm_tui.engine.segment import Matrix

MEASURES = ("count", "pipeline", "percent")
MEASURE_COLUMN = {"count": None, "pipeline": "opportunity_amount", "percent": None}


@dataclass(frozen=True)
class MatrixView:
    """What the table shows: the matrix now, the same matrix under the baseline plan, and how."""

    current: Matrix
    baseline: Matrix | None
    measure: str = "count"


def with_totals(values: np.ndarray) -> np.ndarray:
    rows = np.column_stack([values, values.sum(axis=1)])
    return np.vstack([rows, rows.sum(axis=0)])


def shown(values: np.ndarray, measure: str) -> np.ndarray:
    """Percent is each cell's share of all accounts; counts and pipeline are as they are."""
    if measure != "percent":
        return values.astype(float)
    total = values[-1, -1]
    return values / total * 100 if total else values * 0.0


def cell_text(value: float, delta: float | None, measure: str, up: str, down: str) -> Text:
    if measure == "percent":
        text = Text(f"{value:.1f}%")
        change = f"{delta:+.1f}" if delta is not None and abs(delta) >= 0.05 else ""
    elif measure == "pipeline":
        text = Text(money(value))
        change = ("+" if delta > 0 else "-") + money(abs(delta)) if delta else ""
    else:
        text = Text(f"{value:,.0f}")
        change = f"{delta:+,.0f}" if delta else ""
    if change:
        text.append(f" {change}", style=up if delta and delta > 0 else down)
    text.justify = "right"
    return text


def money(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"${value / size:,.1f}{suffix}"
    return f"${value:,.0f}"


class MatrixTable(DataTable[Text]):
    """Rows and columns follow plan order with Not target / Unstaged last, then Total."""

    # The workbench's pivot and measure keys work from either pane; shown in the footer while the matrix has focus.
    BINDINGS = [
        Binding("r", "screen.pivot('rows')", "Rows", id="matrix.pivot-rows"),
        Binding("c", "screen.pivot('cols')", "Cols", id="matrix.pivot-cols"),
        Binding("m", "screen.measure", "Measure", id="matrix.measure"),
    ]

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        # The row labels stay put when the table scrolls sideways.
        super().__init__(cursor_type="cell", zebra_stripes=True, fixed_columns=1, id=id)
        self.view: MatrixView | None = None
        self._room: list[int] = []  # each column's widest cell at the last full build

    def show(self, view: MatrixView, up: str, down: str) -> None:
        """Same rows and columns as shown: only changed cells are rewritten, so the screen's layout
        stays as it is; new rows or columns rebuild the table."""
        previous, self.view = self.view, view
        current = view.current
        values = shown(with_totals(current.values), view.measure)
        base = view.baseline
        comparable = base is not None and base.rows == current.rows and base.cols == current.cols
        before = shown(with_totals(base.values), view.measure) if comparable and base is not None else None
        cells = [
            [cell_text(values[i, j], None if before is None else values[i, j] - before[i, j], view.measure, up, down)
             for j in range(values.shape[1])]
            for i in range(values.shape[0])
        ]
        rows, cols = (*current.rows, "Total"), (*current.cols, "Total")
        room = [max(cell.cell_len for cell in column) for column in zip(*cells, strict=True)]
        same_shape = previous is not None and (previous.current.rows, previous.current.cols,
                                               previous.current.row_dim, previous.current.col_dim) == (
            current.rows, current.cols, current.row_dim, current.col_dim)
        if same_shape and all(need <= have for need, have in zip(room, self._room, strict=True)):
            for i, row in enumerate(rows):
                for j, col in enumerate(cols):
                    if self.get_cell(f"row:{row}", f"col:{col}") != cells[i][j]:
                        self.update_cell(f"row:{row}", f"col:{col}", cells[i][j])
            return
        self._room = room
        keep = self.cursor_coordinate
        self.clear(columns=True)
        corner = f"{current.row_dim} \\ {current.col_dim}"
        # Widths given, not left to the table's lazy measure on its next idle: a frame drawn before that
        # would show columns as narrow as their labels, clipping the changes.
        self.add_column(corner, key="_label", width=max(len(corner), *(len(row) for row in rows)))
        for col, need in zip(cols, room, strict=True):
            self.add_column(col, key=f"col:{col}", width=max(len(col), need))
        for label, row_cells in zip(rows, cells, strict=True):
            self.add_row(Text(label, style="bold" if label == "Total" else ""), *row_cells, key=f"row:{label}")
        # Its height given now (header, rows, a line for the sideways scrollbar), not measured on its next idle:
        # a frame drawn before that showed the matrix as nothing.
        self.styles.height = self.row_count + 2
        if keep.row < self.row_count and keep.column < len(self.columns):
            self.cursor_coordinate = keep
        elif self.row_count:
            self.cursor_coordinate = Coordinate(0, 1)

    def cell_labels(self) -> tuple[str | None, str | None]:
        """The row and column labels under the cursor; None stands for a Total (or the label column)."""
        if self.view is None:
            return None, None
        rows, cols = self.view.current.rows, self.view.current.cols
        row, column = self.cursor_coordinate
        return (rows[row] if row < len(rows) else None, cols[column - 1] if 0 < column <= len(cols) else None)
