"""The export dialog with Pilot: plain ticks, focus on the list, the plan's targets preselected, LinkedIn per
segment or per tier, and a status that says what was written and what was skipped."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
from textual.widgets import Input, Static

from abm_tui.plan.dump import save_plan
from abm_tui.plan.parse import load_plan
from abm_tui.tui.app import AbmApp
from abm_tui.tui.modals import ChooseExport
from abm_tui.tui.widgets.tick_list import TickList
from tests.pilot import settled


def with_targets(path: Path, to: tuple[str, ...], per: str) -> Path:
    plan = load_plan(path)
    save_plan(replace(plan, export=replace(plan.export, to=to, linkedin_per=per)), path)
    return path


def lines(ticks: TickList) -> list[str]:
    return [str(ticks.get_option_at_index(i).prompt) for i in range(ticks.option_count)]


async def open_dialog(app: AbmApp, pilot) -> ChooseExport:  # noqa: ANN001 - textual's Pilot
    await settled(pilot)
    await pilot.press("ctrl+e")
    await settled(pilot)
    assert isinstance(app.screen, ChooseExport)
    return app.screen


async def test_the_list_has_focus_and_space_ticks_plainly(plan_copy: Path) -> None:
    app = AbmApp(plan_copy)
    async with app.run_test(size=(160, 48)) as pilot:
        dialog = await open_dialog(app, pilot)
        ticks, folder = dialog.query_one(TickList), dialog.query_one(Input)
        path = folder.value
        assert app.focused is ticks and lines(ticks)[0] == "[x] assignments.csv"
        await pilot.press("space")
        assert lines(ticks)[0] == "[ ] assignments.csv" and "assignments.csv" not in ticks.selected
        assert folder.value == path  # the path was not blanked
        await pilot.press("down", "space")
        assert lines(ticks)[1] == "[ ] assignments.parquet"
        await pilot.press("space")
        assert lines(ticks)[1] == "[x] assignments.parquet"


async def test_the_plans_export_targets_are_preselected(plan_copy: Path) -> None:
    app = AbmApp(with_targets(plan_copy, ("hubspot", "linkedin"), "tier"))
    async with app.run_test(size=(160, 48)) as pilot:
        dialog = await open_dialog(app, pilot)
        selected = dialog.query_one(TickList).selected
        assert "hubspot" in selected and "linkedin-per-tier" in selected
        assert "salesforce" not in selected and "linkedin" not in selected and "sql" not in selected


async def test_linkedin_per_tier_and_the_status_says_what_was_written_and_skipped(plan_copy: Path,
                                                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    app = AbmApp(plan_copy)
    async with app.run_test(size=(160, 48)) as pilot:
        dialog = await open_dialog(app, pilot)
        ticks = dialog.query_one(TickList)
        for name in ("assignments.parquet", "plan.toml"):
            ticks.deselect(name)
        ticks.select("linkedin")
        ticks.select("linkedin-per-tier")
        dialog.query_one(Input).value = str(out)
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is dialog
        assert "per segment or per tier, not both" in str(dialog.query_one("#export-error", Static).render())
        ticks.deselect("linkedin")
        await pilot.press("enter")  # enter on the list exports too
        await settled(pilot)
        status = str(app.screen.query_one("#status", Static).render())
    lists = pl.read_csv(out / "linkedin" / "lists.csv")
    assert lists.columns[1] == "tier" and lists.get_column("tier").to_list()[0] == "Tier 1"
    written = [path for path in out.rglob("*") if path.is_file()]  # csv, matrix, lists and contact lists, manifest
    assert len(written) > 2 + lists.height + 3 and f"exported {len(written)} files to {out}" in status
    assert "skipped (not ticked): assignments.parquet, plan.toml, HubSpot" in status
