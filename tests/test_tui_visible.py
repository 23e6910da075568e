"""What a change does, made visible in the workbench, driven with Pilot: a plan with problems opened and
fixed in place, save-as that leaves no stale autosave, deltas that survive a reorder, the cursor that
follows a moved rule, undo that says what it undid, the binding limit, and the matrix in funnel order."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from abm_tui.plan.edits import Target
from abm_tui.plan.parse import load_plan
from abm_tui.tui.app import AbmApp
from abm_tui.tui.modals import RestoreAutosave
from abm_tui.tui.screens.workbench import WorkbenchScreen
from abm_tui.userstate import autosave
from tests.pilot import settled
from tests.test_tui import opened, press_on


def status(app: AbmApp) -> str:
    return str(app.screen.query_one("#status", Static).render())


async def test_save_as_then_an_edit_then_reopen_asks_nothing(plan_copy: Path, tmp_path: Path) -> None:
    """The autosave after a save-as is of the plan as saved there (its data paths from the new folder): it
    restores, and once saved again, reopening offers nothing."""
    target = tmp_path / "elsewhere" / "q2.toml"
    target.parent.mkdir()
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("w")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settled(pilot)
        await press_on(app, pilot, Target("criteria", 0), "plus")
        saved = autosave.read(target, target.parent)
        assert saved is not None and saved[0].data.accounts == load_plan(target).data.accounts
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert load_plan(target).data == saved[0].data, "ctrl+s after save-as keeps the new folder's paths"
    assert autosave.read(target, target.parent) is None
    again = AbmApp(target)
    async with again.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        assert isinstance(again.screen, WorkbenchScreen), "no restore prompt for a plan saved as it is"
        assert again.screen.sessions.session.plan.criteria[0].points == 35


async def test_the_restore_prompt_says_what_the_autosave_changes(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("tiers", 2, "fit_score", "min"), "plus")
    again = AbmApp(plan_copy)
    async with again.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        assert isinstance(again.screen, RestoreAutosave)
        said = str(again.screen.query_one("#autosave-changes", Static).render())
        assert "Tier 3: fit_score ≥ 70 -> ≥ 75" in said
