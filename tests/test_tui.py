"""The workbench opened for real with Textual's Pilot on a generated demo, driven from the keyboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from abm_tui.plan import edits
from abm_tui.plan.edits import Target
from abm_tui.plan.parse import load_plan
from abm_tui.session import Session
from abm_tui.tui.app import AbmApp
from abm_tui.tui.screens.workbench import WorkbenchScreen
from abm_tui.tui.widgets.matrix_table import MatrixTable
from abm_tui.tui.widgets.rules_tree import RulesTree
from tests.pilot import settled


@asynccontextmanager
async def opened(path: Path) -> AsyncIterator[tuple[AbmApp, Pilot]]:
    """The app on `path` at 160x48, with the plan loaded and the first matrix shown."""
    app = AbmApp(path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        yield app, pilot


async def press_on(app: AbmApp, pilot: Pilot, target: Target, *keys: str) -> None:
    """Put the rules cursor on `target`, press `keys`, and wait for the recount."""
    app.screen.query_one(RulesTree).move_to(target)
    await pilot.press(*keys)
    await settled(pilot)


def cell(app: AbmApp, row: str, col: str) -> str:
    table = app.screen.query_one(MatrixTable)
    view = table.view
    assert view is not None
    r = (*view.current.rows, "Total").index(row)
    c = (*view.current.cols, "Total").index(col) + 1
    return str(table.get_cell_at((r, c))).split()[0]


async def test_opens_with_rules_matrix_and_status(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        assert isinstance(app.screen, WorkbenchScreen)
        expected = Session.open(plan_copy).matrix()
        assert cell(app, "Tier 1", "Total") == f"{expected.values[0].sum():,}"
        assert cell(app, "Total", "Total") == "3,000"
        status = str(app.screen.query_one("#status", Static).render())
        assert "3,000 accounts" in status and "as of 2026-11-20" in status
        sections = [n.data.section for n in app.screen.query_one(RulesTree).root.children]
        assert sections == ["criteria", "tiers", "stages", "buckets", "plays", "engagement"]


async def test_nudging_a_threshold_recounts_to_what_the_engine_says(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        tree = app.screen.query_one(RulesTree)
        tree.move_to(Target("tiers", 2, "fit_score", "min"))
        await pilot.press("minus", "minus")
        await settled(pilot)
        plan = load_plan(plan_copy)
        lowered = edits.set_test(plan, "tiers", 2, "fit_score", "min",
                                 edits.nudge(edits.nudge(70, -1), -1))
        engine = Session.open(plan_copy)
        engine.apply(lowered)
        expected = engine.matrix()
        assert cell(app, "Tier 3", "Total") == f"{expected.values[2].sum():,}"
        assert app.screen.sessions.session.plan == lowered and app.screen.sessions.session.dirty
        # The change against the baseline shows in the cell.
        table = app.screen.query_one(MatrixTable)
        table_text = str(table.get_cell_at((2, len(table.columns) - 1)))  # the Total column
        baseline = Session.open(plan_copy).matrix().values[2].sum()
        assert f"+{expected.values[2].sum() - baseline:,}" in table_text


async def test_undo_and_redo_follow_the_history(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        before = cell(app, "Tier 3", "Total")
        await press_on(app, pilot, Target("tiers", 2, "fit_score", "min"), "minus")
        after = cell(app, "Tier 3", "Total")
        assert after != before
        await pilot.press("ctrl+z")
        await settled(pilot)
        assert cell(app, "Tier 3", "Total") == before and not app.screen.sessions.session.dirty
        await pilot.press("ctrl+y")
        await settled(pilot)
        assert cell(app, "Tier 3", "Total") == after


async def test_toggle_off_a_tier(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("tiers", 0), "o")
        assert not app.screen.sessions.session.plan.tiers[0].enabled
        assert cell(app, "Tier 1", "Total") == "0"


async def test_nudging_something_that_is_not_a_number_is_refused_in_place(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("criteria", 0, "industry", "in"), "plus")
        assert "is not a number" in str(app.screen.query_one("#status", Static).render())
        assert not app.screen.sessions.session.dirty


async def test_pivot_and_measure(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        app.screen.query_one(MatrixTable).focus()
        await pilot.press("c")
        await settled(pilot)
        view = app.screen.query_one(MatrixTable).view
        assert view is not None and view.current.col_dim == "bucket"
        await pilot.press("m")
        await settled(pilot)
        assert app.screen.query_one(MatrixTable).view.measure == "pipeline"
        await pilot.press("m")
        await settled(pilot)
        assert cell(app, "Total", "Total") == "100.0%"


async def test_save_writes_the_plan_and_clears_unsaved(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("criteria", 0), "plus")
        await pilot.press("ctrl+s")
        await settled(pilot)
        saved = load_plan(plan_copy)
        assert saved == app.screen.sessions.session.plan and saved.criteria[0].points == 35
        assert not app.screen.sessions.session.dirty


async def test_a_bad_plan_shows_the_message_instead_of_crashing(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('version = 1\n[data]\naccounts = "missing.csv"\n')
    app = AbmApp(plan)
    async with app.run_test() as pilot:
        await settled(pilot)
        message = str(app.query_one("#loading-message", Static).render())
        assert "missing.csv: no such file" in message
        await pilot.press("q")


async def test_typed_threshold_is_refused_in_place_then_accepted(plan_copy: Path) -> None:
    from textual.widgets import Input

    from abm_tui.tui.modals import AskText

    async with opened(plan_copy) as (app, pilot):
        workbench = app.screen
        workbench.query_one(RulesTree).move_to(Target("tiers", 2, "fit_score", "min"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AskText)
        app.screen.query_one(Input).value = "high"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AskText), "a bad value must keep the dialog open"
        assert "expected a number, got 'high'" in " ".join(str(s.render()) for s in app.screen.query(Static))
        app.screen.query_one(Input).value = "55"
        await pilot.press("enter")
        await settled(pilot)
        assert app.screen is workbench
        assert edits.get_test(workbench.sessions.session.plan, "tiers", 2, "fit_score", "min") == 55


async def test_an_in_list_is_picked_from_the_data(plan_copy: Path) -> None:
    from textual.widgets import SelectionList

    from abm_tui.tui.modals import PickValues

    async with opened(plan_copy) as (app, pilot):
        workbench = app.screen
        workbench.query_one(RulesTree).move_to(Target("criteria", 0, "industry", "in"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickValues)
        options = app.screen.query_one(SelectionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(p.startswith("Software") for p in prompts), prompts
        options.select("Software")
        await pilot.press("enter")
        await settled(pilot)
        chosen = edits.get_test(workbench.sessions.session.plan, "criteria", 0, "industry", "in")
        assert "Software" in chosen and "Fintech" in chosen


async def test_enter_on_a_cell_drills_into_its_accounts(plan_copy: Path) -> None:
    from abm_tui.tui.screens.drill import AccountTable, DrillScreen

    async with opened(plan_copy) as (app, pilot):
        table = app.screen.query_one(MatrixTable)
        table.focus()
        view = table.view
        stage = view.current.cols.index("Identified")
        table.cursor_coordinate = (1, stage + 1)
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, DrillScreen)
        expected = Session.open(plan_copy).matrix().cell("Tier 2", "Identified")
        assert app.screen.query_one(AccountTable).row_count == expected
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WorkbenchScreen)


async def test_quit_asks_about_unsaved_changes(plan_copy: Path) -> None:
    from abm_tui.tui.modals import ConfirmQuit

    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("criteria", 0), "plus")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WorkbenchScreen)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("s")
        await settled(pilot)
    assert app.return_code == 0
    assert load_plan(plan_copy).criteria[0].points == 35


async def test_save_as_writes_a_plan_that_runs_from_its_new_folder(plan_copy: Path, tmp_path: Path) -> None:
    from textual.widgets import Input

    target = tmp_path / "elsewhere" / "q2.toml"
    target.parent.mkdir()
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("w")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settled(pilot)
    saved, original = load_plan(target), load_plan(plan_copy)
    assert saved.tiers == original.tiers and saved.criteria == original.criteria
    assert saved.resolve(saved.data.accounts).resolve() == original.resolve(original.data.accounts).resolve()
    assert saved.data.accounts.startswith("..")  # rewritten relative to the new folder
    assert Session.open(target).matrix().total == 3000


async def export_dialog(app: AbmApp, pilot: Pilot, untick: tuple[str, ...] = (), tick: tuple[str, ...] = ()):  # noqa: ANN201
    """ctrl+e, with the given choices changed; the dialog is returned for the caller to fill in the folder."""
    from abm_tui.tui.modals import ChooseExport
    from abm_tui.tui.widgets.tick_list import TickList

    await pilot.press("ctrl+e")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, ChooseExport)
    choices = dialog.query_one(TickList)
    for name in untick:
        choices.deselect(name)
    for name in tick:
        choices.select(name)
    return dialog


async def export_to(app: AbmApp, pilot: Pilot, dialog: object, folder: Path) -> None:
    from textual.widgets import Input

    dialog.query_one(Input).value = str(folder)  # type: ignore[attr-defined]
    await pilot.press("enter")
    await settled(pilot)
    assert "exported" in str(app.screen.query_one("#status", Static).render())


async def test_export_writes_the_chosen_files(plan_copy: Path, tmp_path: Path) -> None:
    from textual.widgets import Input

    out = tmp_path / "out"
    async with opened(plan_copy) as (app, pilot):
        dialog = await export_dialog(app, pilot, untick=("assignments.parquet",))
        dialog.query_one(Input).value = str(plan_copy)  # a file, not a folder: refused in place
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and "expected a folder" in str(dialog.query_one("#export-error").render())
        await export_to(app, pilot, dialog, out)
    assert sorted(p.name for p in out.iterdir()) == ["assignments.csv", "manifest.json", "matrix.csv", "plan.toml",
                                                    "unmatched_engagement.csv"]


async def test_export_dialog_sends_segments_to_hubspot_and_linkedin(plan_copy: Path, tmp_path: Path) -> None:
    import polars as pl

    out = tmp_path / "crm"
    async with opened(plan_copy) as (app, pilot):
        run_files = ("assignments.csv", "assignments.parquet", "matrix.csv", "plan.toml")
        dialog = await export_dialog(app, pilot, untick=run_files, tick=("hubspot", "linkedin"))
        await export_to(app, pilot, dialog, out)
    hubspot = pl.read_csv(out / "hubspot_companies.csv", infer_schema=False)
    assert hubspot.height == 3000 and "Ideal Customer Profile Tier" in hubspot.columns
    assert (out / "linkedin" / "lists.csv").exists() and (out / "manifest.json").exists()
    assert not (out / "assignments.csv").exists()


async def test_status_sums_up_the_load_and_l_shows_the_report(plan_copy: Path) -> None:
    from abm_tui.tui.modals import ShowText

    async with opened(plan_copy) as (app, pilot):
        assert "engagement 100% matched" in str(app.screen.query_one("#status", Static).render())
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, ShowText)
        text = str(app.screen.query_one("#text-page-body", Static).render())
        assert "3,000 accounts kept" in text and "engagement matched to accounts: 100.0%" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WorkbenchScreen)


async def test_reopening_after_a_crash_offers_the_autosave(plan_copy: Path) -> None:
    from abm_tui.tui.modals import RestoreAutosave

    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("criteria", 0), "plus")
        # the terminal goes away here: no save, no quit prompt
    again = AbmApp(plan_copy)
    async with again.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        assert isinstance(again.screen, RestoreAutosave)
        await pilot.press("r")
        await settled(pilot)
        assert again.screen.sessions.session.plan.criteria[0].points == 35
        assert again.screen.sessions.session.dirty


async def test_help_lists_the_keys(plan_copy: Path) -> None:
    from abm_tui.tui.screens.help import HelpScreen

    async with opened(plan_copy) as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "Undo" in text and "Drill-down" in text and "Account" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WorkbenchScreen)


async def test_tab_moves_between_the_rules_and_the_matrix(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        assert app.focused is app.screen.query_one(RulesTree)
        await pilot.press("tab")
        assert app.focused is app.screen.query_one(MatrixTable)
        await pilot.press("shift+tab")
        assert app.focused is app.screen.query_one(RulesTree)


async def test_rename_a_rule_and_pivot_on_any_text_column(plan_copy: Path) -> None:
    from textual.widgets import Input

    async with opened(plan_copy) as (app, pilot):
        workbench = app.screen
        workbench.query_one(RulesTree).move_to(Target("tiers", 0))
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(Input).value = "Strategic"
        await pilot.press("enter")
        await settled(pilot)
        assert workbench.sessions.session.plan.tiers[0].name == "Strategic"
        expected = Session.open(plan_copy).matrix().values[0].sum()
        assert cell(app, "Strategic", "Total") == f"{expected:,}"
        assert "owner" in workbench.state.dimensions and "account_id" not in workbench.state.dimensions
