"""The quarterly review: per segment (or tier, stage, bucket, play), what the accounts in it at the start of
the period did by its end, with a sparkline of the group's size over the snapshots and the stalled groups flagged.

It reads only the plan's history folder, never the data files, so it opens in the time the snapshots take
to read; the review is computed in a thread and regrouping computes it again.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from abm_tui.errors import AbmError
from abm_tui.history.review import (
    DIMENSIONS,
    FLAG,
    HEADERS,
    TOTAL,
    Review,
    review_plan,
    sparkline,
    table_cells,
    write_review,
)
from abm_tui.plan.model import Plan
from abm_tui.plan.paths import input_paths

STALLED = "stalled"


class ReviewScreen(Screen[None]):
    """The review of the plan's history from its oldest snapshot in the last quarter to its newest."""

    HELP_TITLE = "Quarterly review"
    CSS_PATH = "../styles/review.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", id="review.back", tooltip="Back to the matrix"),
        Binding("g", "group", "Group by", id="review.group",
                tooltip="One row per segment, tier, stage, bucket or play"),
        Binding("ctrl+e", "export", "Export", id="review.export",
                tooltip="Write review.md and review.csv for the planning deck"),
    ]

    class Computed(Message):
        def __init__(self, review: Review) -> None:
            super().__init__()
            self.review = review

    def __init__(self, plan: Plan, plan_path: Path) -> None:
        super().__init__()
        self.plan = plan
        self.plan_path = plan_path
        self.by = "segment"
        self.review: Review | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("reading the history…", id="review-period", markup=False)
        yield DataTable(id="review-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="review-notes", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Quarterly review"
        self.compute()

    @work(thread=True, exclusive=True, exit_on_error=False, group="review")
    def compute(self) -> None:
        self.post_message(self.Computed(review_plan(self.plan, by=self.by)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An empty or damaged history says why, in place of the table; no traceback reaches the planner."""
        if event.state is WorkerState.ERROR:
            self.query_one("#review-period", Static).update(f"no review: {event.worker.error}")

    @on(Computed)
    def show(self, message: Computed) -> None:
        review = self.review = message.review
        start, end = review.start, review.end
        self.query_one("#review-period", Static).update(
            f"{start.as_of} to {end.as_of} · {len(review.snapshots)} snapshots · by {review.by} · cohort: the "
            f"accounts in each {review.by} on {start.as_of} · g regroups · ctrl+e writes review.md and review.csv")
        table = self.query_one("#review-table", DataTable)
        table.clear(columns=True)
        table.add_columns(review.by, *list(HEADERS.values())[:-1], "Sizes", "")
        trends = {group: sparkline(values) for group, *values in review.sizes.iter_rows()}
        warning = self.app.current_theme.warning or "yellow"
        for row in review.table.iter_rows(named=True):
            *cells, _ = (cell.strip("*") for cell in table_cells(row))  # the total is bold in Markdown
            style = "bold" if row["group"] == TOTAL else ""
            shown = [Text(cell, style=style, justify="left" if i == 0 else "right") for i, cell in enumerate(cells)]
            flag = Text(f"⚑ {STALLED}", style=f"bold {warning}") if row["flag"] == FLAG else Text("")
            table.add_row(*shown, Text(trends.get(row["group"], "")), flag)
        legend = [f"⚑ {STALLED}: {FLAG} over the period"]
        self.query_one("#review-notes", Static).update("\n".join(legend + [f"note: {note}" for note in review.notes]))
        table.focus()

    def action_back(self) -> None:
        self.dismiss()

    def action_group(self) -> None:
        self.by = DIMENSIONS[(DIMENSIONS.index(self.by) + 1) % len(DIMENSIONS)]
        self.query_one("#review-period", Static).update(f"reviewing by {self.by}…")
        self.compute()

    def action_export(self) -> None:
        from abm_tui.tui.modals import AskText

        if self.review is None:
            self.app.bell()
            return
        review = self.review

        def chosen(folder: str | None) -> None:
            if not folder:
                return
            try:
                written = write_review(review, Path(folder).expanduser(), input_paths(self.plan, self.plan_path))
            except (AbmError, OSError) as err:
                self.notify(str(err), title="Review not written", severity="error")
                return
            self.notify("\n".join(str(path) for path in written), title="Review written")

        default = str(self.plan_path.resolve().parent / "exports")
        self.app.push_screen(AskText("Write review.md and review.csv to the folder", default), chosen)
