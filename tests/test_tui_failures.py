"""Failure paths that used to end the workbench, each reproduced as a new planner would meet it (issue 11.5).

Every one must become a message naming the path or the plan, with the app still running and the session as
it was. The plans and folders are real files; nothing in the app is mocked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from abm_tui.plan import edits
from abm_tui.plan.edits import Target
from abm_tui.plan.parse import load_plan
from abm_tui.tui.app import AbmApp
from abm_tui.tui.modals import AskText, ChooseExport, ConfirmQuit
from abm_tui.tui.screens.workbench import ExportRequest, WorkbenchScreen
from abm_tui.tui.session_thread import Step
from abm_tui.tui.widgets.matrix_table import MatrixTable
from tests.pilot import notices, settled
from tests.test_tui import opened, press_on

pytestmark = pytest.mark.tui


@pytest.fixture()
def a_file(tmp_path: Path) -> Path:
    """A plain file where a planner may type a folder."""
    path = tmp_path / "notes.txt"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


def status(app: AbmApp) -> str:
    workbench = app.workbench
    assert workbench is not None
    return str(workbench.query_one("#status", Static).render())


def notes(app: AbmApp) -> list[str]:
    return notices(app)


def alive(app: AbmApp) -> bool:
    """Running, not exiting, and no error waiting to end it."""
    return app.is_running and app.return_code is None and not app._exception


async def test_save_as_below_a_file_is_refused_in_the_dialog(plan_copy: Path, a_file: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("criteria", 0), "plus")
        await pilot.press("w")
        await settled(pilot)
        dialog = app.screen
        assert isinstance(dialog, AskText)
        dialog.query_one(Input).value = str(a_file / "plan.toml")
        await pilot.press("enter")
        await settled(pilot)
        assert app.screen is dialog, "the dialog stays open to fix the path"
        said = str(dialog.query_one("#ask-error", Static).render())
        assert said == f"{a_file / 'plan.toml'}: cannot write: {a_file} is a file, not a folder"
        await pilot.press("escape")
        await settled(pilot)
        assert alive(app) and app.workbench is not None and app.workbench.dirty


async def test_a_save_that_fails_on_the_session_thread_is_said_and_the_session_kept(
        plan_copy: Path, a_file: Path) -> None:
    """The same path reaching the save itself (the file appeared after the dialog checked): a message, no crash."""
    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("criteria", 0), "plus")
        workbench = app.workbench
        assert workbench is not None
        edited = workbench.sessions.session.plan
        target = a_file / "plan.toml"
        workbench.submit(Step.SAVE, f"saved as {target}", path=target, relocate=True)
        await settled(pilot)
        expected = f"{target}: cannot write: {a_file} is a file, not a folder"
        assert expected in status(app) and expected in notes(app)
        assert alive(app) and workbench.sessions.session.plan == edited and workbench.dirty
        assert workbench.plan_path == plan_copy, "a failed save-as keeps the plan where it was"


async def test_export_below_a_file_is_refused_in_the_dialog_and_by_the_worker(
        plan_copy: Path, a_file: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("ctrl+e")
        await settled(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChooseExport)
        folder = a_file / "exports"
        dialog.query_one("#export-folder", Input).value = str(folder)
        await pilot.press("enter")
        await settled(pilot)
        expected = f"{folder}: cannot write: {a_file} is a file, not a folder"
        assert app.screen is dialog and str(dialog.query_one("#export-error", Static).render()) == expected
        await pilot.press("escape")
        await settled(pilot)

        workbench = app.workbench
        assert workbench is not None
        workbench.export(ExportRequest(workbench.exports.next(), folder, ("matrix.csv",), (), plan_copy))
        await settled(pilot)
        assert f"export failed: {expected}" in status(app) and expected in notes(app)
        assert alive(app) and not a_file.with_name("exports").exists()


async def test_an_autosave_folder_that_cannot_be_made_never_stops_an_edit(
        plan_copy: Path, a_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABM_TUI_STATE_DIR", str(a_file / "state"))
    async with opened(plan_copy) as (app, pilot):
        threshold = Target("tiers", 2, "fit_score", "min")
        await press_on(app, pilot, threshold, "minus")
        await press_on(app, pilot, threshold, "minus")
        workbench = app.workbench
        assert workbench is not None and alive(app)
        twice = edits.nudged(edits.nudged(load_plan(plan_copy), threshold, -1, False), threshold, -1, False)
        lowered = edits.get_test(twice, "tiers", 2, "fit_score", "min")
        assert edits.get_test(workbench.sessions.session.plan, "tiers", 2, "fit_score", "min") == lowered
        said = [n for n in notes(app) if "not autosaved" in n]
        assert len(said) == 1, "said once, not on every edit"
        assert str(a_file) in said[0] and "is a file, not a folder" in said[0]
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert edits.get_test(load_plan(plan_copy), "tiers", 2, "fit_score", "min") == lowered


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
async def test_quitting_with_unsaved_changes_asks_for_either_key(plan_copy: Path, key: str) -> None:
    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("criteria", 0), "plus")
        await pilot.press(key)
        await settled(pilot)
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("ctrl+q")  # asked again while asking: still the one dialog
        await settled(pilot)
        assert isinstance(app.screen, ConfirmQuit) and len(app.screen_stack) == 3
        await pilot.press("escape")
        await settled(pilot)
        assert isinstance(app.screen, WorkbenchScreen) and alive(app)


async def test_ctrl_q_without_changes_quits_at_once(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code == 0


def plan_with(plan_copy: Path, old: str, new: str) -> Path:
    text = plan_copy.read_text(encoding="utf-8")
    assert old in text
    plan_copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    return plan_copy


async def test_a_plan_that_loads_but_cannot_be_segmented_is_a_message(plan_copy: Path) -> None:
    """A real plan, not a mocked engine: a sql rule whose cast fails on the data (names are not numbers).
    Validation may learn to refuse it up front; then the workbench's own message is not reached."""
    path = plan_with(plan_copy, 'where = { fit_score = { min = 80 } }', 'where = { sql = "CAST(name AS INT) > 5" }')
    async with opened(path) as (app, pilot):
        if app.workbench is None:  # refused while opening: said in place of the workbench
            said = str(app.query_one("#loading-message", Static).render())
            assert "Could not open the plan" in said and str(path) in said
            return
        expected = f"{path}: the plan loads but cannot be segmented: "
        assert expected in status(app) and any(n.startswith(expected) for n in notes(app))
        assert "Traceback" not in status(app) and alive(app)
        workbench = app.workbench
        await press_on(app, pilot, Target("criteria", 0), "plus")  # still fails: refused, the session as it was
        assert f"refused: {expected}" in status(app) and workbench.sessions.session.plan.criteria[0].points == 30
        await press_on(app, pilot, Target("tiers", 1), "o")  # the rule switched off: the plan segments again
        assert alive(app) and not workbench.sessions.session.plan.tiers[1].enabled
        assert workbench.query_one(MatrixTable).view is not None and "segmented" not in status(app)


@pytest.mark.parametrize(("old", "new"), [
    ("points = 30", "points = 1000000000000000000000000000000"),  # 10^30: more than a whole number can hold
    ("points = 30", "points = 1e30"),
    ('name = "Tier 2"', 'name = "Not target"'),  # the fallback label, taken by a tier
])
async def test_plans_near_the_limits_open_or_are_refused_never_a_traceback(
        plan_copy: Path, old: str, new: str) -> None:
    path = plan_with(plan_copy, old, new)
    async with opened(path) as (app, pilot):
        assert alive(app)
        if app.workbench is None:
            said = str(app.query_one("#loading-message", Static).render())
            assert "Could not open the plan" in said and str(path) in said
        else:
            assert "failed:" not in status(app) and "Traceback" not in status(app)
