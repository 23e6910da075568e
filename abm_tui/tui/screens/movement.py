"""Movement: which accounts moved, from where to where, and why; against the baseline plan or a snapshot.

Against the baseline plan it answers "what have my edits done since I pinned it"; against a snapshot
from the plan's history, "what moved since that week". The comparison runs on the session thread (it segments
the current plan and reads the snapshot); regrouping the flows by segment, tier, stage, bucket or
play is a Polars group-by on the result, and Enter on a flow lists its accounts with their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from abm_tui.errors import AbmError
from abm_tui.history.diff import Diff, since
from abm_tui.history.movement import FLOW_DIMENSIONS, summary
from abm_tui.history.snapshots import Snapshot, history_folder, list_snapshots
from abm_tui.plan.changes import describe_changes
from abm_tui.plan.model import Plan
from abm_tui.session import Session
from abm_tui.tui.screens.drill import DrillScreen
from abm_tui.tui.session_thread import SessionThread
from abm_tui.tui.workers import ToApp, Tokens

FLOW_COLUMNS = ("account_id", "name", "reason")


@dataclass(frozen=True)
class CompareRequest:
    token: int
    against: Snapshot | None  # None: the baseline plan


@dataclass
class Compared(Message):
    """A comparison: the diff, or why there is none (a damaged snapshot)."""

    token: int
    diff: Diff | None
    error: str | None


class MovementScreen(ToApp, Screen[None]):
    """From-to flows between two segmentations of the session's accounts."""

    HELP_TITLE = "Movement"
    BINDINGS = [
        Binding("escape", "back", "Back", id="movement.back", tooltip="Back to the matrix"),
        Binding("g", "group", "Group by", id="movement.group", tooltip="Group flows by segment, tier, stage, "
                "bucket or play"),
        Binding("a", "against", "Against", id="movement.against",
                tooltip="Compare with the baseline plan or a snapshot from the plan's history"),
    ]

    def __init__(self, sessions: SessionThread, plan: Plan, against: Snapshot | None = None) -> None:
        super().__init__()
        self.sessions = sessions
        self.plan = plan  # the session's plan when the screen opened: its history folder and name
        self.against = against
        self.by = "segment"
        self.diff: Diff | None = None
        self._flows = pl.DataFrame()
        self.tokens = Tokens()

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
        self.compare()

    def compare(self) -> None:
        self.compute(CompareRequest(self.tokens.next(), self.against))

    @work(thread=True, exclusive=True, exit_on_error=False, group="movement", description="comparing the plans")
    def compute(self, request: CompareRequest) -> None:
        try:
            diff = self.sessions.ask(lambda session: since(session, request.against)).result()
        except AbmError as err:  # a damaged snapshot says why, in place of the flows
            self.post_message(Compared(request.token, None, str(err)))
            return
        self.post_message(Compared(request.token, diff, None))

    @on(Compared)
    def show(self, message: Compared) -> None:
        if not self.tokens.current(message.token):
            return  # the planner has chosen another comparison since
        if message.diff is None:
            self.query_one("#movement-summary", Static).update(f"could not compare: {message.error}")
            return
        self.diff = message.diff
        self.refill()

    def refill(self) -> None:
        if self.diff is None:
            return
        movement = self.diff.movement
        text = summary(movement, self.plan.name, by=self.by, top=0)  # the table lists the flows
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
            snapshots = list(reversed(list_snapshots(history_folder(self.plan))))
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
            self.compare()

        self.app.push_screen(ChooseOne("Compare the plan now with", labels, current), chosen)

    @on(DataTable.RowSelected, "#movement-flows")
    def drill(self, event: DataTable.RowSelected) -> None:
        if self.diff is None or not self._flows.height:
            return
        source, target, _ = self._flows.row(event.cursor_row)
        movement, by = self.diff.movement, self.by

        def fetch(_: Session) -> pl.DataFrame:
            accounts = movement.flow_accounts(by, source, target)
            return accounts.select(*FLOW_COLUMNS, pl.exclude(*FLOW_COLUMNS))

        self.app.push_screen(DrillScreen(self.sessions, f"{source} → {target}", fetch))
