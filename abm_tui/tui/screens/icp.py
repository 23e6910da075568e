"""The ICP screen: what the won accounts share, how well the plan ranks them, and who looks like them.

Everything on it is one `gather` (outputs/icp_report.py, the report `abm-tui icp` prints) of the plan on
screen, run on the session thread; the worker then words it into rows (`IcpView`), so the UI thread only
mounts text. Five tabs: the lift table (most evidence first, small rows marked, lift as bars), the suggested
criteria, the backtest (per tier and fit-score band, the AUC, the gain curve as a picture), the lookalikes
per tier and the won accounts outside the target tiers; either list drills into its accounts as a matrix
cell does. Adding a suggestion asks for its points with the usual preview of what it moves; the screen then
closes with the criterion, and the workbench makes it an edit like any other (one undo step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from abm_tui.engine.outcomes.lookalikes import described
from abm_tui.engine.outcomes.outcome import Outcome
from abm_tui.engine.outcomes.report import IcpReport
from abm_tui.engine.outcomes.suggest import POINTS_PER_LOG_ODDS, Suggestion
from abm_tui.errors import AbmError
from abm_tui.outputs.icp_report import (
    ATTRIBUTE_HEAD,
    LOOKALIKE_HEAD,
    TIER_HEAD,
    attribute_rows,
    backtest_lines,
    bar,
    gather,
    heading,
    lookalike_rows,
    misplaced_line,
    rate_rows,
    suggestion_lines,
    top_lift,
)
from abm_tui.plan import edits
from abm_tui.plan.model import Criterion, Plan, Section
from abm_tui.session import Session
from abm_tui.tui.screens.drill import DrillScreen, table_frame
from abm_tui.tui.session_thread import SessionThread
from abm_tui.tui.widgets.gain_chart import GainChart
from abm_tui.tui.workers import ToApp, Tokens

TABS = ("lift", "suggested", "backtest", "lookalikes", "misplaced")
SHOWN_MISPLACED = 200  # rows in the table; the drill-down lists them all
# The report's columns with the bar beside the lift, the interval last: the picture stays on a narrow screen.
LIFT_ORDER = (0, 1, 2, 3, 4, 6, 7, 5)
LIFT_HEAD = [ATTRIBUTE_HEAD[j] for j in LIFT_ORDER]
SUGGESTED_HEAD = ["points", "criterion", "accounts", "won", "win rate", "lift", "", ""]
MISPLACED_HEAD = ["account_id", "name", "fit_score", "icp points", "criteria met"]
IN_PLAN = "in the plan"
Row = tuple[Text, ...]


@dataclass(frozen=True)
class IcpRequest:
    """The report asked for: of this plan, for this outcome; the theme's colour for a flagged row."""

    token: int
    plan: Plan
    outcome: Outcome
    flagged: str


@dataclass(frozen=True)
class Listed:
    """Accounts to drill into: a tier's lookalikes, or the won accounts outside the target tiers."""

    title: str
    accounts: pl.DataFrame  # account_id first, then what the ICP says of each (its points, the criteria met)


@dataclass(frozen=True)
class IcpView:
    """The report worded for the screen, row by row, in the worker."""

    report: IcpReport
    summary: str
    lift: tuple[Row, ...]
    suggestions: tuple[Suggestion, ...]
    suggested: tuple[Row, ...]
    suggested_notes: str
    backtest: str
    tiers: tuple[Row, ...]
    bands: tuple[Row, ...]
    gains: tuple[tuple[float, float], ...]
    lookalikes: tuple[Row, ...]
    lookalike_lists: tuple[Listed, ...]  # one per row of `lookalikes`: that row's tier
    misplaced_note: str
    misplaced: tuple[Row, ...]
    misplaced_list: Listed


@dataclass
class IcpGathered(Message):
    """The report of a request, or why there is none (no crm_stage column, no account won)."""

    token: int
    view: IcpView | None
    error: str | None


def _cells(values: list[str], text: int, style: str = "", tail: int = 1) -> Row:
    """Text cells: the first `text` columns and the last `tail` (a bar, a note) to the left, numbers to the right."""
    tails = len(values) - tail
    return tuple(Text(v, style=style, justify="left" if j < text or j >= tails else "right")
                 for j, v in enumerate(values))


def _rated(rows: list[list[str]], flagged: str) -> tuple[Row, ...]:
    """Tiers or bands; a target tier converting worse than Not target is shown in the flag colour."""
    return tuple(_cells(r, 1, f"bold {flagged}" if r[0].endswith("(below Not target)") else "") for r in rows)


def _suggested(report: IcpReport, plan: Plan) -> tuple[Row, ...]:
    items = report.suggestions.items
    top = top_lift(pl.DataFrame({"lift": [s.lift for s in items]}, schema={"lift": pl.Float64}))
    present = {c.name for c in plan.criteria}
    return tuple(
        _cells([f"{s.points:+d}", s.name, f"{s.accounts:,}", f"{s.won:,}", f"{s.win_rate:.1%}", f"{s.lift:.2f}",
                bar(s.lift, top), IN_PLAN if s.name in present else ""], 2, tail=2)
        for s in items
    )


def _icp_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """What the drill-down adds beside each account: its points under the suggestions and the criteria met."""
    return frame.select("account_id", pl.col("icp_score").alias("icp_points"), pl.col("reason").alias("icp_criteria"))


def _lookalike_lists(report: IcpReport) -> tuple[Listed, ...]:
    frame = report.lookalikes
    shown = _icp_columns(frame)
    tiers = frame.get_column("tier").to_list()
    lists = {
        tier: Listed(f"{tier}: not-yet-won accounts that look like the won ones",
                     shown.filter(frame.get_column("tier") == tier))
        for tier in dict.fromkeys(tiers)
    }
    return tuple(lists[tier] for tier in tiers)


def gathered(session: Session, request: IcpRequest) -> tuple[IcpReport, pl.DataFrame]:
    """The report, and its won accounts outside the target tiers described (run on the session thread)."""
    report = gather(session, request.outcome, request.plan)
    return report, described(session.engine.frame(request.plan), report.misplaced, report.suggestions)


def icp_view(report: IcpReport, misplaced: pl.DataFrame, request: IcpRequest) -> IcpView:
    """Everything the screen shows, worded once, off the UI thread; `misplaced` as `described` gives it."""
    bt = report.backtest
    small = report.lift.rows.get_column("small").to_list()
    lift = tuple(_cells([cells[j] for j in LIFT_ORDER], 2, "dim" if is_small else "", tail=2)
                 for cells, is_small in zip(attribute_rows(report, None), small, strict=True))
    notes = [line for line in suggestion_lines(report.suggestions) if line.startswith(("left out", "none"))]
    return IcpView(
        report=report,
        summary=" · ".join([*heading(report), backtest_lines(bt)[-1]]),
        lift=lift,
        suggestions=report.suggestions.items,
        suggested=_suggested(report, request.plan),
        suggested_notes="\n".join(notes),
        backtest="\n".join(backtest_lines(bt)),
        tiers=_rated(rate_rows(bt.tiers, "tier"), request.flagged),
        bands=_rated(rate_rows(bt.bands, "band"), request.flagged),
        gains=tuple((float(top), float(share)) for top, share in bt.gains.select("top", "share_of_wins").rows()),
        lookalikes=tuple(_cells(r, 3) for r in lookalike_rows(report)),
        lookalike_lists=_lookalike_lists(report),
        misplaced_note=misplaced_line(report) + (
            f"; the first {SHOWN_MISPLACED:,} below, enter lists them all" if misplaced.height > SHOWN_MISPLACED
            else ("; enter lists them" if misplaced.height else "")),
        misplaced=tuple(_cells([r["account_id"], r["name"] or "", f"{r['fit_score']}", f"{r['icp_score']}",
                                r["reason"] or ""], 2)
                        for r in misplaced.head(SHOWN_MISPLACED).iter_rows(named=True)),
        misplaced_list=Listed(f"{report.outcome.noun.capitalize()}, outside the target tiers",
                              _icp_columns(misplaced)),
    )


def listed_accounts(listed: Listed, plan: Plan) -> Callable[[Session], pl.DataFrame]:
    """The drill-down's fetch (run on the session thread): the listed accounts as a cell lists them, in the
    list's order, with the ICP's columns beside their names."""

    def fetch(session: Session) -> pl.DataFrame:
        frame = table_frame(session.accounts(listed.accounts.get_column("account_id").to_list(), plan))
        lead = [c for c in ("account_id", "name") if c in frame.columns]
        extra = [c for c in listed.accounts.columns if c != "account_id"]
        joined = frame.join(listed.accounts, on="account_id", how="left", maintain_order="left")
        return joined.select(*lead, *extra, pl.exclude(*lead, *extra))

    return fetch


class IcpTable(DataTable):
    """One of the screen's tables: rows selected whole, enter does the row's action (add, or drill)."""


class IcpScreen(ToApp, Screen[Criterion | None]):
    """The ICP report of the plan on screen; closes with a criterion to add, or None."""

    HELP_TITLE = "ICP discovery and backtest"
    BINDINGS = [
        Binding("escape", "back", "Back", id="icp.back", tooltip="Back to the matrix, adding nothing"),
        Binding("a", "add", "Add to plan", id="icp.add",
                tooltip="Add the suggestion under the cursor as a fit criterion (its points, previewed first)"),
        Binding("d", "drill", "Drill", id="icp.drill",
                tooltip="List the accounts of the row under the cursor, as a matrix cell lists them"),
        Binding("o", "outcome", "Outcome", id="icp.outcome",
                tooltip="Learn from won deals, or from every account that reached an opportunity"),
        *(Binding(str(i), f"tab('{name}')", name.capitalize(), show=False, id=f"icp.tab-{name}")
          for i, name in enumerate(TABS, 1)),
    ]

    def __init__(self, sessions: SessionThread, plan: Plan, outcome: Outcome = Outcome.WON) -> None:
        super().__init__()
        self.sessions = sessions
        self.plan = plan
        self.outcome = outcome
        self.view: IcpView | None = None
        self.tokens = Tokens()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("learning what the won accounts share…", id="icp-summary", markup=False)
        with TabbedContent(id="icp-tabs"):
            with TabPane("1 Lift", id="lift"):
                yield Static("", id="icp-lift-note", classes="icp-note", markup=False)
                yield IcpTable(id="icp-lift", cursor_type="row", zebra_stripes=True)
            with TabPane("2 Suggested", id="suggested"):
                yield Static(f"{POINTS_PER_LOG_ODDS} points per e-fold of the odds (a ridge-regularised logistic "
                             "regression on the strongest values, correlated ones counted once) · a or enter adds "
                             "one to the plan, previewing what it moves", classes="icp-note", markup=False)
                yield IcpTable(id="icp-suggested", cursor_type="row", zebra_stripes=True)
                yield Static("", id="icp-suggested-notes", classes="icp-note", markup=False)
            with TabPane("3 Backtest", id="backtest"), VerticalScroll(id="icp-backtest-body"):
                yield Static("", id="icp-backtest", classes="icp-note", markup=False)
                yield IcpTable(id="icp-tiers", cursor_type="row", classes="icp-short")
                yield Static("Cumulative gains: the share of the wins held by the top accounts by fit score",
                             classes="icp-heading", markup=False)
                yield GainChart(id="icp-gains")
                yield Static("Per fit-score band", classes="icp-heading", markup=False)
                yield IcpTable(id="icp-bands", cursor_type="row", classes="icp-short")
            with TabPane("4 Lookalikes", id="lookalikes"):
                yield Static("Per tier, the not-yet-won accounts that look most like the won ones (most points "
                             "under the suggested criteria) · enter or d lists a tier's, to sort and open",
                             classes="icp-note", markup=False)
                yield IcpTable(id="icp-lookalikes", cursor_type="row", zebra_stripes=True)
            with TabPane("5 Misplaced", id="misplaced"):
                yield Static("", id="icp-misplaced-note", classes="icp-note", markup=False)
                yield IcpTable(id="icp-misplaced", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "ICP discovery and backtest"
        self.request()

    def request(self) -> None:
        flagged = self.app.current_theme.error or "red"
        self.query_one("#icp-summary", Static).update(f"learning what the accounts that {self._verb} share…")
        self.compute(IcpRequest(self.tokens.next(), self.plan, self.outcome, flagged))

    @property
    def _verb(self) -> str:
        return "won" if self.outcome is Outcome.WON else "reached an opportunity"

    @work(thread=True, exclusive=True, exit_on_error=False, group="icp", description="learning the ICP")
    def compute(self, request: IcpRequest) -> None:
        try:
            report, misplaced = self.sessions.ask(lambda session: gathered(session, request)).result()
        except AbmError as err:  # no crm_stage, no account won: said in place of the tables
            self.post_message(IcpGathered(request.token, None, str(err)))
            return
        self.post_message(IcpGathered(request.token, icp_view(report, misplaced, request), None))

    @on(IcpGathered)
    def show(self, message: IcpGathered) -> None:
        if not self.tokens.current(message.token):
            return
        if message.view is None:
            self.view = None
            self.query_one("#icp-summary", Static).update(f"no ICP: {message.error}")
            for table in self.query(IcpTable):
                table.clear(columns=True)
            self.refresh_bindings()
            return
        view = self.view = message.view
        self.query_one("#icp-summary", Static).update(view.summary)
        lift = view.report.lift
        self.query_one("#icp-lift-note", Static).update(
            f"{lift.rows.height:,} values, most evidence first (lift and support together: standard errors from the "
            "base rate) · * and dim: too few accounts to say much")
        self._fill("#icp-lift", LIFT_HEAD, view.lift)
        self._fill("#icp-suggested", SUGGESTED_HEAD, view.suggested)
        self.query_one("#icp-suggested-notes", Static).update(view.suggested_notes)
        self.query_one("#icp-backtest", Static).update(view.backtest)
        self._fill("#icp-tiers", TIER_HEAD, view.tiers)
        self.query_one(GainChart).gains = view.gains
        self._fill("#icp-bands", ["fit_score", *TIER_HEAD[1:]], view.bands)
        self._fill("#icp-lookalikes", LOOKALIKE_HEAD, view.lookalikes)
        self.query_one("#icp-misplaced-note", Static).update(view.misplaced_note)
        self._fill("#icp-misplaced", MISPLACED_HEAD, view.misplaced)
        self.refresh_bindings()

    def _fill(self, selector: str, head: list[str], rows: tuple[Row, ...]) -> None:
        table = self.query_one(selector, IcpTable)
        table.clear(columns=True)
        table.add_columns(*head)
        table.add_rows(rows)

    # -- actions -----------------------------------------------------------------------------

    @property
    def _tab(self) -> str:
        return self.query_one(TabbedContent).active

    def _row(self, selector: str) -> int | None:
        table = self.query_one(selector, IcpTable)
        return table.cursor_row if table.row_count else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Add and drill are shown dimmed where they do nothing."""
        if action == "add":
            return True if self.view is not None and self._tab == "suggested" and self.view.suggestions else None
        if action == "drill":
            if self.view is None or self._tab not in ("lookalikes", "misplaced"):
                return None
            return True if self.view.lookalikes or self.view.misplaced else None
        return True

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = name
        tables = self.query_one(f"#{name}", TabPane).query(IcpTable)
        if tables:
            tables.first().focus()

    def action_outcome(self) -> None:
        self.outcome = Outcome.OPPORTUNITY if self.outcome is Outcome.WON else Outcome.WON
        self.request()

    def action_add(self) -> None:
        from abm_tui.tui.modals import AskText
        from abm_tui.tui.screens.workbench import problems_text

        row = self._row("#icp-suggested")
        if self.view is None or row is None:
            self.app.bell()
            return
        suggestion = self.view.suggestions[row]
        plan = self.plan

        def criterion(text: str) -> Criterion:
            return replace(suggestion.criterion(), points=edits.parse_whole(text))

        def added(text: str) -> Plan:
            return edits.add_rule(plan, Section.CRITERIA, criterion(text))

        def check(text: str) -> str | None:
            new = added(text)  # points that do not parse, a name the plan has: refused here (AbmError)
            return self.sessions.ask(lambda session: problems_text(session, new)).result()

        def preview(text: str) -> str:
            return self.sessions.preview(added(text)).result()

        def chosen(text: str | None) -> None:
            if text is not None:
                self.dismiss(criterion(text))

        self.app.push_screen(AskText(f"Add to the fit criteria, with its points: {suggestion.evidence}",
                                     str(suggestion.points), check, preview=preview, preview_first=True), chosen)

    def action_drill(self) -> None:
        if self.view is None:
            return
        if self._tab == "lookalikes":
            row = self._row("#icp-lookalikes")
            listed = self.view.lookalike_lists[row] if row is not None else None
        else:
            listed = self.view.misplaced_list if self.view.misplaced else None
        if listed is None:
            self.app.bell()
            return
        self.app.push_screen(DrillScreen(self.sessions, listed.title, listed_accounts(listed, self.plan)))

    @on(DataTable.RowSelected, "#icp-suggested")
    def _add_selected(self) -> None:
        self.action_add()

    @on(DataTable.RowSelected, "#icp-lookalikes, #icp-misplaced")
    def _drill_selected(self) -> None:
        self.action_drill()
