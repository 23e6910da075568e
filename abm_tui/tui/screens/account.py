"""One account in full: who it is, why it sits where it does, and its engagement week by week.

The words come from the core's `explain` (the same text as `abm-tui explain`), so the screen and the
command line never disagree; this screen only lays them out, marks what passed and failed, and adds
a sparkline per channel. Everything is gathered on the session thread, asked by a worker: at 1,000,000
accounts and 20,000,000 events, finding the account's row and its events takes long enough to be felt.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Label, LoadingIndicator, Sparkline, Static

from abm_tui.engine.explain import COMMITTEE_HEADING, find_row
from abm_tui.engine.timeline import engaged_values, weekly_engagement
from abm_tui.errors import AbmError
from abm_tui.session import Session
from abm_tui.tui.session_thread import SessionThread
from abm_tui.tui.workers import ToApp, Tokens

WEEKS = 26  # the sparklines' span; drill.tcss makes each one WEEKS cells wide, a cell per week
FIRMOGRAPHICS = (
    "industry", "employees", "annual_revenue", "country", "region", "funding_stage", "tech_stack", "crm_stage",
    "opportunity_amount", "owner",
)
MARKS = (
    (r"✓( met)?", "$text-success"),
    (r"✗( missed| did not match| matched)?", "$text-error"),
    (r"→ fired", "bold $text-accent"),
)


def shown(value: object) -> str:
    """A value as a planner reads it: thousands separators, lists joined, whole floats without decimals."""
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def marked(block: str) -> Content:
    """An `explain` block with its first line as a heading and each ✓ / ✗ / → in the theme's colours."""
    content = Content(block).stylize("bold", 0, len(block.split("\n", 1)[0]))
    for pattern, style in MARKS:
        content = content.highlight_regex(pattern, style=style)
    return content


@dataclass(frozen=True)
class AccountDetail:
    """Everything the screen shows, gathered off the UI thread."""

    heading: str
    blocks: tuple[str, ...]
    firmographics: tuple[tuple[str, str], ...]
    weekly: dict[str, list[float]] | None  # None: the plan has no engagement file
    themes: tuple[tuple[str, float], ...]
    personas: tuple[tuple[str, float], ...]
    window_days: int
    as_of: str


def gather(session: Session, account_id: str) -> AccountDetail:
    """The account's explanation, firmographics and engagement; raises AbmError for an unknown id."""
    heading, *parts = session.explain(account_id).split("\n\n")
    blocks = tuple(part for part in parts if part.strip())
    # the people come first after who the account is: who to talk to is what sales opens the screen for
    committee = tuple(block for block in blocks if block.startswith(COMMITTEE_HEADING))
    blocks = committee + tuple(block for block in blocks if block not in committee)
    row = find_row(session.engine, account_id, session.report.accounts_file)
    values = session.engine.table.row(row, named=True)
    firmographics = tuple((c, shown(values[c])) for c in FIRMOGRAPHICS if values.get(c) not in (None, "", []))
    events, channels = session.workspace.dataset.events, session.engine.channels
    window = session.plan.engagement.window_days
    if events is None or channels is None:
        return AccountDetail(heading, blocks, firmographics, None, (), (), window, session.as_of.isoformat())
    return AccountDetail(
        heading,
        blocks,
        firmographics,
        weekly_engagement(events, row, channels, session.as_of, WEEKS),
        tuple(engaged_values(events, row, "intent_theme", session.as_of, window)),
        tuple(engaged_values(events, row, "persona", session.as_of, window)),
        window,
        session.as_of.isoformat(),
    )


@dataclass(frozen=True)
class AccountRequest:
    token: int
    account_id: str


@dataclass
class Loaded(Message):
    """The gathered detail, posted by the worker and mounted on the UI thread."""

    token: int
    detail: AccountDetail


@dataclass
class Unavailable(Message):
    """The account cannot be shown (an unknown id): said in place of the detail."""

    token: int
    reason: str


def listed(values: tuple[tuple[str, float], ...]) -> str:
    return " · ".join(f"{name} {shown(count)}" for name, count in values) or "none"


class AccountScreen(ToApp, Screen[None]):
    """The detail of one account under the session's current plan."""

    HELP_TITLE = "Account"

    BINDINGS = [
        Binding("escape", "back", "Back", id="account.back", tooltip="Back to the accounts, where you were"),
    ]

    def __init__(self, sessions: SessionThread, account_id: str) -> None:
        super().__init__()
        self.sessions = sessions
        self.account_id = account_id
        self.tokens = Tokens()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.account_id, id="account-title", markup=False)
        with VerticalScroll(id="account-body"):
            yield LoadingIndicator()
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.account_id
        self._gather(AccountRequest(self.tokens.next(), self.account_id))

    @work(thread=True, exclusive=True, exit_on_error=False, group="account", description="gathering the account")
    def _gather(self, request: AccountRequest) -> None:
        try:
            detail = self.sessions.ask(lambda session: gather(session, request.account_id)).result()
        except AbmError as err:
            self.post_message(Unavailable(request.token, str(err)))
            return
        self.post_message(Loaded(request.token, detail))

    @on(Loaded)
    async def _show(self, message: Loaded) -> None:
        if not self.tokens.current(message.token):
            return
        detail = message.detail
        self.query_one("#account-title", Static).update(marked(detail.heading.strip()))
        body = self.query_one("#account-body", VerticalScroll)
        await body.remove_children()
        widgets: list[Widget] = []
        if detail.firmographics:
            lines = "\n".join(f"  {name:<20}{value}" for name, value in detail.firmographics)
            widgets.append(Static(marked(f"Firmographics\n{lines}"), classes="account-section"))
        widgets += [Static(marked(block), classes="account-section") for block in detail.blocks]
        widgets += self._engagement(detail)
        await body.mount_all(widgets)
        body.focus()

    def _engagement(self, detail: AccountDetail) -> list[Static | Horizontal]:
        if detail.weekly is None:
            return [Static("No engagement file in this plan, so there is no engagement over time to show.",
                           classes="account-note", markup=False)]
        title = Static(marked(f"Engagement per week, the {WEEKS} weeks to {detail.as_of} (oldest left, total right)"),
                       classes="account-subtitle")
        if not detail.weekly:
            rows: list[Static | Horizontal] = [
                Static(f"No engagement in the {WEEKS} weeks to {detail.as_of}.", classes="account-note", markup=False)
            ]
        else:
            rows = [
                Horizontal(
                    Label(channel, classes="channel-name", markup=False),
                    Sparkline(series, classes="channel-spark"),
                    Label(shown(round(sum(series), 1)), classes="channel-total", markup=False),
                    classes="channel-row",
                )
                for channel, series in detail.weekly.items()
            ]
        people = Static(
            f"Intent themes, last {detail.window_days} days: {listed(detail.themes)}\n"
            f"Personas engaged, last {detail.window_days} days: {listed(detail.personas)}",
            classes="account-section account-people",
            markup=False,
        )
        return [title, *rows, people]

    @on(Unavailable)
    async def _unavailable(self, message: Unavailable) -> None:
        if self.tokens.current(message.token):
            await self._say(message.reason)

    async def _say(self, reason: str) -> None:
        body = self.query_one("#account-body", VerticalScroll)
        await body.remove_children()
        await body.mount(Static(f"Could not show {self.account_id}: {reason}", classes="account-note", markup=False))

    def action_back(self) -> None:
        self.dismiss()
