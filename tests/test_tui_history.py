"""The history in the workbench, driven with Pilot: the quarterly review screen, the movement view
against a snapshot or the baseline, and the edit dialog's preview of what a value would move."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from textual.widgets import DataTable, Input, Static

from abm_tui.history.diff import since
from abm_tui.history.movement import preview_text
from abm_tui.history.review import review_plan
from abm_tui.history.snapshots import history_folder, list_snapshots
from abm_tui.plan import edits
from abm_tui.plan.edits import Target
from abm_tui.plan.parse import load_plan
from abm_tui.session import Session
from abm_tui.tui.screens.drill import DrillScreen
from abm_tui.tui.screens.movement import MovementScreen
from abm_tui.tui.screens.review import UNDER, ReviewScreen
from abm_tui.tui.widgets.rules_tree import RulesTree
from tests.pilot import settled
from tests.test_tui import opened


def rows_of(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_review_screen_shows_the_demo_history_regroups_and_writes_the_deck_files(
    demo_plan_path: Path, tmp_path: Path
) -> None:
    expected = review_plan(load_plan(demo_plan_path)).table
    async with opened(demo_plan_path) as (app, pilot):
        await pilot.press("R")
        await settled(pilot)
        assert isinstance(app.screen, ReviewScreen)
        period = str(app.screen.query_one("#review-period", Static).render())
        assert "2026-11-06 to 2026-11-20 · 3 snapshots · by segment" in period
        rows = rows_of(app.screen.query_one("#review-table", DataTable))
        assert [row[0] for row in rows] == expected.get_column("group").to_list()
        total = rows[-1]
        assert total[0] == "All accounts" and total[1] == "3,000"
        won = expected.filter(pl.col("group") == "All accounts").get_column("won").item()
        assert total[5] == f"{won:,}" and won > 0, "the demo's earlier weeks must show deals won since"
        assert all(len(row[-2]) == 3 for row in rows), "one sparkline block per snapshot"

        await pilot.press("g")
        await settled(pilot)
        rows = rows_of(app.screen.query_one("#review-table", DataTable))
        assert [row[0] for row in rows] == ["Tier 1", "Tier 2", "Tier 3", "Not target", "All accounts"]
        by_tier = review_plan(load_plan(demo_plan_path), by="tier").table
        lift = [column.label.plain for column in app.screen.query_one("#review-table", DataTable).ordered_columns]
        assert [row[lift.index("Lift")] for row in rows] == [f"{v:.2f}" for v in by_tier.get_column("lift")]
        flagged = [row[0] for row in rows if UNDER in row[-1]]
        assert flagged == by_tier.filter(pl.col("below_not_target")).get_column("group").to_list()

        await pilot.press("ctrl+e")
        await pilot.pause()
        app.screen.query_one(Input).value = str(tmp_path / "deck")
        await pilot.press("enter")
        await settled(pilot)
        csv = pl.read_csv(tmp_path / "deck" / "review.csv")
        assert csv.columns[0] == "tier" and csv.get_column("accounts_at_start").sum() == 2 * 3000
        assert "| Tier 1 |" in (tmp_path / "deck" / "review.md").read_text()


async def test_review_screen_says_why_there_is_no_review(tmp_path: Path, demo_dir: Path) -> None:
    from abm_tui.plan.dump import save_plan
    from abm_tui.plan.paths import relocated

    plan = tmp_path / "plan.toml"
    save_plan(relocated(load_plan(demo_dir / "plan.toml"), tmp_path), plan)
    async with opened(plan) as (app, pilot):
        await pilot.press("R")
        await settled(pilot)
        said = str(app.screen.query_one("#review-period", Static).render())
        assert said.startswith("no review: ") and "no snapshots yet" in said and str(tmp_path / "history") in said


async def test_movement_view_against_the_oldest_snapshot_drills_into_a_flow(demo_plan_path: Path) -> None:
    oldest = list_snapshots(history_folder(load_plan(demo_plan_path)))[0]
    flows = since(Session.open(demo_plan_path), oldest).movement.flows("segment")
    async with opened(demo_plan_path) as (app, pilot):
        await pilot.press("v")
        await settled(pilot)
        assert isinstance(app.screen, MovementScreen)
        assert "0 moved" in str(app.screen.query_one("#movement-summary", Static).render())

        await pilot.press("a", "end", "enter")  # the oldest snapshot is listed last
        await settled(pilot)
        summary = str(app.screen.query_one("#movement-summary", Static).render())
        assert f"{oldest.label} → now (as of 2026-11-20)" in summary
        rows = rows_of(app.screen.query_one("#movement-flows", DataTable))
        assert rows[0] == [flows["from"][0], flows["to"][0], f"{flows['accounts'][0]:,}"]

        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, DrillScreen)
        caption = str(app.screen.query_one("#drill-caption", Static).render())
        assert f"{flows['from'][0]} → {flows['to'][0]} · {flows['accounts'][0]:,} accounts" in caption
        assert "moved it from" in str(app.screen._source.get_column("reason")[0])


async def test_edit_dialog_previews_the_moves_before_anything_changes(plan_copy: Path) -> None:
    from abm_tui.tui.modals import AskText

    async with opened(plan_copy) as (app, pilot):
        workbench = app.screen
        session = workbench.sessions.session
        lowered = edits.set_test(session.plan, "tiers", 2, "fit_score", "min", 60)
        expected = preview_text(session.assignment(), session.preview(lowered))
        assert expected.startswith("moves tier: ") and "Not target → Tier 3" in expected
        workbench.query_one(RulesTree).move_to(Target("tiers", 2, "fit_score", "min"))
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, AskText)
        app.screen.query_one(Input).value = "60"
        await settled(pilot)
        assert str(app.screen.query_one("#ask-preview", Static).render()) == expected
        assert session.plan != lowered, "a preview must not change the plan"
        await pilot.press("enter")
        await settled(pilot)
        assert session.plan == lowered
        status = str(workbench.query_one("#status", Static).render())
        assert expected.replace("moves", "moved", 1) in status
