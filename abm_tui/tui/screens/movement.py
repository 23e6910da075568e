"""Movement: which accounts moved, from where to where, and why; against the baseline plan or a snapshot.

Against the baseline plan it answers "what have my edits done since I pinned it"; against a snapshot
from the plan's history, "what moved since that week". The comparison runs in a thread (it segments
the current plan and reads the snapshot); regrouping the flows by segment, tier, stage, bucket or
play is a Polars group-by on the result, and Enter on a flow lists its accounts with their reasons.
"""

from __future__ import annotations

import polars as pl
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from abm_tui.errors import AbmError
from abm_tui.history.diff import Diff, since
from abm_tui.history.movement import FLOW_DIMENSIONS, summary
from abm_tui.history.snapshots import Snapshot, history_folder, list_snapshots
from abm_tui.plan.changes import describe_changes
from abm_tui.session import Session
from abm_tui.tui.screens.drill import DrillScreen

FLOW_COLUMNS = ("account_id", "name", "reason")


class MovementScreen(Screen[None]):
    """From-to flows between two segmentations of the session's accounts."""

    HELP_TITLE = "Movement"
    CSS_PATH = "../styles/movement.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", id="movement.back", tooltip="Back to the matrix"),
        Binding("g", "group", "Group by", id="movement.group", tooltip="Group flows by segment, tier, stage, "
                "bucket or play"),
        Binding("a", "against", "Against", id="movement.against",
                tooltip="Compare with the baseline plan or a snapshot from the plan's history"),
    ]

    class Computed(Message):
        def __init__(self, diff: Diff) -> None:
            super().__init__()
            self.diff = diff

    def __init__(self, session: Session, against: Snapshot | None = None) -> None:
        super().__init__()
        self.session = session
        self.against = against
        self.by = "segment"
        self.diff: Diff | None = None
        self._flows = pl.DataFrame()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("comparing…", id="movement-summary", markup=False)
        with Horizontal(id="movement-body"):
            yield DataTable(id="movement-flows", cursor_type="row", zebra_stripes=True)
            with Vertical(id="movement-side"):
                yield Static("", id="movement-changes", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Movement"
        self.compute()

    @work(thread=True, exclusive=True, exit_on_error=False, group="movement")
    def compute(self) -> None:
        with self.session.lock:
            diff = since(self.session, self.against)
        self.post_message(self.Computed(diff))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A comparison that failed (a damaged snapshot) says why; nothing reaches the user as a traceback."""
        if event.state is WorkerState.ERROR:
            self.query_one("#movement-summary", Static).update(f"could not compare: {event.worker.error}")

    @on(Computed)
    def show(self, message: Computed) -> None:
        self.diff = message.diff
        self.refill()

    def refill(self) -> None:
        if self.diff is None:
            return
        movement = self.diff.movement
        text = summary(movement, self.session.plan.name, by=self.by, top=0)  # the table lists the flows
        self.query_one("#movement-summary", Static).update(text + f"\nflows by {self.by} · enter lists the accounts")
        changes = describe_changes(self.diff.changes) if self.diff.changes else "no rule changes between the plans"
        notes = "\n".join(f"note: {note}" for note in self.diff.notes)
        self.query_one("#movement-changes", Static).update("\n".join(filter(None, ["Plan changes", changes, notes])))
        self._flows = movement.flows(self.by)
        table = self.query_one("#movement-flows", DataTable)
        table.clear(columns=True)
        table.add_columns("from", "to", "accounts")
        table.add_rows((source, target, f"{n:,}") for source, target, n in self._flows.iter_rows())
        table.focus()

    def action_back(self) -> None:
        self.dismiss()

    def action_group(self) -> None:
        self.by = FLOW_DIMENSIONS[(FLOW_DIMENSIONS.index(self.by) + 1) % len(FLOW_DIMENSIONS)]
        self.refill()

    def action_against(self) -> None:
        from abm_tui.tui.modals import ChooseOne

        try:
            snapshots = list(reversed(list_snapshots(history_folder(self.session.plan))))
        except AbmError as err:
            self.notify(str(err), title="History", severity="error")
            return
        labels = ["the baseline plan (what your edits moved)"] + [
            f"snapshot {s.label}: {s.plan_name}" for s in snapshots
        ]
        against = self.against.path if self.against is not None else None
        current = next((i + 1 for i, s in enumerate(snapshots) if s.path == against), 0)  # 0: the baseline

        def chosen(index: int | None) -> None:
            if index is None:
                return
            self.against = None if index == 0 else snapshots[index - 1]
            self.diff = None
            self.query_one("#movement-summary", Static).update("comparing…")
            self.compute()

        self.app.push_screen(ChooseOne("Compare the plan now with", labels, current), chosen)

    @on(DataTable.RowSelected, "#movement-flows")
    def drill(self, event: DataTable.RowSelected) -> None:
        if self.diff is None or not self._flows.height:
            return
        source, target, _ = self._flows.row(event.cursor_row)
        movement, by = self.diff.movement, self.by

        def fetch() -> pl.DataFrame:
            accounts = movement.flow_accounts(by, source, target)
            return accounts.select(*FLOW_COLUMNS, pl.exclude(*FLOW_COLUMNS))

        self.app.push_screen(DrillScreen(self.session, f"{source} → {target}", fetch))
