"""The ICP screen driven for real with Pilot in the workbench, on the generated 3,000-account demo: it shows
the report `abm-tui icp` prints, adds a suggestion as one edit whose counts are the engine's, and drills
into lookalikes and misplaced won accounts as into a matrix cell."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from textual.command import CommandPalette
from textual.widgets import Input, OptionList, Static

from abm_tui.engine.outcomes.outcome import Outcome
from abm_tui.history.movement import preview_text
from abm_tui.outputs.icp_report import gather
from abm_tui.plan import edits
from abm_tui.plan.dump import save_plan
from abm_tui.plan.model import Section
from abm_tui.plan.parse import load_plan
from abm_tui.session import Session
from abm_tui.tui.app import AbmApp
from abm_tui.tui.modals import AskText
from abm_tui.tui.screens.drill import DrillScreen
from abm_tui.tui.screens.icp import IN_PLAN, IcpScreen, IcpTable
from abm_tui.tui.widgets.gain_chart import GainChart
from tests.pilot import settled
from tests.test_tui import opened

pytestmark = pytest.mark.tui


def plain(table: IcpTable, row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


async def open_icp(app: AbmApp, pilot) -> IcpScreen:  # noqa: ANN001 - Pilot's type parameter
    await pilot.press("i")
    await settled(pilot)
    screen = app.screen
    assert isinstance(screen, IcpScreen)
    return screen


async def test_the_icp_screen_shows_the_report_icp_prints(plan_copy: Path) -> None:
    report = gather(Session.open(plan_copy))
    async with opened(plan_copy) as (app, pilot):
        screen = await open_icp(app, pilot)
        summary = str(screen.query_one("#icp-summary", Static).render())
        assert summary.startswith(f"3,000 accounts, {report.won:,} won") and "AUC of fit_score" in summary

        lift = screen.query_one("#icp-lift", IcpTable)
        rows = report.lift.rows
        assert lift.row_count == rows.height
        shown = [tuple(plain(lift, i)[:2]) for i in range(lift.row_count)]
        marked = [f"{v} *" if small else v for v, small in rows.select("value", "small").rows()]
        assert shown == list(zip(rows.get_column("column"), marked, strict=True)), "most evidence first, small marked"
        assert rows.get_column("small").any(), "the demo has values with too few accounts"
        first_small = rows.get_column("small").arg_true()[0]
        assert lift.get_row_at(first_small)[0].style == "dim"
        assert plain(lift, 0)[6].startswith("█"), "lift as a bar"

        await pilot.press("2")
        await settled(pilot)
        suggested = screen.query_one("#icp-suggested", IcpTable)
        names = [plain(suggested, i)[1] for i in range(suggested.row_count)]
        assert names == [s.name for s in report.suggestions.items] and names
        assert {"industry = Fintech", "industry = HR Tech", "tech_stack has Snowflake"} <= set(names[:4])

        await pilot.press("3")
        await settled(pilot)
        tiers = screen.query_one("#icp-tiers", IcpTable)
        expected_tiers = report.backtest.tiers
        assert [plain(tiers, i)[1] for i in range(tiers.row_count)] == [
            f"{n:,}" for n in expected_tiers.get_column("accounts")]
        gains = screen.query_one(GainChart).gains
        assert gains == tuple(report.backtest.gains.select("top", "share_of_wins").rows())
        assert "100%" in str(screen.query_one(GainChart).render())

        await pilot.press("4")
        await settled(pilot)
        lookalikes = screen.query_one("#icp-lookalikes", IcpTable)
        assert [plain(lookalikes, i)[1] for i in range(lookalikes.row_count)] == \
            report.lookalikes.get_column("account_id").to_list()


async def test_adding_a_suggestion_moves_what_the_engine_says_and_undoes_in_one_step(plan_copy: Path) -> None:
    reference = Session.open(plan_copy)
    report = gather(reference)
    suggestion = report.suggestions.items[0]
    criterion = replace(suggestion.criterion(), points=suggestion.points + 5)
    added = edits.add_rule(reference.plan, Section.CRITERIA, criterion)
    expected_preview = preview_text(reference.assignment(), reference.preview(added))
    before = reference.matrix().values
    expected = reference.matrix(plan=added).values

    async with opened(plan_copy) as (app, pilot):
        await open_icp(app, pilot)
        await pilot.press("2")
        await settled(pilot)
        await pilot.press("a")
        await settled(pilot)
        dialog = app.screen
        assert isinstance(dialog, AskText)
        box = dialog.query_one(Input)
        assert box.value == str(suggestion.points)
        said = str(dialog.query_one("#ask-preview", Static).render())
        assert said == preview_text(reference.assignment(), reference.preview(
            edits.add_rule(reference.plan, Section.CRITERIA, suggestion.criterion()))), "previewed as it opens"
        assert said.startswith("moves tier: ")
        box.value = str(criterion.points)
        await settled(pilot)
        assert str(dialog.query_one("#ask-preview", Static).render()) == expected_preview
        await pilot.press("enter")
        await settled(pilot)

        workbench = app.workbench
        assert workbench is not None and app.screen is workbench
        session = workbench.sessions.session
        assert session.plan.criteria == (*reference.plan.criteria, criterion)
        assert session.matrix().values.tolist() == expected.tolist() != before.tolist()
        status = str(workbench.query_one("#status", Static).render())
        assert f"added {criterion.name} · moved tier: " in status

        await pilot.press("ctrl+z")
        await settled(pilot)
        assert session.plan.criteria == reference.plan.criteria
        assert session.matrix().values.tolist() == before.tolist()

        screen = await open_icp(app, pilot)
        await pilot.press("2")
        await settled(pilot)
        suggested = screen.query_one("#icp-suggested", IcpTable)
        assert IN_PLAN not in plain(suggested, 0), "undone: the suggestion is no longer in the plan"


async def test_a_suggestion_already_in_the_plan_is_refused_in_the_dialog(plan_copy: Path) -> None:
    reference = Session.open(plan_copy)
    suggestion = gather(reference).suggestions.items[0]
    save_plan(edits.add_rule(load_plan(plan_copy), Section.CRITERIA, suggestion.criterion()), plan_copy)
    async with opened(plan_copy) as (app, pilot):
        screen = await open_icp(app, pilot)
        await pilot.press("2")
        await settled(pilot)
        suggested = screen.query_one("#icp-suggested", IcpTable)
        row = [plain(suggested, i)[1] for i in range(suggested.row_count)].index(suggestion.name)
        assert plain(suggested, row)[-1] == IN_PLAN
        suggested.move_cursor(row=row)
        await pilot.press("a")
        await settled(pilot)
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, AskText), "refused: the dialog stays open"
        refused = str(app.screen.query_one("#ask-error", Static).render())
        assert "already" in refused and suggestion.name in refused


async def test_lookalikes_and_misplaced_won_accounts_drill_like_a_cell(plan_copy: Path) -> None:
    report = gather(Session.open(plan_copy))
    async with opened(plan_copy) as (app, pilot):
        screen = await open_icp(app, pilot)
        await pilot.press("4")
        await settled(pilot)
        table = screen.query_one("#icp-lookalikes", IcpTable)
        last_tier = plain(table, table.row_count - 1)[0]
        table.move_cursor(row=table.row_count - 1)
        await pilot.press("enter")
        await settled(pilot)
        drill = app.screen
        assert isinstance(drill, DrillScreen) and drill.title_text.startswith(f"{last_tier}: ")
        ids = report.lookalikes.filter(pl.col("tier") == last_tier).get_column("account_id").to_list()
        assert drill._source is not None and drill._source.get_column("account_id").to_list() == ids
        assert drill._source.columns[:4] == ["account_id", "name", "icp_points", "icp_criteria"]
        assert set(drill._source.get_column("tier")) == {last_tier}

        await pilot.press("escape")
        await settled(pilot)
        await pilot.press("5")
        await settled(pilot)
        await pilot.press("d")
        await settled(pilot)
        drill = app.screen
        assert isinstance(drill, DrillScreen) and drill._source is not None
        assert drill._source.get_column("account_id").to_list() == report.misplaced.get_column("account_id").to_list()
        assert set(drill._source.get_column("tier")) == {"Not target"}


async def test_without_a_win_the_screen_says_what_is_needed_and_o_learns_from_opportunities(
    demo_dir: Path, tmp_path: Path
) -> None:
    accounts = pl.read_csv(demo_dir / "accounts.csv").with_columns(
        pl.col("crm_stage").replace({"closed_won": "closed_lost", "customer": "open_opportunity"}))
    accounts.write_csv(tmp_path / "accounts.csv")
    plan = load_plan(demo_dir / "plan.toml")
    path = save_plan(replace(plan, data=replace(plan.data, accounts="accounts.csv",
                                                engagement=str(demo_dir / "engagement.parquet"))),
                     tmp_path / "plan.toml")
    async with opened(path) as (app, pilot):
        screen = await open_icp(app, pilot)
        said = str(screen.query_one("#icp-summary", Static).render())
        assert said.startswith("no ICP: ") and "no account has won" in said and "--outcome opportunity" in said
        assert screen.query_one("#icp-lift", IcpTable).row_count == 0
        await pilot.press("o")
        await settled(pilot)
        expected = gather(Session.open(path), Outcome.OPPORTUNITY)
        said = str(screen.query_one("#icp-summary", Static).render())
        assert said.startswith(f"3,000 accounts, {expected.won:,} reached an opportunity")
        assert screen.query_one("#icp-lift", IcpTable).row_count == expected.lift.rows.height


async def test_the_palette_offers_the_icp_screen(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("ctrl+p")
        await settled(pilot)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        palette.query_one(Input).value = "ICP"
        await settled(pilot)
        options = palette.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("ICP (i)" in prompt for prompt in prompts), prompts
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, IcpScreen)


@pytest.mark.parametrize(("share", "row", "block"), [
    (1.0, 0, "█"), (0.0, 9, " "), (0.05, 9, "▄"), (0.1, 9, "█"), (0.1, 8, " "), (0.55, 4, "▄"), (0.55, 5, "█"),
    (1.5, 0, "█"), (-0.2, 9, " "),
])
def test_a_gain_bar_fills_its_rows_from_the_bottom_in_eighths(share: float, row: int, block: str) -> None:
    from abm_tui.tui.widgets.gain_chart import column

    assert column(share, row) == block


def test_the_random_bar_is_shaded_whole_cells_only() -> None:
    from abm_tui.tui.widgets.gain_chart import RANDOM, shade

    assert [shade(0.3, row) for row in range(10)] == [" "] * 7 + [RANDOM] * 3
    assert shade(0.04, 9) == " " and shade(0.05, 9) == RANDOM
