"""The quarterly review: per segment (or tier, stage, bucket, play), what the accounts in it at the start of
the period did by its end, with a sparkline of the group's size over the snapshots and the stalled groups flagged.

It reads only the plan's history folder, never the data files, so it opens in the time the snapshots take
to read; the review is computed in a thread and regrouping computes it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from abm_tui.errors import AbmError
from abm_tui.history.review import (
    BELOW,
    DIMENSIONS,
    FLAG,
    HEADERS,
    TEXT_COLUMNS,
    TOTAL,
    Review,
    review_plan,
    sparkline,
    table_cells,
    write_review,
)
from abm_tui.plan.model import Plan
from abm_tui.plan.paths import input_paths
from abm_tui.tui.read_only import HidesChanges
from abm_tui.tui.workers import ToApp, Tokens

STALLED = "stalled"
UNDER = "below Not target"  # the flag's short form, as the legend says in full
SHOWN = [column for column in HEADERS if column not in TEXT_COLUMNS]  # the flags share the last column


@dataclass(frozen=True)
class ReviewRequest:
    token: int
    plan: Plan
    by: str


@dataclass
class Reviewed(Message):
    """A review, or why there is none (an empty or damaged history)."""

    token: int
    review: Review | None
    error: str | None


@dataclass(frozen=True)
class WriteRequest:
    token: int
    review: Review
    folder: Path
    inputs: frozenset[Path]


@dataclass
class ReviewWritten(Message):
    token: int
    written: tuple[Path, ...]
    error: str | None


class ReviewScreen(HidesChanges, ToApp, Screen[None]):
    """The review of the plan's history from its oldest snapshot in the last quarter to its newest."""

    CHANGES = frozenset({"export"})
    HELP_TITLE = "Quarterly review"
    BINDINGS = [
        Binding("escape", "back", "Back", id="review.back", tooltip="Back to the matrix"),
        Binding("g", "group", "Group by", id="review.group",
                tooltip="One row per segment, tier, stage, bucket or play"),
        Binding("ctrl+e", "export", "Export", id="review.export",
                tooltip="Write review.md and review.csv for the planning deck"),
    ]

    def __init__(self, plan: Plan, plan_path: Path) -> None:
        super().__init__()
        self.plan = plan
        self.plan_path = plan_path
        self.by = "segment"
        self.review: Review | None = None
        self.tokens = Tokens()
        self.writes = Tokens()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("reading the history…", id="review-period", markup=False)
        yield DataTable(id="review-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="review-notes", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Quarterly review"
        self.compute(ReviewRequest(self.tokens.next(), self.plan, self.by))

    @work(thread=True, exclusive=True, exit_on_error=False, group="review", description="reviewing the history")
    def compute(self, request: ReviewRequest) -> None:
        try:
            review = review_plan(request.plan, by=request.by)
        except AbmError as err:  # an empty or damaged history says why, in place of the table
            self.post_message(Reviewed(request.token, None, str(err)))
            return
        self.post_message(Reviewed(request.token, review, None))

    @on(Reviewed)
    def show(self, message: Reviewed) -> None:
        if not self.tokens.current(message.token):
            return
        if message.review is None:
            self.query_one("#review-period", Static).update(f"no review: {message.error}")
            return
        review = self.review = message.review
        start, end = review.start, review.end
        self.query_one("#review-period", Static).update(
            f"{start.as_of} to {end.as_of} · {len(review.snapshots)} snapshots · by {review.by} · cohort: the "
            f"accounts in each {review.by} on {start.as_of} · g regroups · ctrl+e writes review.md and review.csv")
        table = self.query_one("#review-table", DataTable)
        table.clear(columns=True)
        table.add_columns(review.by, *(HEADERS[column] for column in SHOWN), "Sizes", "")
        trends = {group: sparkline(values) for group, *values in review.sizes.iter_rows()}
        theme = self.app.current_theme
        warning, error = theme.warning or "yellow", theme.error or "red"
        positions = [0, *(1 + list(HEADERS).index(column) for column in SHOWN)]
        for row in review.table.iter_rows(named=True):
            every = [cell.strip("*") for cell in table_cells(row)]  # the total is bold in Markdown
            style = "bold" if row["group"] == TOTAL else ""
            shown = [Text(every[p], style=style, justify="left" if p == 0 else "right") for p in positions]
            flags = Text(" ").join([
                *([Text(f"⚑ {STALLED}", style=f"bold {warning}")] if row["flag"] == FLAG else []),
                *([Text(f"⚑ {UNDER}", style=f"bold {error}")] if row["below_not_target"] else []),
            ])
            table.add_row(*shown, Text(trends.get(row["group"], "")), flags)
        legend = [f"⚑ {STALLED}: {FLAG} over the period · lift: conversion against all accounts' · ⚑ {UNDER}: "
                  f"{BELOW}, a target group that opens fewer opportunities than the accounts the plan does not target"]
        self.query_one("#review-notes", Static).update("\n".join(legend + [f"note: {note}" for note in review.notes]))
        table.focus()

    def action_back(self) -> None:
        self.dismiss()

    def action_group(self) -> None:
        self.by = DIMENSIONS[(DIMENSIONS.index(self.by) + 1) % len(DIMENSIONS)]
        self.query_one("#review-period", Static).update(f"reviewing by {self.by}…")
        self.compute(ReviewRequest(self.tokens.next(), self.plan, self.by))

    def action_export(self) -> None:
        from abm_tui.tui.modals import AskText

        if self.review is None:
            self.app.bell()
            return
        review = self.review

        def chosen(folder: str | None) -> None:
            if folder:
                self.write(WriteRequest(self.writes.next(), review, Path(folder).expanduser(),
                                        frozenset(input_paths(self.plan, self.plan_path))))

        default = str(self.plan_path.resolve().parent / "exports")
        self.app.push_screen(AskText("Write review.md and review.csv to the folder", default), chosen)

    @work(thread=True, exit_on_error=False, group="review.write", description="writing the review")
    def write(self, request: WriteRequest) -> None:
        try:
            written = write_review(request.review, request.folder, set(request.inputs))
        except (AbmError, OSError) as err:
            self.post_message(ReviewWritten(request.token, (), str(err)))
            return
        self.post_message(ReviewWritten(request.token, tuple(written), None))

    @on(ReviewWritten)
    def written(self, message: ReviewWritten) -> None:
        """Every write is said, even an older one: its files are on disk (or not)."""
        if message.error is not None:
            self.notify(message.error, title="Review not written", severity="error")
        else:
            self.notify("\n".join(str(path) for path in message.written), title="Review written")
