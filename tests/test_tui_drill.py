"""Drill-down and account detail driven for real with Pilot, on the generated 3,000-account demo.

A tiny host app pushes the screen under test, so these tests do not depend on the main app.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Sparkline, Static

from abm_tui.engine.explain import find_row
from abm_tui.engine.timeline import weekly_engagement
from abm_tui.session import Session
from abm_tui.tui.screens.account import WEEKS, AccountScreen
from abm_tui.tui.screens.drill import AccountTable, DrillScreen, SearchBox
from tests.pilot import settled, started

SIZE = (160, 48)


class Host(App[None]):
    """Pushes one screen on mount, the way the workbench will."""

    def __init__(self, first: DrillScreen | AccountScreen) -> None:
        super().__init__()
        self.first = first

    def on_mount(self) -> None:
        self.push_screen(self.first)

    def on_unmount(self) -> None:
        self.first.sessions.stop()


def shown_rows(app: App) -> pl.DataFrame:
    """What the table on screen holds, read back from its Arrow backend."""
    table = app.screen.query_one(AccountTable)
    return pl.from_arrow(table.backend.data)


def caption(app: App) -> str:
    return str(app.screen.query_one("#drill-caption", Static).render())


def screen_text(app: App) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


async def move_to_column(app: App, pilot: Pilot, name: str) -> None:
    table = app.screen.query_one(AccountTable)
    for _ in range(shown_rows(app).columns.index(name) - table.cursor_coordinate.column):
        await pilot.press("right")


def drill(session: Session, row: str | None = "Tier 2", col: str | None = "Identified") -> Host:
    return Host(DrillScreen.of_cell(started(session), session.plan, "tier", row, "stage", col))


async def test_drilling_a_cell_shows_exactly_its_accounts(demo_session: Session) -> None:
    expected = demo_session.matrix().cell("Tier 2", "Identified")
    assert expected > 20
    app = drill(demo_session)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        table = app.screen.query_one(AccountTable)
        assert table.row_count == expected
        assert table.has_focus
        rows = shown_rows(app)
        assert rows.columns[:16] == ["account_id", "name", "domain", "fit_score", "tier", "stage", "bucket",
                                     "engagement_recent", "engagement_total", "play", "industry", "employees",
                                     "annual_revenue", "country", "owner", "opportunity_amount"]
        assert "reason" not in rows.columns and "fit_criteria_met" not in rows.columns
        assert rows.schema["tech_stack"] == pl.String  # a list of text reads as one text
        assert set(rows.get_column("tier")) == {"Tier 2"} and set(rows.get_column("stage")) == {"Identified"}
        assert caption(app) == f"Tier 2 / Identified · {expected:,} accounts"


@pytest.mark.parametrize(("row", "col"), [("Tier 2", None), (None, "Identified"), (None, None)])
async def test_a_row_or_column_total_drills_every_account_in_it(
    demo_session: Session, row: str | None, col: str | None
) -> None:
    matrix = demo_session.matrix()
    rows = [matrix.rows.index(row)] if row else slice(None)
    cols = [matrix.cols.index(col)] if col else slice(None)
    expected = int(matrix.values[rows][:, cols].sum())
    app = drill(demo_session, row, col)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert app.screen.query_one(AccountTable).row_count == expected
        assert f"{expected:,} accounts" in caption(app)


async def test_search_keeps_accounts_whose_id_name_or_domain_contain_the_text(demo_session: Session) -> None:
    app = drill(demo_session)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        total = shown_rows(app).height
        needle = shown_rows(app).get_column("name")[3].split()[0][:5].upper()  # case does not matter
        await pilot.press("slash")
        assert app.screen.query_one(SearchBox).has_focus
        await pilot.press(*needle)
        await settled(pilot)
        rows = shown_rows(app)
        hits = pl.any_horizontal(pl.col(c).str.to_lowercase().str.contains(needle.lower(), literal=True)
                                 for c in ("account_id", "name", "domain"))
        assert 0 < rows.height < total
        assert rows.filter(hits).height == rows.height
        expected = demo_session.cell_accounts("tier", "Tier 2", "stage", "Identified").filter(hits).height
        assert rows.height == expected
        assert f"showing {expected:,} of {total:,} accounts" in caption(app)
        await pilot.press("enter")
        await settled(pilot)
        assert not app.screen.query_one(SearchBox).has_class("-open")
        assert app.screen.query_one(AccountTable).has_focus
        assert shown_rows(app).height == expected  # closing the line keeps the search


def cursor_in_view(table: AccountTable) -> bool:
    return table.scroll_y <= table.cursor_row < table.scroll_y + table.size.height - 1  # one line of header


async def test_filter_keeps_the_value_under_the_cursor_and_shift_f_clears(demo_session: Session) -> None:
    app = drill(demo_session)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        everything = shown_rows(app)
        await pilot.press("end")  # far down, so keeping the cursor on its account means scrolling
        await move_to_column(app, pilot, "bucket")
        table = app.screen.query_one(AccountTable)
        value = everything.get_column("bucket")[table.cursor_row]
        account = everything.get_column("account_id")[table.cursor_row]
        await pilot.press("f")
        await settled(pilot)
        rows = shown_rows(app)
        assert set(rows.get_column("bucket")) == {value}
        assert rows.height == everything.filter(pl.col("bucket") == value).height < everything.height
        assert f"bucket = {value}" in caption(app)
        table = app.screen.query_one(AccountTable)
        assert table.cursor_column == everything.columns.index("bucket")
        assert rows.get_column("account_id")[table.cursor_row] == account and cursor_in_view(table)
        await pilot.press("F")
        await settled(pilot)
        table = app.screen.query_one(AccountTable)
        assert shown_rows(app).height == everything.height
        assert everything.get_column("account_id")[table.cursor_row] == account and cursor_in_view(table)
        assert caption(app) == f"Tier 2 / Identified · {everything.height:,} accounts"


async def test_sort_puts_the_biggest_first_and_again_reverses(demo_session: Session) -> None:
    app = drill(demo_session)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        scores = shown_rows(app).get_column("fit_score")
        await move_to_column(app, pilot, "fit_score")
        await pilot.press("s")
        await settled(pilot)
        assert shown_rows(app).get_column("fit_score")[0] == scores.max()
        assert shown_rows(app).get_column("fit_score").is_sorted(descending=True)
        assert "sorted by fit_score ↓" in caption(app)
        assert app.screen.query_one(AccountTable).cursor_row == 0
        await pilot.press("s")
        await settled(pilot)
        assert shown_rows(app).get_column("fit_score")[0] == scores.min()


async def test_enter_opens_the_account_and_escape_comes_back_to_the_same_place(demo_session: Session) -> None:
    app = drill(demo_session)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        drill_screen = app.screen
        count = app.screen.query_one(AccountTable).row_count
        await pilot.press("down", "down", "down")
        account = shown_rows(app).row(3, named=True)
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.account_id == account["account_id"]
        text = screen_text(app)
        assert account["name"] in text and "Fit score" in text and "Tier: Tier 2" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is drill_screen
        table = app.screen.query_one(AccountTable)
        assert table.row_count == count
        assert table.cursor_row == 3
        assert table.has_focus


async def test_an_engaged_account_shows_a_sparkline_per_channel(demo_session: Session) -> None:
    account = demo_session.assignments().sort("engagement_total", descending=True).get_column("account_id")[0]
    row = find_row(demo_session.engine, account, "test")
    weekly = weekly_engagement(demo_session.workspace.dataset.events, row, demo_session.engine.channels,
                               demo_session.as_of, WEEKS)
    app = Host(AccountScreen(started(demo_session), account))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        sparklines = app.screen.query(Sparkline)
        assert len(sparklines) == len(weekly) >= 1
        assert [list(s.data) for s in sparklines] == list(weekly.values())
        text = screen_text(app)
        assert "Engagement per week" in text and "Intent themes, last 90 days" in text


async def test_an_unknown_account_is_said_in_place_not_raised(demo_session: Session) -> None:
    app = Host(AccountScreen(started(demo_session), "NO-SUCH-ID"))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert "Could not show NO-SUCH-ID" in screen_text(app)
        assert "no account with account_id" in screen_text(app)


async def test_a_plan_without_engagement_drills_and_explains_without_sparklines(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        "account_id,name,domain,industry,employees\n"
        "a1,Acme,acme.com,Fintech,500\n"
        "a2,Globex,globex.com,Retail,40\n"
        "a3,Initech,initech.com,Fintech,12\n"
    )
    (tmp_path / "plan.toml").write_text(
        'version = 1\nname = "no events"\n[data]\naccounts = "accounts.csv"\n'
        '[[fit.criteria]]\nname = "Fintech"\npoints = 50\nwhere = { industry = { eq = "Fintech" } }\n'
        '[[tiers]]\nname = "Tier 1"\nwhere = { fit_score = { min = 50 } }\n'
        '[[stages]]\nname = "Known"\n'
    )
    session = Session.open(tmp_path / "plan.toml")
    app = drill(session, "Tier 1", "Known")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        rows = shown_rows(app)
        assert rows.get_column("account_id").to_list() == ["a1", "a3"]
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert not app.screen.query(Sparkline)
        text = screen_text(app)
        assert "Acme" in text and "Fit score 50" in text and "No engagement file in this plan" in text


async def test_a_search_is_taken_literally_and_an_unknown_cell_is_said_not_raised(demo_session: Session) -> None:
    app = drill(demo_session)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("slash", "[", "b", "]", "escape")
        await settled(pilot)
        assert shown_rows(app).height == 0
        assert 'showing 0 of' in caption(app) and 'search "[b]"' in caption(app)
        await pilot.press("F")
        await settled(pilot)
        assert shown_rows(app).height > 0
    app = drill(demo_session, "Tier 9")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert "could not load: tier has no value 'Tier 9'" in caption(app)


async def test_sort_by_revenue_from_the_list_then_reverse(demo_session: Session) -> None:
    from abm_tui.tui.modals import ChooseOne

    app = drill(demo_session)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        revenue = shown_rows(app).get_column("annual_revenue")
        await pilot.press("o")
        await settled(pilot)
        assert isinstance(app.screen, ChooseOne)
        for _ in range(shown_rows_of(app).index("annual_revenue")):
            await pilot.press("down")
        await pilot.press("enter")
        await settled(pilot)
        rows = shown_rows(app).get_column("annual_revenue")
        assert rows[0] == revenue.max() and rows.drop_nulls().is_sorted(descending=True)
        assert "sorted by annual_revenue ↓" in caption(app)
        await move_to_column(app, pilot, "annual_revenue")
        await pilot.press("s")
        await settled(pilot)
        assert shown_rows(app).get_column("annual_revenue")[0] == revenue.min()
        assert "sorted by annual_revenue ↑" in caption(app)


def shown_rows_of(app: App) -> list[str]:
    """The column names the `o` list offers, in order."""
    from textual.widgets import OptionList

    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_a_range_filter_keeps_revenue_between_its_ends(demo_session: Session) -> None:
    from textual.widgets import Input

    app = drill(demo_session)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        everything = shown_rows(app)
        await move_to_column(app, pilot, "annual_revenue")
        await pilot.press("g")
        await settled(pilot)
        box = app.screen.query_one(Input)
        box.value = "20x.."
        await pilot.press("enter")
        await settled(pilot)
        assert "is not a number" in str(app.screen.query_one("#ask-error", Static).render())
        box.value = "20m..200m"
        await pilot.press("enter")
        await settled(pilot)
        revenue = shown_rows(app).get_column("annual_revenue")
        expected = everything.filter(pl.col("annual_revenue").is_between(20e6, 200e6)).height
        assert 0 < revenue.len() == expected < everything.height
        assert revenue.min() >= 20e6 and revenue.max() <= 200e6
        assert "annual_revenue 20,000,000 to 200,000,000" in caption(app)
        await pilot.press("F")
        await settled(pilot)
        assert shown_rows(app).height == everything.height


async def test_a_range_on_a_text_column_is_refused(demo_session: Session) -> None:
    app = drill(demo_session)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await move_to_column(app, pilot, "industry")
        await pilot.press("g")
        await settled(pilot)
        assert isinstance(app.screen, DrillScreen)
        assert any("industry is not a number column" in str(n.message) for n in app._notifications)


async def test_choose_the_columns_shown(demo_session: Session) -> None:
    from abm_tui.tui.modals import ChooseMany
    from abm_tui.tui.widgets.tick_list import TickList

    app = drill(demo_session)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("c")
        await settled(pilot)
        assert isinstance(app.screen, ChooseMany)
        ticks = app.screen.query_one(TickList)
        for name in ticks.selected:
            if name not in ("name", "annual_revenue"):
                ticks.deselect(name)
        await pilot.press("enter")
        await settled(pilot)
        assert shown_rows(app).columns == ["account_id", "name", "annual_revenue"]


def test_ranges_parse_with_open_ends_and_suffixes() -> None:
    from abm_tui.errors import AbmError
    from abm_tui.tui.screens.drill import Range, parse_range

    assert parse_range("annual_revenue", "20m..") == Range("annual_revenue", 20e6, None)
    assert parse_range("employees", "..5,000") == Range("employees", None, 5000)
    assert parse_range("employees", "1.5k..2k") == Range("employees", 1500, 2000)
    for bad in ("20", "..", "5..1", "a..b"):
        with pytest.raises(AbmError, match="employees"):
            parse_range("employees", bad)


async def test_a_cell_shows_its_first_page_before_the_rest(demo_session: Session) -> None:
    """The rest of the cell is held back until the first page is on screen; then it replaces the page and the
    cursor stays where the planner moved it."""
    import threading

    from abm_tui.tui.screens.drill import FIRST_PAGE

    total = int(demo_session.matrix().values.sum())
    release = threading.Event()
    app = drill(demo_session, None, None)
    screen = app.first
    assert isinstance(screen, DrillScreen)
    whole = screen.fetch

    def held(session: Session) -> pl.DataFrame:
        release.wait(60)
        return whole(session)

    screen.fetch = held
    try:
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(500):
                await pilot.pause(0.02)
                if app.screen.query(AccountTable):
                    break
            table = app.screen.query_one(AccountTable)
            assert table.row_count == FIRST_PAGE
            assert f"{total:,} accounts · the first {FIRST_PAGE} shown, the rest loading…" in caption(app)
            await pilot.press("down", "down", "down", "right")
            release.set()
            await settled(pilot)
            table = app.screen.query_one(AccountTable)
            assert table.row_count == total and table.cursor_coordinate == (3, 1)
            assert caption(app) == f"any tier / any stage · {total:,} accounts"
    finally:
        release.set()
