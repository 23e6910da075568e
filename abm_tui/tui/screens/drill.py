"""The accounts behind one matrix cell: a virtualised table to sort, search and filter, and the way into one account.

The cell's accounts are fetched once, on the session thread; a cell's first page is fetched before them and
shown at once, so Enter on a cell of half a million accounts shows rows in a blink while the rest is built.
Every later view (search, filter by value or range, sort, the columns shown) is a Polars operation on that
frame, run in the same exclusive worker, and lands as a new table: textual-fastdatatable cannot be cleared or
refilled, and a new Arrow-backed table costs nothing per row, so 1,000,000 rows scroll as smoothly as 30.
Results of views the planner has already moved past are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import polars as pl
import polars.selectors as cs
import pyarrow as pa
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, LoadingIndicator, Static
from textual_fastdatatable import ArrowBackend, DataTable

from abm_tui.errors import AbmError
from abm_tui.plan.model import Plan
from abm_tui.session import Session
from abm_tui.tui.screens.account import AccountScreen
from abm_tui.tui.session_thread import SessionThread
from abm_tui.tui.workers import ToApp, Tokens

# Who, where the plan put it, then what a planner sorts and filters by; every other column follows.
FIRST_COLUMNS = (
    "account_id", "name", "domain", "fit_score", "tier", "stage", "bucket",
    "engagement_recent", "engagement_total", "play", "industry", "employees", "annual_revenue", "country",
    "owner", "opportunity_amount",
)
FIRST_PAGE = 200  # rows shown while the rest of a cell is built: a screenful, several times over
SEARCHED_COLUMNS = ("account_id", "name", "domain")
# `reason` is a paragraph and `segment` repeats tier and stage: the account screen shows both better.
LEFT_OUT = ("reason", "segment", "fit_criteria_met")
MAX_COLUMN_WIDTH = 40
TEXT_LIST = pl.List(pl.String)


def table_frame(accounts: pl.DataFrame) -> pl.DataFrame:
    """The columns a planner scans, most useful first; the long reason is left to the account screen. Lists of
    text read as one text (`tech_stack`: "Salesforce, Snowflake"), other lists are left out. Scores are rounded
    as shown, so filtering on a shown value finds it."""
    first = [c for c in FIRST_COLUMNS if c in accounts.columns]
    rest = [
        name for name, dtype in accounts.schema.items()
        if name not in first and name not in LEFT_OUT and (not isinstance(dtype, pl.List) or dtype == TEXT_LIST)
    ]
    return accounts.select(first + rest).with_columns(cs.float().round(1), cs.by_dtype(TEXT_LIST).list.join(", "))


def cell_title(rows: str, row: str | None, cols: str, col: str | None) -> str:
    """"Tier 1 / Considering"; a total (None) reads "Tier 1 / any stage"."""
    return " / ".join(label if label is not None else f"any {dim}" for dim, label in ((rows, row), (cols, col)))


@dataclass(frozen=True)
class Range:
    """Keep a number column's values from `low` to `high`, both included; None is open on that side."""

    column: str
    low: float | None
    high: float | None

    def expr(self) -> pl.Expr:
        value, keep = pl.col(self.column), pl.lit(True)
        if self.low is not None:
            keep &= value >= self.low
        if self.high is not None:
            keep &= value <= self.high
        return keep.fill_null(False)

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.column} {_number(self.low)} to {_number(self.high)}"
        return f"{self.column} {'≥' if self.low is not None else '≤'} {_number(self.low or self.high or 0)}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9}


def parse_range(column: str, text: str) -> Range:
    """`20m..`, `..500`, `10..20`, `1,000..5,000`: a range of a number column, either end open; AbmError if not."""
    low_text, sep, high_text = text.replace(" ", "").partition("..")
    if not sep:
        raise AbmError(f"{column}: expected a range such as 20m..50m, 200.. or ..5000, got {text!r}")
    ends = tuple(_parse_number(column, end) for end in (low_text, high_text))
    if ends == (None, None):
        raise AbmError(f"{column}: expected at least one end of the range, got {text!r}")
    low, high = ends
    if low is not None and high is not None and low > high:
        raise AbmError(f"{column}: the range starts above its end ({text!r})")
    return Range(column, low, high)


def _parse_number(column: str, text: str) -> float | None:
    if not text:
        return None
    scale = SUFFIXES.get(text[-1].lower(), 1.0)
    digits = text[:-1] if scale != 1.0 else text
    try:
        return float(digits.replace(",", "").replace("_", "")) * scale
    except ValueError:
        raise AbmError(f"{column}: {text!r} is not a number (20000000, 20m, 1.5k and 2,000 are)") from None


@dataclass(frozen=True)
class View:
    """What the planner asked to see of the cell: search text, equality filters and ranges, sort column and
    direction, and the columns shown (None: all, in `table_frame` order)."""

    search: str = ""
    filters: tuple[tuple[str, object], ...] = ()
    sort: tuple[str, bool] | None = None  # (column, descending)
    ranges: tuple[Range, ...] = ()
    columns: tuple[str, ...] | None = None

    def apply(self, source: pl.DataFrame) -> pl.DataFrame:
        frame = source
        if self.search:
            needle = self.search.lower()
            frame = frame.filter(pl.any_horizontal(
                pl.col(c).cast(pl.String).str.to_lowercase().str.contains(needle, literal=True).fill_null(False)
                for c in SEARCHED_COLUMNS if c in source.columns
            ))
        for column, value in self.filters:
            frame = frame.filter(pl.col(column).is_null() if value is None else pl.col(column) == value)
        for kept in self.ranges:
            frame = frame.filter(kept.expr())
        if self.sort is not None:
            column, descending = self.sort
            frame = frame.sort(column, descending=descending, nulls_last=True, maintain_order=True)
        if self.columns is not None:  # account_id stays: it is how a row opens its account
            frame = frame.select("account_id", *(c for c in self.columns if c != "account_id" and c in frame.columns))
        return frame

    @property
    def narrowed(self) -> bool:
        return bool(self.search or self.filters or self.ranges)

    def describe(self) -> list[str]:
        parts = [f'search "{self.search}"'] if self.search else []
        parts += [f"{column} = {'(blank)' if value is None else value}" for column, value in self.filters]
        parts += [kept.describe() for kept in self.ranges]
        if self.sort is not None:
            parts.append(f"sorted by {self.sort[0]} {'↓' if self.sort[1] else '↑'}")
        return parts


@dataclass(frozen=True)
class Anchor:
    """Where the cursor should land in the next view: on the same account if it is still there, else near
    the same row; always in the same column."""

    account_id: str | None
    row: int
    column: int

    def row_in(self, frame: pl.DataFrame) -> int:
        if self.account_id is not None and "account_id" in frame.columns:
            hits = (frame.get_column("account_id") == self.account_id).arg_true()
            if hits.len():
                return int(hits[0])
        return max(0, min(self.row, frame.height - 1))


class MeasuredBackend(ArrowBackend):
    """An Arrow backend with its column widths given, not measured.

    Widths are measured once, on the whole cell, in the worker: a filtered or sorted view then costs no
    pass over a million strings, and its columns keep their place as the planner types a search.
    """

    def __init__(self, data: pa.Table, widths: Sequence[int]) -> None:
        super().__init__(data)
        self.render_markup = False  # account names are text, never Rich markup
        self._widths = list(widths)

    @property
    def column_content_widths(self) -> list[int]:
        return self._widths


def measure(frame: pl.DataFrame) -> list[int]:
    backend = ArrowBackend(frame.to_arrow())
    backend.render_markup = False
    return list(backend.column_content_widths)


def page_widths(page: pl.DataFrame) -> list[int]:
    """A first page's widths as its values read as text, measured in Polars: the table's own measure imports
    pyarrow.compute on first use (over a second), which the first rows must not wait for. Text as Polars writes
    it is never narrower than the table's (`1e+07` for 10000000.0), booleans get their tick; the whole cell's
    measured widths replace these."""
    lengths = page.select(pl.col(c).cast(pl.String).str.len_chars().max().fill_null(0) for c in page.columns)
    ticks = [2 if dtype == pl.Boolean else 0 for dtype in page.dtypes]
    return [int(n) + tick for n, tick in zip(lengths.row(0), ticks, strict=True)] if page.width else []


@dataclass(frozen=True)
class ViewRequest:
    """A view to compute: on the cell's accounts once fetched (`source`), else after fetching them."""

    token: int
    source: pl.DataFrame | None
    widths: tuple[int, ...]
    view: View
    anchor: Anchor


@dataclass
class ViewReady(Message):
    """A view computed in the worker, ready to mount: its table backend and where the cursor goes. A first page
    has no `source` yet and says how many accounts the whole cell holds (`total`)."""

    token: int
    source: pl.DataFrame | None
    widths: tuple[int, ...]
    view: View
    frame: pl.DataFrame
    backend: MeasuredBackend
    row: int
    column: int
    total: int | None = None


@dataclass
class ViewFailed(Message):
    """The accounts could not be fetched (an unknown cell): said in the caption."""

    token: int
    reason: str


class AccountTable(DataTable):
    """The drilled accounts; Enter opens the one under the cursor (the screen handles CellSelected)."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open account", id="drill.open",
                tooltip="Why this account sits here: fit, rules, play and engagement over time"),
    ]


class SearchBox(Input):
    """The `/` search line; Enter or Escape closes it and keeps the search."""

    BINDINGS = [
        Binding("escape", "screen.close_search", "Close search", id="drill.close_search",
                tooltip="Hide the search line; the search stays applied (F clears it)"),
    ]


class DrillScreen(ToApp, Screen[None]):
    """A list of accounts fetched once in a thread: one matrix cell's (see `of_cell`) or one movement flow's."""

    HELP_TITLE = "Drill-down"

    AUTO_FOCUS = None  # the table takes focus once it is mounted, not the hidden search line
    BINDINGS = [
        Binding("escape", "back", "Back", id="drill.back", tooltip="Back to the matrix, where you were"),
        Binding("slash", "search", "Search", id="drill.search",
                tooltip="Keep accounts whose id, name or domain contain the text"),
        Binding("s", "sort", "Sort", id="drill.sort",
                tooltip="Sort by the cursor's column (numbers biggest first); again to reverse"),
        Binding("o", "sort_by", "Sort by", id="drill.sort_by", tooltip="Sort by a column picked from a list"),
        Binding("f", "filter", "Filter", id="drill.filter", tooltip="Keep accounts with the value under the cursor"),
        Binding("g", "range", "Range", id="drill.range",
                tooltip="Keep accounts whose number in the cursor's column lies in a range (20m..50m, 200.., ..5000)"),
        Binding("F", "clear_filters", "Clear filters", id="drill.clear_filters",
                tooltip="Drop every filter, range and the search"),
        Binding("c", "choose_columns", "Columns", id="drill.columns", tooltip="Choose the columns shown"),
    ]

    def __init__(self, sessions: SessionThread, title: str, fetch: Callable[[Session], pl.DataFrame],
                 first: Callable[[Session], tuple[pl.DataFrame, int]] | None = None) -> None:
        super().__init__()
        self.sessions = sessions
        self.fetch = fetch  # runs on the session thread
        self.first = first  # the first page and the whole count, shown while `fetch` builds the rest
        self._total: int | None = None  # the whole count while only the first page is on screen
        self.title_text = title
        self._source: pl.DataFrame | None = None  # the whole cell, as the table shows it
        self._widths: tuple[int, ...] = ()
        self._view = View()
        self._frame: pl.DataFrame | None = None  # the source with the view applied: what is on screen
        self.tokens = Tokens()
        self._pending: View | None = None  # the view being computed, shown in the caption meanwhile

    @classmethod
    def of_cell(cls, sessions: SessionThread, plan: Plan, rows: str, row: str | None, cols: str,
                col: str | None) -> DrillScreen:
        """The accounts of one matrix cell (None for a row's or column's total), as `plan` counted them."""
        def first(session: Session) -> tuple[pl.DataFrame, int]:
            page = session.cell_accounts(rows, row, cols, col, plan, first=FIRST_PAGE)
            return table_frame(page), len(session.cell_positions(rows, row, cols, col, plan))

        return cls(sessions, cell_title(rows, row, cols, col),
                   lambda session: table_frame(session.cell_accounts(rows, row, cols, col, plan)), first)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._caption(), id="drill-caption", markup=False)  # searches and labels are data
        yield SearchBox(placeholder="search account_id, name, domain", id="drill-search")
        with Container(id="drill-body"):
            yield LoadingIndicator()
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.title_text
        self._request(View(), Anchor(None, 0, 0))

    # -- loading -----------------------------------------------------------------------------

    @property
    def _wanted(self) -> View:
        """The view last asked for: on screen, or still being computed."""
        return self._pending or self._view

    def _request(self, view: View, anchor: Anchor) -> None:
        """Compute `view` off the UI thread; a newer request makes this one stale."""
        self._pending = view
        self._update_caption()
        self._compute(ViewRequest(self.tokens.next(), self._source, self._widths, view, anchor))

    @work(thread=True, exclusive=True, exit_on_error=False, group="drill", description="listing the accounts")
    def _compute(self, request: ViewRequest) -> None:
        source, widths = request.source, request.widths
        if source is None:
            try:
                page, total = self.sessions.ask(self.first).result() if self.first is not None else (None, 0)
                if page is not None and page.height < total:
                    widths = tuple(page_widths(page))
                    self.post_message(ViewReady(request.token, None, widths, View(), page,
                                                MeasuredBackend(page.to_arrow(), widths), 0, 0, total))
                source = page if page is not None and page.height == total else self.sessions.ask(self.fetch).result()
            except AbmError as err:
                self.post_message(ViewFailed(request.token, str(err)))
                return
            widths = tuple(measure(source))
        frame = request.view.apply(source)
        width_of = dict(zip(source.columns, widths, strict=True))
        backend = MeasuredBackend(frame.to_arrow(), [width_of[c] for c in frame.columns])
        self.post_message(ViewReady(request.token, source, widths, request.view, frame, backend,
                                    request.anchor.row_in(frame), request.anchor.column))

    @on(ViewReady)
    async def _show(self, message: ViewReady) -> None:
        if not self.tokens.current(message.token):
            return
        row, column = message.row, message.column
        shown = self._table()
        if message.source is None:  # the first page: the rest follows with the same token
            self._total, self._frame = message.total, message.frame
        else:
            if self._total is not None and shown is not None:  # the rest of the first page: the cursor stays
                row, column = shown.cursor_coordinate
            self._source, self._widths, self._total = message.source, message.widths, None
            self._view, self._frame = message.view, message.frame
            self._pending = None
        table = AccountTable(backend=message.backend, id="drill-table", cursor_type="cell", zebra_stripes=True,
                             render_markup=False, max_column_content_width=MAX_COLUMN_WIDTH)
        body = self.query_one("#drill-body", Container)
        await body.remove_children()
        await body.mount(table)
        # The table learns its virtual size when idle; only then can it scroll the cursor into view.
        table.call_after_refresh(table.move_cursor, row=row, column=column)
        if not self.query_one(SearchBox).has_class("-open"):
            table.focus()
        self._update_caption()
        self.refresh_bindings()

    @on(ViewFailed)
    def _failed(self, message: ViewFailed) -> None:
        """A fetch that failed (an unknown cell) says why in the caption."""
        if self.tokens.current(message.token):
            self._pending = None
            self.query(LoadingIndicator).remove()
            self.query_one("#drill-caption", Static).update(f"{self.title_text} · could not load: {message.reason}")

    # -- caption -----------------------------------------------------------------------------

    def _caption(self) -> str:
        if self._source is None and self._total is not None and self._frame is not None:
            return (f"{self.title_text} · {self._total:,} accounts · the first {self._frame.height:,} shown, "
                    "the rest loading…")
        if self._source is None:
            return f"{self.title_text} · loading accounts…"
        total, shown = self._source.height, self._frame.height if self._frame is not None else 0
        count = f"showing {shown:,} of {total:,} accounts" if self._view.narrowed else f"{total:,} accounts"
        parts = [self.title_text, count, *self._view.describe()]
        if self._pending is not None:
            parts.append("updating…")
        return " · ".join(parts)

    def _update_caption(self) -> None:
        self.query_one("#drill-caption", Static).update(self._caption())

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that need rows are shown dimmed until there are some, and until the whole cell is there."""
        if action in ("sort", "filter", "range"):
            return True if self._source is not None and self._frame is not None and self._frame.height else None
        if action in ("search", "sort_by", "choose_columns"):
            return True if self._source is not None else None
        if action == "clear_filters":
            return True if self._wanted.narrowed else None
        return True

    def _table(self) -> AccountTable | None:
        tables = self.query(AccountTable)
        return tables.first() if tables else None

    def _anchor(self, follow: bool = True) -> Anchor:
        table = self._table()
        if table is None or self._frame is None:
            return Anchor(None, 0, 0)
        row, column = table.cursor_coordinate
        account = self._frame.get_column("account_id")[row] if follow and self._frame.height else None
        return Anchor(account, row if follow else 0, column)

    def _cursor_column(self) -> str | None:
        table = self._table()
        if table is None or self._frame is None:
            return None
        return self._frame.columns[table.cursor_coordinate.column]

    def action_back(self) -> None:
        self.dismiss()

    def action_search(self) -> None:
        box = self.query_one(SearchBox)
        with box.prevent(Input.Changed):
            box.value = self._wanted.search
        box.add_class("-open")
        box.focus()

    def action_close_search(self) -> None:
        self.query_one(SearchBox).remove_class("-open")
        table = self._table()
        if table is not None:
            table.focus()

    @on(Input.Changed, "#drill-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._request(replace(self._wanted, search=event.value.strip()), self._anchor())

    @on(Input.Submitted, "#drill-search")
    def _search_submitted(self) -> None:
        self.action_close_search()

    def action_sort(self) -> None:
        column = self._cursor_column()
        if column is None or self._source is None:
            return
        sort = self._wanted.sort
        # again on the same column reverses; a new one starts numbers biggest first (best fit), text A to Z
        numeric = self._source.schema[column].is_numeric()
        descending = (not sort[1]) if sort is not None and sort[0] == column else numeric
        self._request(replace(self._wanted, sort=(column, descending)), self._anchor(follow=False))

    def action_filter(self) -> None:
        column, table = self._cursor_column(), self._table()
        if column is None or table is None or self._frame is None:
            return
        value = self._frame.get_column(column)[table.cursor_coordinate.row]
        filters = tuple((c, v) for c, v in self._wanted.filters if c != column) + ((column, value),)
        self._request(replace(self._wanted, filters=filters), self._anchor())

    def action_clear_filters(self) -> None:
        box = self.query_one(SearchBox)
        with box.prevent(Input.Changed):
            box.clear()
        self._request(replace(self._wanted, search="", filters=(), ranges=()), self._anchor())

    def action_sort_by(self) -> None:
        """A column from a list, numbers biggest first and text A to Z; `s` on it again reverses."""
        from abm_tui.tui.modals import ChooseOne

        if self._source is None:
            return
        columns = self._source.columns
        sort = self._wanted.sort
        current = columns.index(sort[0]) if sort is not None and sort[0] in columns else 0

        def chosen(index: int | None) -> None:
            if index is not None and self._source is not None:
                column = columns[index]
                sort = (column, self._source.schema[column].is_numeric())
                self._request(replace(self._wanted, sort=sort), self._anchor(follow=False))

        self.app.push_screen(ChooseOne("Sort by", list(columns), current), chosen)

    def action_range(self) -> None:
        from abm_tui.tui.modals import AskText

        column = self._cursor_column()
        if column is None or self._source is None:
            return
        if not self._source.schema[column].is_numeric():
            self.notify(f"{column} is not a number column: f keeps the value under the cursor", severity="warning")
            return
        earlier = next((kept for kept in self._wanted.ranges if kept.column == column), None)
        shown = "" if earlier is None else (f"{'' if earlier.low is None else _number(earlier.low)}.."
                                            f"{'' if earlier.high is None else _number(earlier.high)}")

        def check(text: str) -> str | None:
            parse_range(column, text)  # AbmError: said in the dialog
            return None

        def typed(text: str | None) -> None:
            if text is not None:
                kept = parse_range(column, text)
                ranges = tuple(r for r in self._wanted.ranges if r.column != column) + (kept,)
                self._request(replace(self._wanted, ranges=ranges), self._anchor())

        self.app.push_screen(AskText(f"Keep {column} from..to (20m..50m, 200.., ..5000)", shown, check,
                                     placeholder="low..high"), typed)

    def action_choose_columns(self) -> None:
        from abm_tui.tui.modals import ChooseMany

        if self._source is None:
            return
        shown = set(self._wanted.columns or self._source.columns)
        choices = tuple((c, c, c in shown) for c in self._source.columns if c != "account_id")

        def chosen(columns: tuple[str, ...] | None) -> None:
            if columns is not None:
                self._request(replace(self._wanted, columns=columns), self._anchor())

        self.app.push_screen(ChooseMany("Columns shown (account_id always)", choices), chosen)

    @on(DataTable.CellSelected)
    def _open_account(self, event: DataTable.CellSelected) -> None:
        if self._frame is None:
            return
        account_id = self._frame.get_column("account_id")[event.coordinate.row]
        self.app.push_screen(AccountScreen(self.sessions, account_id))
