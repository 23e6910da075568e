"""Movement: which accounts moved, from where to where, and why; against the baseline plan or a snapshot.

Against the baseline plan it answers "what have my edits done since I pinned it"; against a snapshot
from the plan's history, "what moved since that week". The comparison runs on the session thread (it
segments the current plan and reads the snapshot); regrouping the flows by segment, tier, stage, bucket
or play is a Polars group-by on the result, in the screen's worker; Enter on a flow lists its accounts
with their reasons.
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
    """A comparison with `against` (None: the baseline plan), its flows grouped `by`; `diff` when it is known
    already and only the grouping changes."""

    token: int
    against: Snapshot | None
    by: str
    diff: Diff | None = None


@dataclass
class Compared(Message):
    """A comparison and its flows grouped as asked, or why there is none (a damaged snapshot)."""

    token: int
    diff: Diff | None
    by: str
    flows: pl.DataFrame
    summary: str
    error: str | None = None


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
        self._flows_by = self.by  # what the flows on screen are grouped by
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

    def compare(self, diff: Diff | None = None) -> None:
        self.compute(CompareRequest(self.tokens.next(), self.against, self.by, diff))

    @work(thread=True, exclusive=True, exit_on_error=False, group="movement", description="comparing the plans")
    def compute(self, request: CompareRequest) -> None:
        """The diff on the session thread (it segments the plan now); the grouping here, off the UI thread."""
        try:
            diff = request.diff or self.sessions.ask(lambda session: since(session, request.against)).result()
        except AbmError as err:  # a damaged snapshot says why, in place of the flows
            self.post_message(Compared(request.token, None, request.by, pl.DataFrame(), "", str(err)))
            return
        movement = diff.movement
        text = summary(movement, self.plan.name, by=request.by, top=0)  # the table lists the flows
        self.post_message(Compared(request.token, diff, request.by, movement.flows(request.by), text))

    @on(Compared)
    def show(self, message: Compared) -> None:
        if not self.tokens.current(message.token):
            return  # the planner has chosen another comparison or grouping since
        if message.diff is None:
            self.query_one("#movement-summary", Static).update(f"could not compare: {message.error}")
            return
        self.diff, self._flows, self._flows_by = message.diff, message.flows, message.by
        self.query_one("#movement-summary", Static).update(
            message.summary + f"\nflows by {message.by} · enter lists the accounts")
        diff = message.diff
        changes = describe_changes(diff.changes) if diff.changes else "no rule changes between the plans"
        notes = "\n".join(f"note: {note}" for note in diff.notes)
        self.query_one("#movement-changes", Static).update("\n".join(filter(None, ["Plan changes", changes, notes])))
        table = self.query_one("#movement-flows", DataTable)
        table.clear(columns=True)
        table.add_columns("from", "to", "accounts")
        table.add_rows((source, target, f"{n:,}") for source, target, n in self._flows.iter_rows())
        table.focus()

    def action_back(self) -> None:
        self.dismiss()

    def action_group(self) -> None:
        self.by = FLOW_DIMENSIONS[(FLOW_DIMENSIONS.index(self.by) + 1) % len(FLOW_DIMENSIONS)]
        self.compare(self.diff)

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
        movement, by = self.diff.movement, self._flows_by

        def fetch(_: Session) -> pl.DataFrame:
            accounts = movement.flow_accounts(by, source, target)
            return accounts.select(*FLOW_COLUMNS, pl.exclude(*FLOW_COLUMNS))

        self.app.push_screen(DrillScreen(self.sessions, f"{source} → {target}", fetch))
